"""The import document: `OpsDataset` is the ONE import document (JSON, `schema_version` "1"): airports,
aircraft types, aircraft, flights, crew, duties, bookings, cargo and cost parameters; cross-references are
checked with clear errors. `skymarshal schema ops-data` prints its JSON Schema.
"""

from collections.abc import Iterable
from itertools import pairwise
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

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
)


class OpsDataset(Record):
    """The one import document. `skymarshal schema ops-data` prints its JSON Schema."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    generated_at: AwareDatetime | None = None
    airline: str | None = None
    airports: list[Airport] = Field(default_factory=list)
    aircraft_types: list[AircraftType] = Field(default_factory=list)
    aircraft: list[Aircraft] = Field(default_factory=list)
    flights: list[Flight] = Field(default_factory=list)
    crew: list[CrewMember] = Field(default_factory=list)
    duties: list[CrewDuty] = Field(default_factory=list)
    bookings: list[Booking] = Field(default_factory=list)
    cargo: list[CargoShipment] = Field(default_factory=list)
    cost_parameters: CostParameters = Field(default_factory=CostParameters)

    @model_validator(mode="after")
    def _cross_references(self) -> "OpsDataset":
        errors = dataset_errors(self)
        if errors:
            shown = errors[:25]
            more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
            raise ValueError("ops dataset cross-reference errors:\n  " + "\n  ".join(shown) + more)
        return self


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for v in values:
        if v in seen:
            dup.append(v)
        seen.add(v)
    return dup


def dataset_errors(ds: OpsDataset) -> list[str]:
    """Every cross-reference problem, each as `field[index].name: value — reason`."""
    return [*_duplicate_errors(ds), *_fleet_and_schedule_errors(ds), *_roster_and_load_errors(ds),
            *_impossible_schedule_errors(ds)]


def _duplicate_errors(ds: OpsDataset) -> list[str]:
    """Keys given twice (the first five of each kind)."""
    errors: list[str] = []
    for name, values in (
        ("airports.iata", (a.iata for a in ds.airports)),
        ("aircraft_types.type_code", (t.type_code for t in ds.aircraft_types)),
        ("aircraft.tail", (a.tail for a in ds.aircraft)),
        ("flights (flight_number, flight_date)", (f.key for f in ds.flights)),
        ("crew.crew_id", (c.crew_id for c in ds.crew)),
        ("duties (crew_id, duty_date)", (f"{d.crew_id}/{d.duty_date}" for d in ds.duties)),
        ("bookings (pnr, flight_key)", (f"{b.pnr}@{b.flight_key}" for b in ds.bookings)),
        ("cargo (awb, flight_key)", (f"{c.awb}@{c.flight_key}" for c in ds.cargo)),
    ):
        for dup in _duplicates(values)[:5]:
            errors.append(f"{name}: {dup!r} is duplicated")
    return errors


def _fleet_and_schedule_errors(ds: OpsDataset) -> list[str]:
    """Aircraft, flights and crew that name an unknown aircraft type, airport, tail or crew member."""
    errors: list[str] = []
    airports = {a.iata for a in ds.airports}
    types = {t.type_code for t in ds.aircraft_types}
    tails = {a.tail for a in ds.aircraft}
    crew = {c.crew_id for c in ds.crew}
    for i, a in enumerate(ds.aircraft):
        if types and a.type_code not in types:
            errors.append(f"aircraft[{i}].type_code: {a.type_code!r} is not in aircraft_types")
        for field in ("home_base", "station"):
            if getattr(a, field) not in airports:
                errors.append(f"aircraft[{i}].{field}: {getattr(a, field)!r} is not in airports")
    for i, f in enumerate(ds.flights):
        for field in ("origin", "destination"):
            if getattr(f, field) not in airports:
                errors.append(f"flights[{i}].{field}: {getattr(f, field)!r} is not in airports")
        if f.tail is not None and f.tail not in tails:
            errors.append(f"flights[{i}].tail: {f.tail!r} is not in aircraft")
        for field in ("cockpit_crew", "cabin_crew"):
            for cid in getattr(f, field):
                if cid not in crew:
                    errors.append(f"flights[{i}].{field}: {cid!r} is not in crew")
    for i, c in enumerate(ds.crew):
        if c.base not in airports:
            errors.append(f"crew[{i}].base: {c.base!r} is not in airports")
    return errors


def _roster_and_load_errors(ds: OpsDataset) -> list[str]:
    """Duties, bookings and cargo that name an unknown crew member or flight."""
    errors: list[str] = []
    flights = {f.key for f in ds.flights}
    crew = {c.crew_id for c in ds.crew}
    for i, d in enumerate(ds.duties):
        if d.crew_id not in crew:
            errors.append(f"duties[{i}].crew_id: {d.crew_id!r} is not in crew")
        for k in d.flight_keys:
            if k not in flights:
                errors.append(f"duties[{i}].flight_keys: {k!r} is not in flights")
    for i, b in enumerate(ds.bookings):
        if b.flight_key not in flights:
            errors.append(f"bookings[{i}].flight_key: {b.flight_key!r} is not in flights")
        if b.onward is not None and b.onward.key not in flights and b.onward.std_utc is None:
            errors.append(
                f"bookings[{i}].onward: {b.onward.key!r} is not in flights, so onward.std_utc is required"
            )
    for i, s in enumerate(ds.cargo):
        if s.flight_key not in flights:
            errors.append(f"cargo[{i}].flight_key: {s.flight_key!r} is not in flights")
    return errors


MAX_REPORTED = 5  # of each kind of impossible schedule: enough to find the records, never a flood


def _impossible_schedule_errors(ds: OpsDataset) -> list[str]:
    """What no real operation can fly (scheduled times, cancelled flights aside): one crew member twice on a
    flight, a crew member on two flights at once, one tail on two flights at once. Each names both records."""
    flying = [(i, f) for i, f in enumerate(ds.flights) if f.status != "cancelled"]
    errors: list[str] = []
    for i, f in flying:
        for cid in _duplicates([*f.cockpit_crew, *f.cabin_crew])[:MAX_REPORTED]:
            errors.append(f"flights[{i}]: crew member {cid!r} is listed twice on {f.key}")
    by_tail: dict[str, list[tuple[int, Flight]]] = {}
    by_crew: dict[str, list[tuple[int, Flight]]] = {}
    for i, f in flying:
        if f.tail:
            by_tail.setdefault(f.tail, []).append((i, f))
        for cid in dict.fromkeys([*f.cockpit_crew, *f.cabin_crew]):
            by_crew.setdefault(cid, []).append((i, f))
    errors += _overlaps(by_tail, "tail", "aircraft")[:MAX_REPORTED]
    errors += _overlaps(by_crew, "crew", "crew member")[:MAX_REPORTED]
    return errors


def _overlaps(groups: dict[str, list[tuple[int, Flight]]], field: str, what: str) -> list[str]:
    found: list[str] = []
    for key, flights in groups.items():
        ordered = sorted(flights, key=lambda item: item[1].std_utc)
        for (i, a), (j, b) in pairwise(ordered):
            if b.std_utc < a.sta_utc:
                found.append(f"flights[{j}].{field}: {what} {key!r} is already on flights[{i}] {a.key} "
                             f"({a.std_utc:%H:%MZ}-{a.sta_utc:%H:%MZ}) when {b.key} departs at {b.std_utc:%H:%MZ}")
    return found
