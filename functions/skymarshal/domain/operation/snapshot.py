"""The snapshot of one disruption: everything it needs, read once by `build_snapshot` and stored as one JSON
checkpoint: a registry of the flights involved plus key lists, bookings aggregated except the connecting ones,
which stay in detail.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field

from ...models import DisruptionEvent
from .claims import Claim
from .reader import OpsReader
from .records import (
    SCHEMA_VERSION,
    Aircraft,
    AircraftType,
    Airport,
    Booking,
    CargoShipment,
    CostParameters,
    CrewDuty,
    CrewMember,
    Flight,
    Record,
    flight_key,
    split_flight_key,
)


class BookingSummary(Record):
    """All bookings of a flight in aggregate (a hub flight has ~150): what the agents count and price."""

    bookings: int = 0
    pax: int = 0
    by_cabin: dict[str, int] = Field(default_factory=dict)
    by_tier: dict[str, int] = Field(default_factory=dict)
    special_needs: dict[str, int] = Field(default_factory=dict, description="SSR code -> passengers")
    revenue_eur: float = 0.0
    connecting_pax: int = 0

    @classmethod
    def of(cls, bookings: Iterable[Booking], avg_fare: float) -> "BookingSummary":
        s = cls()
        for b in bookings:
            s.bookings += 1
            s.pax += b.pax_count
            s.by_cabin[b.cabin] = s.by_cabin.get(b.cabin, 0) + b.pax_count
            s.by_tier[b.loyalty_tier] = s.by_tier.get(b.loyalty_tier, 0) + b.pax_count
            for code in b.special_needs:
                s.special_needs[code] = s.special_needs.get(code, 0) + b.pax_count
            s.revenue_eur += b.revenue_eur or avg_fare * b.pax_count
            if b.onward is not None:
                s.connecting_pax += b.pax_count
        s.revenue_eur = round(s.revenue_eur, 2)
        return s


class Snapshot(Record):
    """Everything one disruption needs, read once by `build_snapshot` and checkpointed as one JSON document.

    `flights` is a registry of every flight involved (by key); the other fields name flights by key.
    """

    schema_version: Literal["1"] = SCHEMA_VERSION
    event: DisruptionEvent = Field(description="Its reported_at is the 'now' of every rule")
    flight_key: str
    flights: dict[str, Flight]
    airports: dict[str, Airport]
    aircraft_types: dict[str, AircraftType] = Field(default_factory=dict)
    aircraft: Aircraft | None = None
    rotation: list[str] = Field(
        default_factory=list, description="The tail's flights in the window, in order"
    )
    swap_candidates: list[Aircraft] = Field(default_factory=list)
    swap_rotations: dict[str, list[str]] = Field(default_factory=dict, description="tail -> flight keys")
    crew: list[CrewMember] = Field(default_factory=list, description="Rostered crew of the flight")
    reserves: list[CrewMember] = Field(default_factory=list, description="Reserves at the origin that day")
    duties: dict[str, CrewDuty] = Field(
        default_factory=dict, description="crew_id -> duty (crew and reserves)"
    )
    bookings: BookingSummary = Field(default_factory=BookingSummary)
    connecting_bookings: list[Booking] = Field(default_factory=list)
    rebooking_options: list[str] = Field(
        default_factory=list, description="Later own flights on the route, in order (keys)"
    )
    rebooking_free_seats: dict[str, int] = Field(default_factory=dict, description="flight key -> seats free")
    cargo: list[CargoShipment] = Field(default_factory=list)
    cost_parameters: CostParameters = Field(default_factory=CostParameters)
    claims: dict[str, Claim] = Field(
        default_factory=dict,
        description="resource key (tail:A6-XWE, crew:RC-CPT1, flight:EY123/...) -> its hold or commitment by a "
        "decision; what another decision holds or committed is taken (skymarshal.domain.fleet)",
    )

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def as_of_utc(self) -> datetime:
        return self.event.reported_at.astimezone(UTC)

    @property
    def flight(self) -> Flight:
        return self.flights[self.flight_key]

    @property
    def origin(self) -> Airport:
        return self.airports[self.flight.origin]

    @property
    def destination(self) -> Airport:
        return self.airports[self.flight.destination]

    @property
    def aircraft_type(self) -> AircraftType | None:
        return self.aircraft_types.get(self.aircraft.type_code) if self.aircraft else None

    def crew_member(self, crew_id: str) -> CrewMember | None:
        return next((c for c in (*self.crew, *self.reserves) if c.crew_id == crew_id), None)


class SnapshotError(ValueError):
    """The event does not match the operational data (unknown flight, airport or tail)."""


ROTATION_BEFORE = timedelta(hours=12)
ROTATION_AFTER = timedelta(hours=36)
REBOOKING_HORIZON = timedelta(hours=48)
MAX_SWAP_CANDIDATES = 12  # the snapshot stays small at a hub with dozens of tails on the ground


class _Reads:
    """What `build_snapshot` has read so far: the registry of flights involved, their airports and the aircraft
    types, each read once."""

    def __init__(self, reader: OpsReader, flight: Flight) -> None:
        self.reader = reader
        self.flights: dict[str, Flight] = {flight.key: flight}
        self.airports: dict[str, Airport] = {}
        self.types: dict[str, AircraftType] = {}

    def airport(self, iata: str) -> None:
        if iata not in self.airports:
            found = self.reader.get_airport(iata)
            if found is None:
                raise SnapshotError(f"airport {iata} is not in the ops data")
            self.airports[iata] = found

    def add_type(self, code: str) -> None:
        if code not in self.types and (t := self.reader.get_aircraft_type(code)) is not None:
            self.types[code] = t

    def tail_flights(self, tail: str, window: tuple[datetime, datetime]) -> list[str]:
        """The keys of the tail's flights in the window, in order (each registered)."""
        keys = []
        for f in self.reader.flights_of_tail(tail, *window):
            self.flights.setdefault(f.key, f)
            keys.append(f.key)
        return keys


