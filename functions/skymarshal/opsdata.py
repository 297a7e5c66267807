"""Operational data in DynamoDB (OpsDataTable): the item design, the loader and `DynamoOpsReader`.

Every record is stored as its pydantic JSON in one string attribute, `doc` (defaults left out), next to the
key attributes, so a read is `Model.model_validate_json(item["doc"])`: fast, and exactly the record that was
written. Every `OpsReader` access pattern is a GetItem, a BatchGetItem or a Query — never a Scan.

| entity        | PK                        | SK              | GSI1PK / GSI1SK or GSI2PK / GSI2SK        |
|---------------|---------------------------|-----------------|-------------------------------------------|
| airport       | `AIRPORT#FRA`             | `META`          |                                           |
| aircraft type | `ACTYPE#B789`             | `META`          |                                           |
| aircraft      | `AIRCRAFT#A6-BLA`         | `META`          | GSI1 `STATION#AUH` / `AIRCRAFT#A6-BLA`    |
| flight        | `FLIGHT#EY123/2026-12-01` | `META`          | GSI1 `TAIL#A6-BLA` / `{std}#EY123` (1)    |
|               |                           |                 | GSI2 `ROUTE#AUH#FRA` / `{std}#EY123`      |
| flight (dep.) | `FLIGHT#EY123/2026-12-01` | `DEP`           | GSI1 `DEP#AUH#2026-12-01` / `{std}#EY123` |
| crew member   | `CREW#C10042`             | `META`          |                                           |
| reserve (day) | `CREW#C10042`             | `RESERVE#{day}` | GSI1 `RESERVE#AUH#{day}` / `CREW#C10042`  |
| crew duty     | `CREW#C10042`             | `DUTY#{day}`    |                                           |
| booking       | `FLIGHT#EY123/2026-12-01` | `BOOKING#{pnr}` |                                           |
| cargo         | `FLIGHT#EY123/2026-12-01` | `CARGO#{awb}`   |                                           |
| cost params   | `CONFIG#COSTS`            | `META`          |                                           |
| dataset info  | `CONFIG#DATASET`          | `META`          | (counts, generated_at; no `doc`)          |

- (1) only when the flight has a tail (sparse index).
- `{std}` is the scheduled departure in UTC, fixed width to the microsecond (`2026-12-01T04:35:00.000000Z`),
  so string order is time order and `BETWEEN start AND end` selects exactly `start <= std < end` (the suffix
  `#EY123` sorts after the bare bound). Ties are broken by flight number, as in `InMemoryOpsReader`.
- The departure index lives on a second item per flight (`SK = DEP`): GSI1 already serves the tail rotation
  and GSI2 the route, and one partition per station and UTC day keeps the hub's partitions small.
- A reserve gets one index item per UTC day its standby window touches, so "reserves at AUH on a day" is one
  Query on `RESERVE#AUH#{day}`.
- Bookings and cargo live in the flight's partition: one Query by `begins_with(SK, ...)` returns them.
- Writers that change a flight must write both its `META` and `DEP` items (and a reserve its index items):
  `load_dataset` does; `dataset_items` yields every item of a dataset for other loaders.
- Result order: by the index sort key (time, then flight number; tail; crew id; PNR; AWB). `crew()` and
  `duties()` keep the order of the ids asked for, like `InMemoryOpsReader`.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from skymarshal import aws
from skymarshal.config import settings
from skymarshal.domain.operation import (
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

if TYPE_CHECKING:  # the import document: only the loader takes one (the intake and the steps read)
    from skymarshal.domain.operation import OpsDataset

M = TypeVar("M", bound=BaseModel)

DOC = "doc"
META = "META"
GSI1 = "GSI1"
GSI2 = "GSI2"
_PROJECTION: dict[str, Any] = {"ProjectionExpression": "#doc", "ExpressionAttributeNames": {"#doc": DOC}}


# --------------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------------
def ts(moment: datetime) -> str:
    """Sortable fixed-width UTC timestamp used in sort keys: `2026-12-01T04:35:00.000000Z`."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def airport_pk(iata: str) -> str:
    return f"AIRPORT#{iata}"


def aircraft_type_pk(type_code: str) -> str:
    return f"ACTYPE#{type_code}"


def aircraft_pk(tail: str) -> str:
    return f"AIRCRAFT#{tail}"


def flight_pk(key: str) -> str:
    return f"FLIGHT#{key}"


def crew_pk(crew_id: str) -> str:
    return f"CREW#{crew_id}"


def station_gsi(station: str) -> str:
    return f"STATION#{station}"


def tail_gsi(tail: str) -> str:
    return f"TAIL#{tail}"


def route_gsi(origin: str, destination: str) -> str:
    return f"ROUTE#{origin}#{destination}"


def departures_gsi(station: str, day: date) -> str:
    return f"DEP#{station}#{day.isoformat()}"


def reserves_gsi(station: str, day: date) -> str:
    return f"RESERVE#{station}#{day.isoformat()}"


