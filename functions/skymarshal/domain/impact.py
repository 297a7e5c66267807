"""What an option does to passengers, the network and the cargo: shared facts the business agents price and
weigh.

Simplifications (documented in the report): compensation uses this flight's distance and arrival delay; a
passenger who misses a connection is taken to reach the final destination 3 h or more late (compensated unless
extraordinary); later sectors of a rotation are cascaded with the minimum turnaround and no recovery slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import RecoveryOption
from . import eu261
from .crewcheck import minutes
from .operation import Airport, Booking, ConnectionType, Flight, Snapshot
from .policy import Policy

RULE_MCT = "Minimum connection time"
SPECIAL_NEEDS_WEIGHT = {
    "UMNR": 3.0,
    "MEDA": 3.0,
    "WCHC": 2.5,
    "WCHS": 2.0,
    "WCHR": 1.5,
    "BLND": 2.0,
    "DEAF": 1.5,
}
TIER_WEIGHT = {"none": 1.0, "silver": 1.2, "gold": 1.5, "platinum": 2.0}


def pax_count(snapshot: Snapshot) -> int:
    return max(snapshot.bookings.pax, snapshot.flight.booked_pax)


def distance_km(snapshot: Snapshot) -> float:
    f = snapshot.flight
    return f.distance_km or eu261.airport_distance_km(snapshot.origin, snapshot.destination)


def connection_type(snapshot: Snapshot, booking: Booking) -> ConnectionType:
    """Terminal change when both terminals are known and differ; international when the journey crosses a
    border at the connecting airport; otherwise same terminal."""
    f = snapshot.flight
    onward = booking.onward
    assert onward is not None
    own = snapshot.flights.get(onward.key)
    out_terminal = own.departure_terminal if own else onward.departure_terminal
    if f.arrival_terminal and out_terminal and f.arrival_terminal != out_terminal:
        return "terminal_change"
    hub = snapshot.destination.country
    inbound = snapshot.origin.country
    onward_dest = own.destination if own else onward.destination
    dest_country = snapshot.airports[onward_dest].country if onward_dest in snapshot.airports else None
    if hub is None or inbound is None:
        return "international"  # unknown: assume the longer international MCT (conservative)
    if inbound != hub or (dest_country is not None and dest_country != hub):
        return "international"
    return "same_terminal"


@dataclass(frozen=True)
class ConnectionCheck:
    pnr: str
    pax: int
    onward_key: str
    onward_departure: datetime
    mct_minutes: int
    available_minutes: int | None  # None: the passenger does not arrive (cancelled, not rebooked)
    connection_type: ConnectionType

    @property
    def made(self) -> bool:
        return self.available_minutes is not None and self.available_minutes >= self.mct_minutes


def _onward_departure(snapshot: Snapshot, booking: Booking) -> datetime:
    onward = booking.onward
    assert onward is not None
    own = snapshot.flights.get(onward.key)
    if own is not None:
        return own.departure_utc
    assert onward.std_utc is not None
    return onward.std_utc


def arrival_for_pax(snapshot: Snapshot, option: RecoveryOption) -> datetime | None:
    """When the option's passengers reach the destination (first rebooking flight for a cancellation)."""
    if option.kind != "cancel":
        return option.new_arrival_utc
    if option.rebooking_flights:
        return snapshot.flights[option.rebooking_flights[0]].arrival_utc
    return None


def connections(snapshot: Snapshot, option: RecoveryOption) -> list[ConnectionCheck]:
    dest: Airport = snapshot.destination
    arrival = arrival_for_pax(snapshot, option)
    out = []
    for b in snapshot.connecting_bookings:
        assert b.onward is not None
        kind = connection_type(snapshot, b)
        onward_dep = _onward_departure(snapshot, b)
        available = minutes(onward_dep - arrival) if arrival is not None else None
        out.append(
            ConnectionCheck(
                b.pnr, b.pax_count, b.onward.key, onward_dep, dest.mct.for_type(kind), available, kind
            )
        )
    return out


@dataclass(frozen=True)
class RotationEffect:
    flight_key: str
    delay_minutes: int
    reason: str


