"""The access patterns the snapshot reads (`OpsReader`), each by key or by an index (never a scan), that a
DynamoDB reader implements; `InMemoryOpsReader` builds the same indexes once over a dataset (tests,
`--ops-data FILE`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from .records import (
    Aircraft,
    AircraftType,
    Airport,
    Booking,
    CargoShipment,
    CostParameters,
    CrewDuty,
    CrewMember,
    Flight,
    flight_key,
)

if TYPE_CHECKING:  # the import document: only the in-memory reader takes one (the intake reads DynamoDB)
    from .document import OpsDataset


class OpsReader(Protocol):
    """What the snapshot reads. Each call is a key lookup or an index query, never a table scan."""

    def get_flight(self, flight_number: str, flight_date: date) -> Flight | None: ...
    def get_airport(self, iata: str) -> Airport | None: ...
    def get_aircraft(self, tail: str) -> Aircraft | None: ...
    def get_aircraft_type(self, type_code: str) -> AircraftType | None: ...
    def aircraft_at_station(self, station: str) -> list[Aircraft]: ...
    def flights_of_tail(self, tail: str, start_utc: datetime, end_utc: datetime) -> list[Flight]: ...
    def crew(self, crew_ids: Iterable[str]) -> list[CrewMember]: ...
    def duties(self, crew_ids: Iterable[str], duty_date: date) -> list[CrewDuty]: ...
    def reserves_at(self, station: str, duty_date: date) -> list[CrewMember]: ...
    def bookings_for_flight(self, flight_key: str) -> list[Booking]: ...
    def cargo_for_flight(self, flight_key: str) -> list[CargoShipment]: ...
    def flights_on_route(
        self, origin: str, destination: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]: ...
    def departures(self, station: str, start_utc: datetime, end_utc: datetime) -> list[Flight]: ...
    def cost_parameters(self) -> CostParameters: ...


def _in_window(flights: Iterable[Flight], start_utc: datetime, end_utc: datetime) -> list[Flight]:
    return [f for f in flights if start_utc <= f.std_utc < end_utc]


class InMemoryOpsReader:
    """`OpsReader` over an `OpsDataset`, with the same indexes a DynamoDB table would have (built once)."""

    def __init__(self, dataset: OpsDataset) -> None:
        self.dataset = dataset
        self._airports = {a.iata: a for a in dataset.airports}
        self._types = {t.type_code: t for t in dataset.aircraft_types}
        self._aircraft = {a.tail: a for a in dataset.aircraft}
        self._flights = {f.key: f for f in dataset.flights}
        self._crew = {c.crew_id: c for c in dataset.crew}
        self._duties = {(d.crew_id, d.duty_date): d for d in dataset.duties}
        by_station: dict[str, list[Aircraft]] = defaultdict(list)
        for a in dataset.aircraft:
            by_station[a.station].append(a)
        self._by_station = dict(by_station)
        by_tail: dict[str, list[Flight]] = defaultdict(list)
        by_route: dict[tuple[str, str], list[Flight]] = defaultdict(list)
        by_origin: dict[str, list[Flight]] = defaultdict(list)
        for f in sorted(dataset.flights, key=lambda f: (f.std_utc, f.flight_number)):
            if f.tail:
                by_tail[f.tail].append(f)
            by_route[(f.origin, f.destination)].append(f)
            by_origin[f.origin].append(f)
        self._by_tail, self._by_route, self._by_origin = dict(by_tail), dict(by_route), dict(by_origin)
        reserves: dict[str, list[CrewMember]] = defaultdict(list)
        for c in dataset.crew:
            if c.is_reserve:
                reserves[c.base].append(c)
        self._reserves = dict(reserves)
        bookings: dict[str, list[Booking]] = defaultdict(list)
        for b in dataset.bookings:
            bookings[b.flight_key].append(b)
        self._bookings = dict(bookings)
        cargo: dict[str, list[CargoShipment]] = defaultdict(list)
        for s in dataset.cargo:
            cargo[s.flight_key].append(s)
        self._cargo = dict(cargo)

    def get_flight(self, flight_number: str, flight_date: date) -> Flight | None:
        return self._flights.get(flight_key(flight_number, flight_date))

    def get_airport(self, iata: str) -> Airport | None:
        return self._airports.get(iata)

    def get_aircraft(self, tail: str) -> Aircraft | None:
        return self._aircraft.get(tail)

    def get_aircraft_type(self, type_code: str) -> AircraftType | None:
        return self._types.get(type_code)

    def aircraft_at_station(self, station: str) -> list[Aircraft]:
        return list(self._by_station.get(station, []))

    def flights_of_tail(self, tail: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        return _in_window(self._by_tail.get(tail, []), start_utc, end_utc)

    def crew(self, crew_ids: Iterable[str]) -> list[CrewMember]:
        return [self._crew[c] for c in crew_ids if c in self._crew]

    def duties(self, crew_ids: Iterable[str], duty_date: date) -> list[CrewDuty]:
        return [d for c in crew_ids if (d := self._duties.get((c, duty_date))) is not None]

    def reserves_at(self, station: str, duty_date: date) -> list[CrewMember]:
        day_start = datetime.combine(duty_date, time(0), tzinfo=UTC)
        day_end = day_start + timedelta(days=1)
        return [
            c
            for c in self._reserves.get(station, [])
            if c.reserve_start_utc is not None
            and c.reserve_end_utc is not None
            and c.reserve_start_utc < day_end
            and c.reserve_end_utc > day_start
        ]

    def bookings_for_flight(self, flight_key: str) -> list[Booking]:
        return list(self._bookings.get(flight_key, []))

    def cargo_for_flight(self, flight_key: str) -> list[CargoShipment]:
        return list(self._cargo.get(flight_key, []))

    def flights_on_route(
        self, origin: str, destination: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]:
        return _in_window(self._by_route.get((origin, destination), []), start_utc, end_utc)

    def departures(self, station: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        return _in_window(self._by_origin.get(station, []), start_utc, end_utc)

    def cost_parameters(self) -> CostParameters:
        return self.dataset.cost_parameters