def _rotation(reads: _Reads, flight: Flight, window: tuple[datetime, datetime]) -> tuple[Aircraft | None, list[str]]:
    """The disrupted flight's tail and its flights in the window (the flight itself always included)."""
    aircraft = reads.reader.get_aircraft(flight.tail) if flight.tail else None
    rotation: list[str] = []
    if aircraft is not None:
        reads.add_type(aircraft.type_code)
        rotation = reads.tail_flights(aircraft.tail, window)
        if flight.key not in rotation:
            rotation.append(flight.key)
    return aircraft, rotation


def _swap_candidates(
    reads: _Reads, flight: Flight, aircraft: Aircraft | None, window: tuple[datetime, datetime]
) -> tuple[list[Aircraft], dict[str, list[str]]]:
    """Up to `MAX_SWAP_CANDIDATES` other tails at the origin of the same family, with their rotations."""
    swap_candidates: list[Aircraft] = []
    swap_rotations: dict[str, list[str]] = {}
    types = reads.types
    family = (
        types[aircraft.type_code].family if aircraft is not None and aircraft.type_code in types else None
    )
    for a in sorted(reads.reader.aircraft_at_station(flight.origin), key=lambda a: a.tail):
        if aircraft is not None and a.tail == aircraft.tail:
            continue
        reads.add_type(a.type_code)
        if family is not None and (a.type_code not in types or types[a.type_code].family != family):
            continue  # only the same family can take the flight (and its crew's type rating)
        if len(swap_candidates) >= MAX_SWAP_CANDIDATES:
            break
        swap_candidates.append(a)
        swap_rotations[a.tail] = reads.tail_flights(a.tail, window)
    return swap_candidates, swap_rotations