def duty_sk(day: date) -> str:
    return f"DUTY#{day.isoformat()}"


COSTS_PK = "CONFIG#COSTS"
DATASET_PK = "CONFIG#DATASET"
BOOKING_PREFIX = "BOOKING#"
CARGO_PREFIX = "CARGO#"
DEP_SK = "DEP"


def _doc(record: BaseModel) -> str:
    return record.model_dump_json(exclude_defaults=True)


def _flight_sort(flight: Flight) -> str:
    return f"{ts(flight.std_utc)}#{flight.flight_number}"


def _utc_days(start_utc: datetime, end_utc: datetime) -> list[date]:
    """The UTC dates that the half-open window [start, end) touches."""
    if end_utc <= start_utc:
        return []
    first = start_utc.astimezone(UTC).date()
    last = (end_utc - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _reserve_days(member: CrewMember) -> list[date]:
    if not member.is_reserve or member.reserve_start_utc is None or member.reserve_end_utc is None:
        return []
    return _utc_days(member.reserve_start_utc, member.reserve_end_utc)


# --------------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------------
def flight_items(f: Flight) -> Iterator[tuple[str, dict[str, Any]]]:
    """A flight's META item (tail and route indexes) and its DEP item (departures index)."""
    doc, pk, sort = _doc(f), flight_pk(f.key), _flight_sort(f)
    item = {"PK": pk, "SK": META, "GSI2PK": route_gsi(f.origin, f.destination), "GSI2SK": sort, DOC: doc}
    if f.tail:
        item["GSI1PK"], item["GSI1SK"] = tail_gsi(f.tail), sort
    yield "flights", item
    day = f.std_utc.astimezone(UTC).date()
    yield (
        "departure_index",
        {
            "PK": pk,
            "SK": DEP_SK,
            "GSI1PK": departures_gsi(f.origin, day),
            "GSI1SK": sort,
            DOC: doc,
        },
    )


def _crew_items(c: CrewMember) -> Iterator[tuple[str, dict[str, Any]]]:
    """A crew member's META item and one reserve index item per UTC day of their standby window."""
    doc = _doc(c)
    yield "crew", {"PK": crew_pk(c.crew_id), "SK": META, DOC: doc}
    for day in _reserve_days(c):
        yield (
            "reserve_index",
            {
                "PK": crew_pk(c.crew_id),
                "SK": f"RESERVE#{day.isoformat()}",
                "GSI1PK": reserves_gsi(c.base, day),
                "GSI1SK": crew_pk(c.crew_id),
                DOC: doc,
            },
        )


def dataset_items(dataset: OpsDataset) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every item of a dataset as (entity, item), entity being a key of the counts `load_dataset` returns."""
    for a in dataset.airports:
        yield "airports", {"PK": airport_pk(a.iata), "SK": META, DOC: _doc(a)}
    for t in dataset.aircraft_types:
        yield "aircraft_types", {"PK": aircraft_type_pk(t.type_code), "SK": META, DOC: _doc(t)}
    for ac in dataset.aircraft:
        pk = aircraft_pk(ac.tail)
        yield (
            "aircraft",
            {"PK": pk, "SK": META, "GSI1PK": station_gsi(ac.station), "GSI1SK": pk, DOC: _doc(ac)},
        )
    for f in dataset.flights:
        yield from flight_items(f)
    for c in dataset.crew:
        yield from _crew_items(c)
    for d in dataset.duties:
        yield "duties", {"PK": crew_pk(d.crew_id), "SK": duty_sk(d.duty_date), DOC: _doc(d)}
    for b in dataset.bookings:
        yield "bookings", {"PK": flight_pk(b.flight_key), "SK": BOOKING_PREFIX + b.pnr, DOC: _doc(b)}
    for s in dataset.cargo:
        yield "cargo", {"PK": flight_pk(s.flight_key), "SK": CARGO_PREFIX + s.awb, DOC: _doc(s)}
    yield "cost_parameters", {"PK": COSTS_PK, "SK": META, DOC: _doc(dataset.cost_parameters)}
    yield (
        "dataset",
        {
            "PK": DATASET_PK,
            "SK": META,
            "schema_version": dataset.schema_version,
            "airline": dataset.airline or "",
            "generated_at": dataset.generated_at.isoformat() if dataset.generated_at else "",
            "flights": len(dataset.flights),
            "bookings": len(dataset.bookings),
        },
    )


def load_dataset(dataset: OpsDataset, table_name: str) -> dict[str, int]:
    """Write every item of the dataset with the table's batch writer; returns the item count per entity.

    Items are put (overwriting by key); records removed from a dataset are not deleted from the table.
    """
    counts: dict[str, int] = {}
    with aws.dependency("load operational data"), aws.table(table_name).batch_writer() as writer:
        for entity, item in dataset_items(dataset):
            writer.put_item(Item=item)
            counts[entity] = counts.get(entity, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------------
# Reader
# --------------------------------------------------------------------------------------------------
class DynamoOpsReader:
    """`OpsReader` over OpsDataTable (see the module docstring for the keys): GetItem, BatchGetItem, Query."""

    def __init__(
        self, table_name: str | None = None, *, sleep: Callable[[float], None] = _time.sleep
    ) -> None:
        self.table_name = table_name or settings().ops_table  # OPS_TABLE, from template.yaml Globals
        self._sleep = sleep

    @property
    def _table(self) -> Any:
        return aws.table(self.table_name)

    # -- primitives --------------------------------------------------------------------------------
    def _get(self, pk: str, sk: str, model: type[M]) -> M | None:
        with aws.dependency(f"read {pk}"):
            item = self._table.get_item(Key={"PK": pk, "SK": sk}, **_PROJECTION).get("Item")
        return None if item is None else model.model_validate_json(item[DOC])

    def _query(self, model: type[M], key_condition: Any, index: str | None = None) -> list[M]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": key_condition, **_PROJECTION}
        if index is not None:
            kwargs["IndexName"] = index
        items = aws.query(self._table, "query operational data", **kwargs)
        return [model.model_validate_json(item[DOC]) for item in items]

    def _batch_get(self, keys: list[tuple[str, str]], model: type[M]) -> dict[tuple[str, str], M]:
        items = aws.batch_get(self._table.meta.client, self.table_name, keys, "batch read operational data",
                              sleep=self._sleep, **{**_PROJECTION, "ProjectionExpression": "PK, SK, #doc"})
        return {key: model.model_validate_json(item[DOC]) for key, item in items.items()}

    def _flights_between(
        self, index: str, partition: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]:
        if end_utc <= start_utc:
            return []
        condition = Key(f"{index}PK").eq(partition) & Key(f"{index}SK").between(ts(start_utc), ts(end_utc))
        return [f for f in self._query(Flight, condition, index) if start_utc <= f.std_utc < end_utc]

    # -- OpsReader ---------------------------------------------------------------------------------
    def get_flight(self, flight_number: str, flight_date: date) -> Flight | None:
        return self._get(flight_pk(flight_key(flight_number, flight_date)), META, Flight)

    def get_airport(self, iata: str) -> Airport | None:
        return self._get(airport_pk(iata), META, Airport)

    def get_aircraft(self, tail: str) -> Aircraft | None:
        return self._get(aircraft_pk(tail), META, Aircraft)

    def get_aircraft_type(self, type_code: str) -> AircraftType | None:
        return self._get(aircraft_type_pk(type_code), META, AircraftType)

    def aircraft_at_station(self, station: str) -> list[Aircraft]:
        condition = Key("GSI1PK").eq(station_gsi(station)) & Key("GSI1SK").begins_with("AIRCRAFT#")
        return self._query(Aircraft, condition, GSI1)

    def flights_of_tail(self, tail: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        return self._flights_between(GSI1, tail_gsi(tail), start_utc, end_utc)

    def crew(self, crew_ids: Iterable[str]) -> list[CrewMember]:
        ids = list(crew_ids)
        found = self._batch_get([(crew_pk(c), META) for c in ids], CrewMember)
        return [m for c in ids if (m := found.get((crew_pk(c), META))) is not None]

    def duties(self, crew_ids: Iterable[str], duty_date: date) -> list[CrewDuty]:
        ids, sk = list(crew_ids), duty_sk(duty_date)
        found = self._batch_get([(crew_pk(c), sk) for c in ids], CrewDuty)
        return [d for c in ids if (d := found.get((crew_pk(c), sk))) is not None]

    def reserves_at(self, station: str, duty_date: date) -> list[CrewMember]:
        day_start = datetime.combine(duty_date, time(0), tzinfo=UTC)
        day_end = day_start + timedelta(days=1)
        found = self._query(CrewMember, Key("GSI1PK").eq(reserves_gsi(station, duty_date)), GSI1)
        return [
            c
            for c in found
            if c.reserve_start_utc is not None
            and c.reserve_end_utc is not None
            and c.reserve_start_utc < day_end
            and c.reserve_end_utc > day_start
        ]

    def bookings_for_flight(self, flight_key: str) -> list[Booking]:
        condition = Key("PK").eq(flight_pk(flight_key)) & Key("SK").begins_with(BOOKING_PREFIX)
        return self._query(Booking, condition)

    def cargo_for_flight(self, flight_key: str) -> list[CargoShipment]:
        condition = Key("PK").eq(flight_pk(flight_key)) & Key("SK").begins_with(CARGO_PREFIX)
        return self._query(CargoShipment, condition)

    def flights_on_route(
        self, origin: str, destination: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]:
        return self._flights_between(GSI2, route_gsi(origin, destination), start_utc, end_utc)

    def departures(self, station: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        out: list[Flight] = []
        for day in _utc_days(start_utc, end_utc):
            out.extend(self._flights_between(GSI1, departures_gsi(station, day), start_utc, end_utc))
        return out

    def cost_parameters(self) -> CostParameters:
        return self._get(COSTS_PK, META, CostParameters) or CostParameters()
