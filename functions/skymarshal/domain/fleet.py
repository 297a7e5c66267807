"""Fleet-consistent decisions: what a recovery option takes from the shared operation, who holds it, and what an
approved plan changes. Pure rules, no storage (skymarshal.stores.fleet keeps the claims in DynamoDB).

Concurrent disruptions at one hub draw on the same spare tails, reserve crews and seats on later flights. A
pending decision HOLDS the resources of its recommended option until it is approved (the hold becomes a
COMMITMENT and the plan is applied), rejected or timed out (RELEASED). Option generation and the safety agents
treat a resource another decision holds or committed as taken, with a reason that names the holder.

- `needs(option, snapshot, policy)`: the resources an option takes (the flight itself, a spare tail for a time
  window, the defective tail out of service, each reserve called out, seats on each rebooking flight);
- `Claim`: a resource held or committed by a thread; `Claim.blocks()` says whether it stops another thread;
- `plan_changes(option, snapshot, policy)`: what an approved plan changes in the operational data;
- `rebook(bookings, seats_by_flight)`: the cancelled flight's bookings placed on their new flights;
- `invariant_violations(state)`: what must hold over the whole operation whatever the order of approvals.

Rest after a call-out: EASA ORO.FTL.235 (FACTS.md "Crew"): at home base at least the preceding duty or 12 h,
whichever is longer. A reserve called out is not available to another decision before that rest ends.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field

from .ftl import max_fdp_minutes, min_rest_minutes
from .operation.claims import Claim, ClaimState, ResourceKind, blocking, hhmmz, resource_key
from .operation.records import Booking, CrewDuty, Flight, Record

if TYPE_CHECKING:  # annotations only: the approval API checks holds without the snapshot builder or the models
    from ..models import RecoveryOption
    from .operation import Snapshot
    from .policy import Policy

__all__ = [
    "Claim",
    "ClaimState",
    "CommittedPlan",
    "FleetState",
    "Need",
    "PlanChanges",
    "ResourceKind",
    "blocking",
    "conflicts",
    "hhmmz",
    "invariant_violations",
    "needs",
    "plan_changes",
    "rebook",
    "replan_id",
    "resource_key",
    "rest_end",
    "superseded_message",
]

class Need(Record):
    """One resource an option takes: `busy_from`..`busy_until` in operation time (the option's own times)."""

    kind: ResourceKind
    resource_id: str
    purpose: str = Field(description="decided, swap, out_of_service, call_out, rebooking")
    busy_from: AwareDatetime | None = None
    busy_until: AwareDatetime | None = None
    seats: int = Field(default=0, ge=0, description="kind seats: seats taken on that flight")
    free_seats: int | None = Field(default=None, description="kind seats: seats free when the snapshot was taken")

    @property
    def key(self) -> str:
        return resource_key(self.kind, self.resource_id)


# --------------------------------------------------------------------------------------------------
# What an option takes
# --------------------------------------------------------------------------------------------------
def own_tail(snapshot: Snapshot) -> str | None:
    return snapshot.aircraft.tail if snapshot.aircraft else snapshot.flight.tail


def swap_return(option: RecoveryOption, snapshot: Snapshot, policy: Policy) -> datetime | None:
    """When a swap tail is back at the station: out, turnaround, back, turnaround (as option generation
    counts the displaced flights)."""
    if option.new_departure_utc is None:
        return None
    f = snapshot.flight
    return option.new_departure_utc + 2 * (f.sta_utc - f.std_utc) + 2 * timedelta(minutes=policy.min_turnaround_minutes)


def callout_duty(option: RecoveryOption, snapshot: Snapshot, policy: Policy) -> tuple[datetime, datetime]:
    """The duty of a reserve called out for the option: report before departure, end at arrival."""
    assert option.new_departure_utc is not None and option.new_arrival_utc is not None
    report = option.new_departure_utc - timedelta(minutes=policy.report_before_departure_minutes)
    return report, option.new_arrival_utc


def rest_end(duty_start: datetime, duty_end: datetime) -> datetime:
    """ORO.FTL.235: rest at least as long as the preceding duty, and at least 12 h at home base (the call-out
    is counted from the reserve's home base: the conservative rest)."""
    duty = int((duty_end - duty_start).total_seconds() // 60)
    return duty_end + timedelta(minutes=min_rest_minutes(duty, at_home_base=True))


def needs(option: RecoveryOption, snapshot: Snapshot, policy: Policy) -> list[Need]:
    """The resources the option takes from the shared operation (the flight itself always: two plans for one
    flight can never both be approved)."""
    f = snapshot.flight
    out = [Need(kind="flight", resource_id=f.key, purpose="decided", busy_from=f.std_utc)]
    tail = own_tail(snapshot)
    if option.tail and option.new_departure_utc is not None and option.new_arrival_utc is not None:
        if option.tail != tail:
            out.append(Need(kind="tail", resource_id=option.tail, purpose="swap", busy_from=option.new_departure_utc,
                            busy_until=swap_return(option, snapshot, policy)))
            for key in option.details.get("displaced_flights") or []:  # flights the swap leaves without a tail
                std = snapshot.flights[key].std_utc
                out.append(Need(kind="flight", resource_id=key, purpose="displaced", busy_from=std, busy_until=std))
            if tail and snapshot.event.disruption_type in ("technical", "aircraft_on_ground"):
                out.append(Need(kind="tail", resource_id=tail, purpose="out_of_service",
                                busy_from=snapshot.as_of_utc, busy_until=_return_to_service(option, snapshot)))
        else:  # its own tail flies it at the new times: nobody else may swap onto it meanwhile
            out.append(Need(kind="tail", resource_id=tail, purpose="flies", busy_from=option.new_departure_utc,
                            busy_until=option.new_arrival_utc + timedelta(minutes=policy.min_turnaround_minutes)))
    if option.replacement_crew_ids and option.new_departure_utc is not None:
        report, end = callout_duty(option, snapshot, policy)
        for crew_id in dict.fromkeys(option.replacement_crew_ids):
            out.append(Need(kind="crew", resource_id=crew_id, purpose="call_out", busy_from=report,
                            busy_until=rest_end(report, end)))
    for key, seats in (option.details.get("rebooking_pax") or {}).items():
        if int(seats) > 0:
            out.append(Need(kind="seats", resource_id=key, purpose="rebooking", seats=int(seats),
                            free_seats=snapshot.rebooking_free_seats.get(key),
                            busy_from=snapshot.flights[key].std_utc if key in snapshot.flights else None))
    return out


def _return_to_service(option: RecoveryOption, snapshot: Snapshot) -> datetime:
    """The defective tail is out of service at least until the delay as reported would have ended."""
    delay = int(snapshot.event.delay_minutes or 0)
    return snapshot.flight.std_utc + timedelta(minutes=delay)


def conflicts(wanted: list[Need], claims: dict[str, Claim], thread_id: str, now: datetime | None,
              seats_available: dict[str, int] | None = None) -> list[str]:
    """Why the option cannot be had now: a named reason per resource taken by another thread."""
    reasons = []
    for n in wanted:
        if n.kind == "seats":
            free = (seats_available or {}).get(n.resource_id)
            if free is not None and free < n.seats:
                reasons.append(f"{n.resource_id}: {n.seats} seats wanted, {free} left")
            continue
        claim = blocking(claims, n.kind, n.resource_id, thread_id, now, n.busy_from)
        if claim is not None:
            reasons.append(claim.reason())
    return reasons


# --------------------------------------------------------------------------------------------------
# What an approved plan changes
# --------------------------------------------------------------------------------------------------
@dataclass
class PlanChanges:
    """The operational records an approved plan rewrites (flights by key, duties by crew id)."""

    flights: dict[str, Flight] = field(default_factory=dict)
    duties: dict[str, CrewDuty] = field(default_factory=dict)
    rebooking: dict[str, int] = field(default_factory=dict)
    cancelled_flight: str | None = None


def plan_changes(option: RecoveryOption, snapshot: Snapshot, policy: Policy) -> PlanChanges:
    """The flight is cancelled, or flies at the option's times with its tail and crew; a swap tail flies the
    disrupted tail's rotation until it is back at the station and its own displaced flights lose their tail
    (they need their own recovery); each reserve called out carries the new duty."""
    f = snapshot.flight
    changes = PlanChanges()
    if option.kind == "cancel" or option.new_departure_utc is None:
        changes.flights[f.key] = f.model_copy(update={"status": "cancelled"})
        changes.cancelled_flight = f.key
        changes.rebooking = {k: int(v) for k, v in (option.details.get("rebooking_pax") or {}).items()}
        return changes
    dep = option.new_departure_utc
    arr: datetime = option.new_arrival_utc or dep + (f.sta_utc - f.std_utc)
    changes.flights[f.key] = f.model_copy(update={
        "etd_utc": dep, "eta_utc": arr, "tail": option.tail,
        "status": "delayed" if dep > f.std_utc else f.status,
        "cockpit_crew": list(option.cockpit_crew_ids), "cabin_crew": list(option.cabin_crew_ids),
    })
    tail = own_tail(snapshot)
    if option.tail and option.tail != tail:
        back = swap_return(option, snapshot, policy)
        ready: datetime = arr
        for key in snapshot.rotation:  # the swap tail flies the rotation until it is back at the station
            r = snapshot.flights[key]
            if r.std_utc <= f.std_utc or back is None or r.std_utc >= back:
                continue
            earliest: datetime = ready + timedelta(minutes=policy.min_turnaround_minutes)
            etd: datetime = r.departure_utc if r.departure_utc >= earliest else earliest
            eta = etd + (r.sta_utc - r.std_utc)
            changes.flights[key] = r.model_copy(update={"tail": option.tail, "etd_utc": etd, "eta_utc": eta,
                                                        "status": "delayed" if etd > r.std_utc else r.status})
            ready = eta
        for key in option.details.get("displaced_flights") or []:
            if key in snapshot.flights and key not in changes.flights:
                changes.flights[key] = snapshot.flights[key].model_copy(update={"tail": None})
    if option.replacement_crew_ids:
        report, _ = callout_duty(option, snapshot, policy)
        for crew_id in option.replacement_crew_ids:
            before = snapshot.duties.get(crew_id)
            totals = before.model_dump(include={"duty_hours_7d", "duty_hours_14d", "duty_hours_28d",
                                                "flight_hours_28d", "flight_hours_calendar_year",
                                                "flight_hours_12m", "last_duty_end_utc", "last_duty_minutes",
                                                "extensions_used_7d", "discretion_used_7d"}) if before else {}
            changes.duties[crew_id] = CrewDuty(crew_id=crew_id, duty_date=f.flight_date, report_time_utc=report,
                                               report_station=f.origin, planned_sectors=1, flight_keys=[f.key],
                                               **totals)
    return changes


def rebook(bookings: list[Booking], seats_by_flight: dict[str, int]) -> list[Booking]:
    """The bookings of a cancelled flight placed on their new flights, in order, a booking split over two
    flights when the seats run out (`PNR` then `PNR-2`); what does not fit goes to other airlines."""
    out: list[Booking] = []
    queue = [(b, b.pax_count) for b in sorted(bookings, key=lambda b: b.pnr)]
    for key, seats in seats_by_flight.items():
        while seats > 0 and queue:
            booking, left = queue[0]
            take = min(left, seats)
            part = sum(1 for o in out if o.pnr.split("-")[0] == booking.pnr)
            pnr = booking.pnr if part == 0 else f"{booking.pnr}-{part + 1}"[:16]
            out.append(booking.model_copy(update={"pnr": pnr, "flight_key": key, "pax_count": take, "onward": None}))
            seats -= take
            if take == left:
                queue.pop(0)
            else:
                queue[0] = (booking, left - take)
    return out


# --------------------------------------------------------------------------------------------------
# What must hold over the whole operation
# --------------------------------------------------------------------------------------------------
@dataclass
class CommittedPlan:
    """An approved plan as the operation must show it."""

    thread_id: str
    flight_key: str
    kind: str
    tail: str | None
    departure: datetime | None
    crew: list[str]
    seats: dict[str, int]


@dataclass
class FleetState:
    """What the invariant checker reads: every flight, the seats each plan gave, the plans approved."""

    flights: dict[str, Flight]
    seats_of: dict[str, int]  # flight key -> seats of its tail (or its capacity)
    committed_seats: dict[str, int]  # flight key -> seats given to rebooked passengers by approved plans
    rebooked_pax: dict[str, int]  # flight key -> pax of the booking items placed there by approved plans
    plans: list[CommittedPlan]
    callouts: dict[str, list[str]]  # crew id -> threads that called them out
    timezones: dict[str, str] = field(default_factory=dict)  # airport -> IANA timezone (FDP table is local time)
    report_before_minutes: int = 60


def _interval(f: Flight) -> tuple[datetime, datetime]:
    return f.departure_utc, f.arrival_utc


def invariant_violations(state: FleetState) -> list[str]:
    """Every broken invariant: a tail or crew member on two flights at once, a crew duty beyond its FDP or
    without its rest, a seat sold twice, an approved plan the operation does not show."""
    live = [f for f in state.flights.values() if f.status != "cancelled"]
    out: list[str] = []
    by_tail: dict[str, list[Flight]] = defaultdict(list)
    by_crew: dict[str, list[Flight]] = defaultdict(list)
    for f in live:
        if f.tail:
            by_tail[f.tail].append(f)
        for c in (*f.cockpit_crew, *f.cabin_crew):
            by_crew[c].append(f)
    for tail, flights in by_tail.items():
        out.extend(f"tail {tail} flies {a.key} and {b.key} at once" for a, b in _overlaps(flights))
    for crew_id, flights in by_crew.items():
        out.extend(f"crew {crew_id} on {a.key} and {b.key} at once" for a, b in _overlaps(flights))
    for crew_id, threads in state.callouts.items():
        if len(threads) > 1:
            out.extend(_stacked_duty(crew_id, by_crew.get(crew_id, []), state))
    for key, committed in state.committed_seats.items():
        seats = state.seats_of.get(key, 0)
        rebooked_on = state.flights.get(key)
        if rebooked_on is not None and rebooked_on.booked_pax + committed > seats:
            out.append(f"{key}: {rebooked_on.booked_pax} booked + {committed} rebooked > {seats} seats")
        if state.rebooked_pax.get(key, 0) != committed:
            out.append(f"{key}: {state.rebooked_pax.get(key, 0)} rebooked pax on board, {committed} seats given")
    for p in state.plans:
        out.extend(_plan_shown(p, state.flights))
    return out


def _overlaps(flights: list[Flight]) -> list[tuple[Flight, Flight]]:
    ordered = sorted(flights, key=lambda f: f.departure_utc)
    return [(a, b) for a, b in pairwise(ordered) if b.departure_utc < a.arrival_utc]


def _stacked_duty(crew_id: str, flights: list[Flight], state: FleetState) -> list[str]:
    """Two call-outs of one crew member: either one FDP within its Table 2 limit (ORO.FTL.205(b)), or
    separated by the rest (ORO.FTL.235)."""
    ordered = sorted(flights, key=lambda f: f.departure_utc)
    out = []
    for a, b in pairwise(ordered):
        report_a = a.departure_utc - timedelta(minutes=state.report_before_minutes)
        if b.departure_utc - timedelta(minutes=state.report_before_minutes) >= rest_end(report_a, a.arrival_utc):
            continue
        fdp = int((b.arrival_utc - report_a).total_seconds() // 60)
        tz = ZoneInfo(state.timezones.get(a.origin, "UTC"))
        limit = max_fdp_minutes(report_a.astimezone(tz), 2)
        if fdp > limit:
            out.append(f"crew {crew_id}: {a.key} then {b.key} is a {fdp} min FDP (limit {limit}) without rest")
    return out


def _plan_shown(p: CommittedPlan, flights: dict[str, Flight]) -> list[str]:
    f = flights.get(p.flight_key)
    if f is None:
        return [f"plan of {p.thread_id}: flight {p.flight_key} missing"]
    if p.kind == "cancel":
        return [] if f.status == "cancelled" else [f"plan of {p.thread_id}: {p.flight_key} not cancelled"]
    out = []
    if f.status == "cancelled":
        out.append(f"plan of {p.thread_id}: {p.flight_key} cancelled, plan was {p.kind}")
    if f.tail != p.tail:
        out.append(f"plan of {p.thread_id}: {p.flight_key} flies {f.tail}, plan says {p.tail}")
    if p.departure is not None and f.departure_utc != p.departure:
        out.append(f"plan of {p.thread_id}: {p.flight_key} departs {f.departure_utc}, plan says {p.departure}")
    missing = [c for c in p.crew if c not in (*f.cockpit_crew, *f.cabin_crew)]
    if missing:
        out.append(f"plan of {p.thread_id}: {p.flight_key} lacks called-out crew {missing}")
    return out


# --------------------------------------------------------------------------------------------------
# Superseded decisions
# --------------------------------------------------------------------------------------------------
REPLAN_SUFFIX = re.compile(r"-r(\d+)$")


def replan_id(thread_id: str) -> str:
    """`ey123` -> `ey123-r1` -> `ey123-r2`: the thread that re-plans a superseded one (deterministic, so a
    retried step never starts two)."""
    m = REPLAN_SUFFIX.search(thread_id)
    base, n = (thread_id[: m.start()], int(m.group(1))) if m else (thread_id, 0)
    suffix = f"-r{n + 1}"
    return base[: 64 - len(suffix)] + suffix


def superseded_message(thread_id: str, conflicts: list[str]) -> str:
    return (f"thread {thread_id}: its resources were taken meanwhile ({'; '.join(conflicts)}); not approved on a "
            f"stale plan: re-planned as thread {replan_id(thread_id)}")

