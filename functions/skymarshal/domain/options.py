"""Recovery options for one disruption, each with its own new times so every agent judges the same facts.

Generated in a fixed order (ids OPT-1, OPT-2, ...): delay as reported; delay with a crew change (reserves at
the
station); aircraft swap (serviceable-looking tail of the same family at the station, seats >= booked pax);
aircraft swap with a crew change when the rostered crew cannot take the swap's times; cancel and rebook on
later
own flights. The generator only proposes; the safety agents decide legality (a swap tail's MEL state, a
reserve's
FDP) so that what made an option infeasible is visible in the decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..models import DisruptionEvent, RecoveryOption
from .crewcheck import check_crew_member, crew_is_legal, minutes
from .mel import airworthiness
from .operation import Aircraft, CrewMember, Snapshot
from .operation.claims import blocking
from .policy import Policy

ENVIRONMENTAL = ("weather", "atc", "security", "other")  # the delay applies whatever the tail or crew


def aircraft_by_tail(snapshot: Snapshot, tail: str | None) -> Aircraft | None:
    if tail is None:
        return None
    if snapshot.aircraft is not None and snapshot.aircraft.tail == tail:
        return snapshot.aircraft
    return next((a for a in snapshot.swap_candidates if a.tail == tail), None)


def rating_of(snapshot: Snapshot, aircraft: Aircraft | None) -> str | None:
    if aircraft is None or aircraft.type_code not in snapshot.aircraft_types:
        return None
    return snapshot.aircraft_types[aircraft.type_code].rating


def reported_delay(event: DisruptionEvent, snapshot: Snapshot, policy: Policy) -> int:
    """The delay 'as reported'; for an AOG tail, at least until its estimated return to service."""
    delay = event.delay_minutes or 0
    if event.disruption_type == "aircraft_on_ground" and snapshot.aircraft is not None:
        f = snapshot.flight
        state = airworthiness(snapshot.aircraft, f.flight_date)
        rts = state.return_to_service(snapshot.as_of_utc, policy.default_rectification_minutes)
        if rts is not None:
            delay = max(delay, minutes(rts - f.std_utc))
    return min(max(0, delay), policy.max_delay_minutes)


class _Builder:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.options: list[RecoveryOption] = []

    def add(
        self,
        kind: str,
        description: str,
        departure: datetime | None,
        tail: str | None,
        cockpit: list[str],
        cabin: list[str],
        replacements: list[str] | None = None,
        rebooking: list[str] | None = None,
        **details: object,
    ) -> RecoveryOption:
        f = self.snapshot.flight
        arrival = departure + (f.sta_utc - f.std_utc) if departure is not None else None
        option = RecoveryOption(
            option_id=f"OPT-{len(self.options) + 1}",
            kind=kind,  # type: ignore[arg-type]
            description=description,
            new_departure_utc=departure,
            new_arrival_utc=arrival,
            departure_delay_minutes=minutes(departure - f.std_utc) if departure else 0,
            arrival_delay_minutes=minutes(arrival - f.sta_utc) if arrival else 0,
            tail=tail,
            cockpit_crew_ids=cockpit,
            cabin_crew_ids=cabin,
            replacement_crew_ids=replacements or [],
            rebooking_flights=rebooking or [],
            details=dict(details),
        )
        self.options.append(option)
        return option


def _crew_needing_replacement(
    snapshot: Snapshot, departure: datetime, tail: str | None, policy: Policy
) -> list[CrewMember]:
    rating = rating_of(snapshot, aircraft_by_tail(snapshot, tail))
    arrival = departure + (snapshot.flight.sta_utc - snapshot.flight.std_utc)
    ids = [*snapshot.flight.cockpit_crew, *snapshot.flight.cabin_crew]
    by_id = {c.crew_id: c for c in snapshot.crew}
    need = []
    for cid in ids:
        member = by_id.get(cid)
        if member is None:
            continue
        findings = check_crew_member(
            snapshot,
            member,
            departure=departure,
            arrival=arrival,
            aircraft_rating=rating,
            policy=policy,
            reserve=False,
        )
        if not crew_is_legal(findings):
            need.append(member)
    return need


def taken(snapshot: Snapshot, kind: str, resource_id: str, needed_from: datetime | None) -> bool:
    """Held or committed by another decision (skymarshal.domain.fleet): not offered while another is free."""
    return blocking(snapshot.claims, kind, resource_id, snapshot.event.thread_id, None, needed_from) is not None  # type: ignore[arg-type]


def _pick_reserves(
    snapshot: Snapshot, needed: list[CrewMember], departure: datetime, tail: str | None, policy: Policy
) -> tuple[dict[str, str], list[str]]:
    """Assign a legal reserve of the same rank to each crew member who must be replaced.

    Returns ({replaced id: reserve id}, [ids that could not be covered]). Reserves are tried in id order;
    a reserve must pass every crew rule at the option's times (type rating, standby window, FDP, rest).
    A reserve another decision holds or called out is taken only when no free one covers the member, so the
    option is still shown and the crew agent refuses it with the holder's name.
    """
    assigned, uncovered = _assign_reserves(snapshot, needed, departure, tail, policy, allow_taken=False)
    if uncovered:
        with_taken, still = _assign_reserves(snapshot, needed, departure, tail, policy, allow_taken=True)
        if not still:
            return with_taken, still
    return assigned, uncovered


def _assign_reserves(
    snapshot: Snapshot, needed: list[CrewMember], departure: datetime, tail: str | None, policy: Policy,
    allow_taken: bool,
) -> tuple[dict[str, str], list[str]]:
    rating = rating_of(snapshot, aircraft_by_tail(snapshot, tail))
    arrival = departure + (snapshot.flight.sta_utc - snapshot.flight.std_utc)
    used: set[str] = set()
    assigned: dict[str, str] = {}
    uncovered: list[str] = []
    report = departure - timedelta(minutes=policy.report_before_departure_minutes)
    for member in needed:
        for r in sorted(snapshot.reserves, key=lambda r: taken(snapshot, "crew", r.crew_id, report)):
            if r.crew_id in used or r.rank != member.rank:
                continue
            if not allow_taken and taken(snapshot, "crew", r.crew_id, report):
                continue
            findings = check_crew_member(
                snapshot,
                r,
                departure=departure,
                arrival=arrival,
                aircraft_rating=rating,
                policy=policy,
                reserve=True,
            )
            if crew_is_legal(findings):
                assigned[member.crew_id] = r.crew_id
                used.add(r.crew_id)
                break
        else:
            uncovered.append(member.crew_id)
    return assigned, uncovered


def _crew_lists(snapshot: Snapshot, replace: dict[str, str]) -> tuple[list[str], list[str]]:
    f = snapshot.flight
    return [replace.get(c, c) for c in f.cockpit_crew], [replace.get(c, c) for c in f.cabin_crew]


def _swap_candidates(
    snapshot: Snapshot, policy: Policy, departure: datetime
) -> list[tuple[Aircraft, list[str]]]:
    """Compatible tails at the station with enough seats, least disruptive first: (tail, displaced
    flights)."""
    f = snapshot.flight
    own_type = snapshot.aircraft_types.get(snapshot.aircraft.type_code) if snapshot.aircraft else None
    pax = max(snapshot.bookings.pax, f.booked_pax)
    block = f.sta_utc - f.std_utc
    back = departure + 2 * block + 2 * timedelta(minutes=policy.min_turnaround_minutes)
    out: list[tuple[int, int, str, Aircraft, list[str]]] = []
    for a in snapshot.swap_candidates:
        t = snapshot.aircraft_types.get(a.type_code)
        if t is None or a.status == "aog" or a.seats < pax:
            continue
        if own_type is not None and t.family != own_type.family:
            continue
        if t.range_km is not None and f.distance_km is not None and t.range_km < f.distance_km:
            continue
        displaced = [
            k
            for k in snapshot.swap_rotations.get(a.tail, [])
            if snapshot.flights[k].origin == f.origin
            and snapshot.flights[k].std_utc < back
            and snapshot.flights[k].std_utc >= snapshot.as_of_utc
        ]
        out.append((len(displaced), a.seats - pax, a.tail, a, displaced))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    return [(a, displaced) for _, _, _, a, displaced in out]


def _rebooking(snapshot: Snapshot, policy: Policy) -> tuple[dict[str, int], int]:
    """Pax of the cancelled flight onto later own flights (earliest first, free seats), the rest interline."""
    pax = max(snapshot.bookings.pax, snapshot.flight.booked_pax)
    plan: dict[str, int] = {}
    for key in snapshot.rebooking_options[: policy.max_rebooking_flights]:
        if pax <= 0:
            break
        take = min(pax, snapshot.rebooking_free_seats.get(key, 0))
        if take > 0:
            plan[key] = take
            pax -= take
    return plan, pax


def generate_options(event: DisruptionEvent, snapshot: Snapshot, policy: Policy) -> list[RecoveryOption]:
    """FACTS.md "Recovery options to generate", in a fixed order."""
    b = _Builder(snapshot)
    delay = reported_delay(event, snapshot, policy)
    delayed = _add_delay(b, event, snapshot, delay)
    _add_crew_change(b, snapshot, policy, delayed, delay)
    if event.disruption_type in ("technical", "aircraft_on_ground") or snapshot.aircraft is None:
        _add_swaps(b, event, snapshot, policy, delay)
    _add_cancel(b, snapshot, policy)
    return b.options


def _own_tail(snapshot: Snapshot) -> str | None:
    return snapshot.aircraft.tail if snapshot.aircraft else snapshot.flight.tail


def _callout_ready(snapshot: Snapshot, policy: Policy) -> datetime:
    """The earliest departure a reserve called out now can make (call-out, then sign-on)."""
    return snapshot.as_of_utc + timedelta(
        minutes=policy.reserve_callout_minutes + policy.report_before_departure_minutes
    )


def _add_delay(b: _Builder, event: DisruptionEvent, snapshot: Snapshot, delay: int) -> datetime:
    """1. Delay as reported: same tail, same crew. Returns the delayed departure."""
    f = snapshot.flight
    delayed = f.std_utc + timedelta(minutes=delay)
    b.add(
        "delay",
        f"Delay {f.flight_number} {delay} min as reported ({event.cause})",
        delayed,
        _own_tail(snapshot),
        list(f.cockpit_crew),
        list(f.cabin_crew),
        cause_delay_minutes=delay,
    )
    return delayed


def _add_crew_change(b: _Builder, snapshot: Snapshot, policy: Policy, delayed: datetime, delay: int) -> None:
    """2. Delay with a crew change: replace whoever is unfit or illegal at the delayed times (only when every
    one of them can be covered by a reserve)."""
    f = snapshot.flight
    tail = _own_tail(snapshot)
    need = _crew_needing_replacement(snapshot, delayed, tail, policy)
    if not need:
        return
    dep = max(delayed, _callout_ready(snapshot, policy))
    assigned, uncovered = _pick_reserves(snapshot, need, dep, tail, policy)
    if assigned and not uncovered:
        ck, cb = _crew_lists(snapshot, assigned)
        b.add(
            "crew_change",
            f"Delay {minutes(dep - f.std_utc)} min with reserve crew "
            + ", ".join(f"{r} for {c}" for c, r in assigned.items()),
            dep,
            tail,
            ck,
            cb,
            list(assigned.values()),
            replaced=assigned,
            cause_delay_minutes=delay,
        )


def _add_swaps(b: _Builder, event: DisruptionEvent, snapshot: Snapshot, policy: Policy, delay: int) -> None:
    """3./4. Aircraft swap (with a crew change when the rostered crew cannot take the swap's times)."""
    f = snapshot.flight
    env_delay = delay if event.disruption_type in ENVIRONMENTAL else 0
    earliest = f.std_utc + timedelta(minutes=env_delay)
    swap_dep = max(f.std_utc, earliest, snapshot.as_of_utc + timedelta(minutes=policy.swap_preparation_minutes))
    candidates = _swap_candidates(snapshot, policy, swap_dep)
    free = [c for c in candidates if not _swap_taken(snapshot, c[0].tail, c[1], swap_dep)]
    shown = free[: policy.max_swap_options]
    if candidates and taken(snapshot, "tail", candidates[0][0].tail, swap_dep):
        shown.insert(0, candidates[0])  # the best tail is another decision's: shown, and refused with its holder
    for aircraft, displaced in shown:
        _add_swap(b, snapshot, policy, aircraft, displaced, swap_dep)


def _swap_taken(snapshot: Snapshot, tail: str, displaced: list[str], departure: datetime) -> bool:
    """The tail, or a flight it would leave without an aircraft, is another decision's."""
    return taken(snapshot, "tail", tail, departure) or any(
        taken(snapshot, "flight", k, snapshot.flights[k].std_utc) for k in displaced)


def _add_swap(
    b: _Builder, snapshot: Snapshot, policy: Policy, aircraft: Aircraft, displaced: list[str], swap_dep: datetime
) -> None:
    """One swap tail: with the rostered crew if they can take its times, else with reserves if every one can be
    covered, else with the rostered crew (for the crew agent to refuse, visibly)."""
    f = snapshot.flight
    tail = _own_tail(snapshot)
    need = _crew_needing_replacement(snapshot, swap_dep, aircraft.tail, policy)
    if need:
        dep = max(swap_dep, _callout_ready(snapshot, policy))
        assigned, uncovered = _pick_reserves(snapshot, need, dep, aircraft.tail, policy)
        if assigned and not uncovered:
            ck, cb = _crew_lists(snapshot, assigned)
            b.add(
                "aircraft_swap_crew_change",
                f"Swap to {aircraft.tail} with reserve crew "
                + ", ".join(assigned.values())
                + f", depart {minutes(dep - f.std_utc)} min late",
                dep,
                aircraft.tail,
                ck,
                cb,
                list(assigned.values()),
                swap_from_tail=tail,
                displaced_flights=displaced,
                replaced=assigned,
            )
            return
    description = (
        f"Swap to {aircraft.tail} ({aircraft.type_code}), rostered crew, "
        f"depart {minutes(swap_dep - f.std_utc)} min late"
        if need
        else f"Swap to {aircraft.tail} ({aircraft.type_code}, {aircraft.seats} seats), "
        f"depart {minutes(swap_dep - f.std_utc)} min late"
    )
    b.add(
        "aircraft_swap",
        description,
        swap_dep,
        aircraft.tail,
        list(f.cockpit_crew),
        list(f.cabin_crew),
        swap_from_tail=tail,
        displaced_flights=displaced,
    )


def _add_cancel(b: _Builder, snapshot: Snapshot, policy: Policy) -> None:
    """5. Cancel and rebook on later own flights first, the rest on other airlines."""
    f = snapshot.flight
    plan, interline = _rebooking(snapshot, policy)
    first = snapshot.flights[next(iter(plan))] if plan else None
    b.add(
        "cancel",
        f"Cancel {f.flight_number}; rebook {sum(plan.values())} pax on "
        + (", ".join(k.split("/")[0] + " " + k.split("/")[1][5:] for k in plan) or "no own flight")
        + (f", {interline} pax on other airlines" if interline else ""),
        None,
        None,
        [],
        [],
        rebooking=list(plan),
        rebooking_pax=plan,
        interline_pax=interline,
        reroute_departure_utc=first.std_utc.isoformat() if first else None,
        reroute_departure_delay_minutes=minutes(first.std_utc - f.std_utc) if first else None,
        reroute_arrival_delay_minutes=minutes(first.sta_utc - f.sta_utc) if first else None,
        notice_days=round((f.std_utc - snapshot.as_of_utc).total_seconds() / 86400, 3),
    )