def tail_knock_on(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> list[RotationEffect]:
    """Later flights of the original tail's rotation: delayed by the cascade, or left without an aircraft.

    A swap moves the rest of the rotation to the swap tail (a whole-rotation swap) and displaces that tail's
    own departures from the station; a cancellation leaves the next flight from the destination without an
    aircraft (protected by a positioning flight, priced by finance).
    """
    f = snapshot.flight
    turn = timedelta(minutes=policy.min_turnaround_minutes)
    later = [snapshot.flights[k] for k in snapshot.rotation if snapshot.flights[k].std_utc > f.std_utc]
    effects: list[RotationEffect] = []
    if option.kind == "cancel":
        if later:
            effects.append(RotationEffect(later[0].key, 0, "no aircraft at " + later[0].origin))
        return effects
    previous = option.new_arrival_utc
    assert previous is not None
    for g in later:
        dep = max(g.departure_utc, previous + turn)
        d = minutes(dep - g.departure_utc)
        if d <= 0:
            break
        effects.append(RotationEffect(g.key, d, "rotation delay"))
        previous = dep + (g.sta_utc - g.std_utc)
    for k in option.details.get("displaced_flights", []) or []:
        effects.append(RotationEffect(str(k), 0, f"loses tail {option.tail} to the swap"))
    return effects


def crew_knock_on(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> list[RotationEffect]:
    """Later sectors in the rostered crew's duty delayed by the option (crew who stay on the flight)."""
    if option.kind == "cancel" or option.new_arrival_utc is None:
        return []
    staying = set(option.cockpit_crew_ids) | set(option.cabin_crew_ids)
    turn = timedelta(minutes=policy.min_turnaround_minutes)
    seen: dict[str, int] = {}
    for cid, duty in sorted(snapshot.duties.items()):
        if cid not in staying or snapshot.flight_key not in duty.flight_keys:
            continue
        previous = option.new_arrival_utc
        after = duty.flight_keys[duty.flight_keys.index(snapshot.flight_key) + 1 :]
        for k in after:
            g: Flight | None = snapshot.flights.get(k)
            if g is None:
                continue
            dep = max(g.departure_utc, previous + turn)
            d = minutes(dep - g.departure_utc)
            if d <= 0:
                break
            seen[k] = max(seen.get(k, 0), d)
            previous = dep + (g.sta_utc - g.std_utc)
    return [
        RotationEffect(k, d, "crew arrives late from the disrupted flight") for k, d in sorted(seen.items())
    ]


@dataclass
class PassengerImpact:
    pax: int
    departure_delay_minutes: int
    arrival_delay_minutes: int
    in_scope: bool
    extraordinary: bool
    extraordinary_reason: str
    band: eu261.DistanceBand
    compensation_per_pax: float
    compensated_pax: int
    compensation_eur: float
    meals: bool
    hotel: bool
    refund_option: bool
    care_threshold_minutes: int
    connecting_pax: int
    missed_connection_pax: int
    missed: list[ConnectionCheck] = field(default_factory=list)
    rebooked_own_pax: int = 0
    interline_pax: int = 0
    special_needs: dict[str, int] = field(default_factory=dict)
    weighted_disutility: float = 0.0


def _overnight(snapshot: Snapshot, new_departure: datetime | None) -> bool:
    if new_departure is None:
        return True
    tz = snapshot.origin.tz
    return new_departure.astimezone(tz).date() > snapshot.flight.std_utc.astimezone(tz).date()


@dataclass(frozen=True)
class _Terms:
    """What EU261 gives for one option: compensation per pax and who gets it, care, and the delays it counts."""

    per_pax: float
    compensated: int
    care: eu261.Care
    departure_delay: int
    arrival_delay: int
    rebooked_own: int = 0
    interline: int = 0


def _cancellation_terms(
    snapshot: Snapshot, option: RecoveryOption, dist: float, intra: bool, extraordinary: bool, scope: bool
) -> _Terms:
    """Art. 5 and 7: compensation by notice and reroute times; care from the reroute's departure delay."""
    plan = option.details.get("rebooking_pax", {}) or {}
    rebooked_own = int(sum(plan.values()))
    interline = int(option.details.get("interline_pax", 0) or 0)
    dep_delay = option.details.get("reroute_departure_delay_minutes")
    arr_delay = option.details.get("reroute_arrival_delay_minutes")
    first_dep = snapshot.flights[option.rebooking_flights[0]].departure_utc if option.rebooking_flights else None
    per_pax = eu261.cancellation_compensation_eur(
        dist,
        intra,
        extraordinary,
        float(option.details.get("notice_days", 0) or 0),
        0 if dep_delay is not None else None,
        arr_delay,
    )
    compensated = pax_count(snapshot) if scope else 0
    care = eu261.care_due(
        dist, intra, int(dep_delay) if dep_delay is not None else 24 * 60, _overnight(snapshot, first_dep)
    )
    return _Terms(per_pax, compensated, care, int(dep_delay or 0), int(arr_delay or 0), rebooked_own, interline)


def _delay_terms(
    snapshot: Snapshot,
    option: RecoveryOption,
    dist: float,
    intra: bool,
    extraordinary: bool,
    scope: bool,
    missed_pax: int,
) -> _Terms:
    """Art. 7 with the Sturgeon 3 h arrival rule; a missed connection counts as 3 h+ late."""
    pax = pax_count(snapshot)
    departure_delay, arrival_delay = option.departure_delay_minutes, option.arrival_delay_minutes
    per_pax = float(eu261.delay_compensation_eur(dist, intra, arrival_delay, extraordinary))
    # Passengers who miss a connection are taken to arrive 3 h+ late at their final destination.
    missed_comp = 0 if extraordinary else eu261.distance_band(dist, intra).compensation_eur
    compensated = (pax if per_pax > 0 else 0) if scope else 0
    if scope and per_pax == 0 and missed_comp:
        compensated = missed_pax
        per_pax = float(missed_comp)
    care = eu261.care_due(dist, intra, departure_delay, _overnight(snapshot, option.new_departure_utc))
    return _Terms(per_pax, compensated, care, departure_delay, arrival_delay)


def _weighted_disutility(
    snapshot: Snapshot, option: RecoveryOption, terms: _Terms, missed_pax: int
) -> float:
    """Hours late per passenger, with loyalty and special-needs weights, plus misses (and a cancellation's
    extra burden)."""
    pax = pax_count(snapshot)
    summary = snapshot.bookings
    tier_factor = (
        sum(TIER_WEIGHT.get(t, 1.0) * n for t, n in summary.by_tier.items()) / summary.pax
        if summary.pax
        else 1.0
    )
    needs_extra = sum(SPECIAL_NEEDS_WEIGHT.get(code, 1.2) * n for code, n in summary.special_needs.items())
    hours = max(0, terms.arrival_delay) / 60
    disutility = pax * hours * tier_factor + needs_extra * hours + 4.0 * missed_pax
    if option.kind == "cancel":
        disutility += pax * 2.0 + terms.interline * 2.0 + (needs_extra * 2.0 if terms.care.hotel else 0)
    return disutility


def passenger_impact(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> PassengerImpact:
    """EU261 compensation and care, missed connections and a weighted disutility for one option."""
    pax = pax_count(snapshot)
    dist = distance_km(snapshot)
    intra = eu261.is_intra_eu(snapshot.origin, snapshot.destination)
    scope = eu261.in_scope(
        snapshot.origin,
        snapshot.destination,
        eu261.is_community_carrier(snapshot.flight, policy.eu_carrier),
    )
    extraordinary, why = eu261.extraordinary_circumstances(snapshot.event.disruption_type)
    band = eu261.distance_band(dist, intra)
    checks = connections(snapshot, option)
    missed = [c for c in checks if not c.made]
    missed_pax = sum(c.pax for c in missed)
    if option.kind == "cancel":
        t = _cancellation_terms(snapshot, option, dist, intra, extraordinary, scope)
    else:
        t = _delay_terms(snapshot, option, dist, intra, extraordinary, scope, missed_pax)
    compensation = t.per_pax * t.compensated if scope else 0.0
    return PassengerImpact(
        pax=pax,
        departure_delay_minutes=t.departure_delay,
        arrival_delay_minutes=t.arrival_delay,
        in_scope=scope,
        extraordinary=extraordinary,
        extraordinary_reason=why,
        band=band,
        compensation_per_pax=t.per_pax if scope else 0,
        compensated_pax=t.compensated if scope else 0,
        compensation_eur=round(compensation, 2),
        meals=t.care.meals,
        hotel=t.care.hotel,
        refund_option=t.care.refund_option,
        care_threshold_minutes=t.care.threshold_minutes,
        connecting_pax=sum(c.pax for c in checks),
        missed_connection_pax=missed_pax,
        missed=missed,
        rebooked_own_pax=t.rebooked_own,
        interline_pax=t.interline,
        special_needs=dict(snapshot.bookings.special_needs),
        weighted_disutility=round(_weighted_disutility(snapshot, option, t, missed_pax), 3),
    )