def _crew_and_duties(
    reads: _Reads, flight: Flight
) -> tuple[list[CrewMember], list[CrewMember], dict[str, CrewDuty]]:
    """The rostered crew, the other reserves at the origin that day, and the duties of both (with the flights
    of those duties registered)."""
    reader = reads.reader
    rostered_ids = [*flight.cockpit_crew, *flight.cabin_crew]
    crew = reader.crew(rostered_ids)
    reserves = sorted(
        (r for r in reader.reserves_at(flight.origin, flight.flight_date) if r.crew_id not in rostered_ids),
        key=lambda c: c.crew_id,
    )
    duty_ids = [c.crew_id for c in crew] + [r.crew_id for r in reserves]
    duties = {d.crew_id: d for d in reader.duties(duty_ids, flight.flight_date)}
    for d in duties.values():
        for k in d.flight_keys:
            if k not in reads.flights:
                number, day = split_flight_key(k)
                if (duty_flight := reader.get_flight(number, day)) is not None:
                    reads.flights[k] = duty_flight
    return crew, reserves, duties


def _bookings(reads: _Reads, flight: Flight, avg_fare: float) -> tuple[BookingSummary, list[Booking]]:
    """The flight's bookings in aggregate, and the connecting ones in detail (their onward flights registered)."""
    bookings = reads.reader.bookings_for_flight(flight.key)
    summary = BookingSummary.of(bookings, avg_fare)
    connecting = sorted((b for b in bookings if b.onward is not None), key=lambda b: b.pnr)
    for b in connecting:
        assert b.onward is not None
        if b.onward.key not in reads.flights and (
            onward := reads.reader.get_flight(b.onward.flight_number, b.onward.flight_date)
        ):
            reads.flights[onward.key] = onward
    return summary, connecting


def _rebooking(reads: _Reads, flight: Flight) -> tuple[list[str], dict[str, int]]:
    """Later own flights on the route within `REBOOKING_HORIZON` (not cancelled), in order, and their free
    seats."""
    rebooking: list[str] = []
    free: dict[str, int] = {}
    for f in reads.reader.flights_on_route(
        flight.origin,
        flight.destination,
        flight.std_utc + timedelta(minutes=1),
        flight.std_utc + REBOOKING_HORIZON,
    ):
        if f.key == flight.key or f.status == "cancelled":
            continue
        reads.flights.setdefault(f.key, f)
        rebooking.append(f.key)
        seats = f.capacity
        if seats is None and f.tail and (t := reads.reader.get_aircraft(f.tail)) is not None:
            seats = t.seats
        free[f.key] = max(0, (seats or f.booked_pax) - f.booked_pax)
    return rebooking, free


def build_snapshot(event: DisruptionEvent, reader: OpsReader) -> Snapshot:
    """Read everything the disruption needs, by key and by index only."""
    flight = reader.get_flight(event.flight_number, event.flight_date)
    if flight is None:
        raise SnapshotError(
            f"flight {flight_key(event.flight_number, event.flight_date)} is not in the ops data"
        )
    reads = _Reads(reader, flight)
    reads.airport(flight.origin)
    reads.airport(flight.destination)
    costs = reader.cost_parameters()
    window = (flight.std_utc - ROTATION_BEFORE, flight.std_utc + ROTATION_AFTER)
    aircraft, rotation = _rotation(reads, flight, window)
    swap_candidates, swap_rotations = _swap_candidates(reads, flight, aircraft, window)
    crew, reserves, duties = _crew_and_duties(reads, flight)
    summary, connecting = _bookings(reads, flight, costs.avg_fare)
    rebooking, free = _rebooking(reads, flight)
    flights = reads.flights
    for f in flights.values():
        reads.airport(f.origin)
        reads.airport(f.destination)

    return Snapshot(
        event=event,
        flight_key=flight.key,
        flights=flights,
        airports=reads.airports,
        aircraft_types=reads.types,
        aircraft=aircraft,
        rotation=sorted(rotation, key=lambda k: flights[k].std_utc),
        swap_candidates=swap_candidates,
        swap_rotations=swap_rotations,
        crew=crew,
        reserves=reserves,
        duties=duties,
        bookings=summary,
        connecting_bookings=connecting,
        rebooking_options=rebooking,
        rebooking_free_seats=free,
        cargo=sorted(reader.cargo_for_flight(flight.key), key=lambda s: s.awb),
        cost_parameters=costs,
    )
