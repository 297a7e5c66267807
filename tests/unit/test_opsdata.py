"""The operational data layer: DynamoOpsReader answers exactly like InMemoryOpsReader, by key and index only,
and the generated hub day is deterministic, valid and realistic.

The DynamoDB table is created in moto from template.yaml's OpsDataTable definition (keys, GSIs), so the tests
follow the template.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws
from moto_tables import offline_aws, table_definition

from skymarshal import aws
from skymarshal.domain.curfew import in_curfew
from skymarshal.domain.ftl import max_fdp_minutes
from skymarshal.domain.mel import deferral_expired
from skymarshal.domain.operation import CostParameters, InMemoryOpsReader, OpsDataset, dataset_errors
from skymarshal.errors import TransientDependencyError
from skymarshal.opsdata import DynamoOpsReader, dataset_items, load_dataset
from skymarshal_local.datagen import (
    SAMPLE_FLIGHTS,
    DatasetFileError,
    generate_day,
    read_dataset,
    summary,
    write_dataset,
)
from skymarshal_local.operations import seed

ROOT = Path(__file__).resolve().parents[2]
TABLE = "skymarshal-test-ops"
DAY = date(2026, 12, 1)
SMALL = 0.05
UTC_TZ = ZoneInfo("UTC")


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_day() -> OpsDataset:
    return generate_day(scale=SMALL)


@pytest.fixture(scope="module")
def full_day() -> OpsDataset:
    return generate_day()


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    with offline_aws():
        yield


@pytest.fixture(scope="module")
def table_day(small_day: OpsDataset) -> OpsDataset:
    """The small day with bookings and cargo kept for the sample flights and every fourth other flight.

    moto answers a Query by walking the whole table (real DynamoDB reads one partition), so fewer booking
    items keep these tests fast; every other record is there.
    """
    keep = {f.key for f in small_day.flights[::4]}
    keep |= {f.key for f in small_day.flights if f.flight_number in SAMPLE_FLIGHTS}
    return small_day.model_copy(
        update={
            "bookings": [b for b in small_day.bookings if b.flight_key in keep],
            "cargo": [s for s in small_day.cargo if s.flight_key in keep],
        }
    )


@pytest.fixture(scope="module")
def loaded(aws_env: None, table_day: OpsDataset) -> Iterator[tuple[DynamoOpsReader, dict[str, int]]]:
    with mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(TableName=TABLE, **table_definition("OpsDataTable"))
        counts = load_dataset(table_day, TABLE)
        yield DynamoOpsReader(TABLE), counts
    aws.reset()


class NoScan:
    """Records every DynamoDB operation the reader's client makes; a Scan fails the test on the spot."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def record(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def refuse(self, **_: Any) -> None:
        raise AssertionError("DynamoDB Scan on the operational data table")


@pytest.fixture
def dynamo(loaded: tuple[DynamoOpsReader, dict[str, int]]) -> Iterator[DynamoOpsReader]:
    """The reader over the loaded table, with a guard that refuses Scan and checks the operations used."""
    reader, _ = loaded
    guard = NoScan()
    events = aws.table(TABLE).meta.client.meta.events
    events.register("before-call.dynamodb", guard.record, unique_id="opsdata-record")
    events.register("before-call.dynamodb.Scan", guard.refuse, unique_id="opsdata-no-scan")
    try:
        yield reader
    finally:
        events.unregister("before-call.dynamodb", unique_id="opsdata-record")
        events.unregister("before-call.dynamodb.Scan", unique_id="opsdata-no-scan")
    assert guard.operations, "the reader made no DynamoDB call"
    assert set(guard.operations) <= {"GetItem", "BatchGetItem", "Query"}, guard.operations


@pytest.fixture(scope="module")
def memory(table_day: OpsDataset) -> InMemoryOpsReader:
    return InMemoryOpsReader(table_day)


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# DynamoOpsReader ≡ InMemoryOpsReader
# --------------------------------------------------------------------------------------------------
def test_loader_writes_every_record_once_with_its_index_items(
    loaded: tuple[DynamoOpsReader, dict[str, int]], table_day: OpsDataset
) -> None:
    _, counts = loaded
    ds = table_day
    assert counts["airports"] == len(ds.airports)
    assert counts["aircraft"] == len(ds.aircraft)
    assert counts["flights"] == counts["departure_index"] == len(ds.flights)
    assert counts["crew"] == len(ds.crew)
    assert counts["reserve_index"] >= sum(1 for c in ds.crew if c.is_reserve)
    assert counts["duties"] == len(ds.duties)
    assert counts["bookings"] == len(ds.bookings)
    assert counts["cargo"] == len(ds.cargo)
    assert counts["cost_parameters"] == 1
    keys = [(item["PK"], item["SK"]) for _, item in dataset_items(ds)]
    assert len(keys) == len(set(keys)), "two records map to the same DynamoDB key"


def test_key_lookups_match(dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset) -> None:
    for f in table_day.flights:
        assert dynamo.get_flight(f.flight_number, f.flight_date) == memory.get_flight(
            f.flight_number, f.flight_date
        )
    assert dynamo.get_flight("EY9999", DAY) is None
    for a in table_day.airports:
        assert dynamo.get_airport(a.iata) == memory.get_airport(a.iata)
    assert dynamo.get_airport("XXX") is None
    for ac in table_day.aircraft:
        assert dynamo.get_aircraft(ac.tail) == memory.get_aircraft(ac.tail)
    assert dynamo.get_aircraft("A6-ZZZ") is None
    for t in table_day.aircraft_types:
        assert dynamo.get_aircraft_type(t.type_code) == memory.get_aircraft_type(t.type_code)
    assert dynamo.get_aircraft_type("C919") is None
    assert dynamo.cost_parameters() == memory.cost_parameters()


def test_aircraft_at_station_matches(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    for a in table_day.airports:
        assert dynamo.aircraft_at_station(a.iata) == memory.aircraft_at_station(a.iata), a.iata
    assert dynamo.aircraft_at_station("XXX") == []


def test_crew_and_duties_batch_reads_keep_the_order_asked(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    ids = [c.crew_id for c in table_day.crew]
    assert len(ids) > 100  # more than one BatchGetItem request
    asked = [*reversed(ids), "NOBODY", ids[0], ids[5]]
    assert dynamo.crew(asked) == memory.crew(asked)
    assert dynamo.crew([]) == []
    for day in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)):
        assert dynamo.duties(asked, day) == memory.duties(asked, day), day


def test_reserves_by_station_and_day_match(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    found = 0
    for a in table_day.airports:
        for offset in (-1, 0, 1, 2):
            day = DAY + timedelta(days=offset)
            expected = memory.reserves_at(a.iata, day)
            assert dynamo.reserves_at(a.iata, day) == expected, (a.iata, day)
            found += len(expected)
    assert found > 0


def test_bookings_and_cargo_of_a_flight_match(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    with_bookings = 0
    kept = {b.flight_key for b in table_day.bookings}
    flights = [f for f in table_day.flights if f.key in kept] + [
        f for f in table_day.flights if f.key not in kept
    ][:4]
    for f in flights:
        bookings = dynamo.bookings_for_flight(f.key)
        assert bookings == memory.bookings_for_flight(f.key), f.key
        assert dynamo.cargo_for_flight(f.key) == memory.cargo_for_flight(f.key), f.key
        with_bookings += bool(bookings)
    assert with_bookings >= 10
    assert dynamo.bookings_for_flight("EY9999/2026-12-01") == []


def test_readers_in_several_threads_each_get_their_own_answers(
    loaded: tuple[DynamoOpsReader, dict[str, int]], memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    """The local operations (fleet storm, console) read from threads. A boto3 resource shared between threads
    builds their conditions' placeholders with one builder, and a query could go out with another thread's
    key names: "Query condition missed key schema element: PK" (boto/boto3#1332). Each thread gets its own."""
    reader, _ = loaded
    flights = [f.key for f in table_day.flights[::4]][:6]
    stations = [a.iata for a in table_day.airports][:6]
    failures: list[str] = []
    start = threading.Barrier(len(flights))

    def work(flight: str, station: str) -> None:
        start.wait()
        for _ in range(25):
            try:
                if reader.bookings_for_flight(flight) != memory.bookings_for_flight(flight):
                    failures.append(f"bookings of {flight}")
                if reader.aircraft_at_station(station) != memory.aircraft_at_station(station):
                    failures.append(f"aircraft at {station}")
            except Exception as exc:  # collected and reported by the test
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=pair) for pair in zip(flights, stations, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    tables: list[Any] = []
    other = threading.Thread(target=lambda: tables.append(aws.table(TABLE)))
    other.start()
    other.join()
    assert tables[0] is not aws.table(TABLE)  # one resource per thread...
    assert aws.table(TABLE) is aws.table(TABLE)  # ...kept warm within it


def test_time_windows_include_the_start_and_exclude_the_end(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    flight = next(f for f in table_day.flights if f.flight_number == "EY123")
    std = flight.std_utc
    windows = [
        (at(0), at(0, day=DAY + timedelta(days=3))),  # everything
        (std, std + timedelta(hours=12)),  # starts exactly at a departure: included
        (std - timedelta(hours=12), std),  # ends exactly at a departure: excluded
        (std, std),  # empty
        (std + timedelta(hours=1), std - timedelta(hours=1)),  # reversed: empty
        (at(23, 0, DAY - timedelta(days=1)), at(1, 0, DAY + timedelta(days=1))),  # spans three UTC days
        (
            std.astimezone(ZoneInfo("Asia/Dubai")),
            (std + timedelta(hours=6)).astimezone(ZoneInfo("Asia/Dubai")),
        ),
    ]
    assert flight.tail is not None
    for start, end in windows:
        assert dynamo.flights_of_tail(flight.tail, start, end) == memory.flights_of_tail(
            flight.tail, start, end
        )
        assert dynamo.flights_on_route("AUH", "FRA", start, end) == memory.flights_on_route(
            "AUH", "FRA", start, end
        )
        assert dynamo.departures("AUH", start, end) == memory.departures("AUH", start, end)
    assert flight in dynamo.flights_of_tail(flight.tail, std, std + timedelta(minutes=1))
    assert flight not in dynamo.departures("AUH", std - timedelta(hours=1), std)


def test_every_rotation_route_and_departure_board_matches(
    dynamo: DynamoOpsReader, memory: InMemoryOpsReader, table_day: OpsDataset
) -> None:
    start, end = at(0), at(0, day=DAY + timedelta(days=2))
    for tail in sorted({f.tail for f in table_day.flights if f.tail}):
        assert dynamo.flights_of_tail(tail, start, end) == memory.flights_of_tail(tail, start, end), tail
    for origin, destination in sorted({(f.origin, f.destination) for f in table_day.flights}):
        got = dynamo.flights_on_route(origin, destination, start, end)
        assert got == memory.flights_on_route(origin, destination, start, end), (origin, destination)
    for a in table_day.airports:
        assert dynamo.departures(a.iata, start, end) == memory.departures(a.iata, start, end), a.iata


def test_the_scan_guard_catches_a_scan(dynamo: DynamoOpsReader) -> None:
    with pytest.raises(AssertionError, match="Scan"):
        aws.table(TABLE).scan(Limit=1)
    dynamo.get_airport("AUH")


def test_an_empty_table_reads_as_nothing_and_default_costs(aws_env: None) -> None:
    with mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(TableName="empty-ops", **table_definition("OpsDataTable"))
        reader = DynamoOpsReader("empty-ops")
        assert reader.get_flight("EY123", DAY) is None
        assert reader.crew(["C10001"]) == []
        assert reader.reserves_at("AUH", DAY) == []
        assert reader.cost_parameters() == CostParameters()
    aws.reset()


class _FlakyClient:
    """BatchGetItem that leaves keys unprocessed for a number of rounds."""

    def __init__(self, table: str, items: dict[tuple[str, str], str], unprocessed_rounds: int) -> None:
        self.table, self.items, self.rounds, self.calls = table, items, unprocessed_rounds, 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # boto3's parameter name
        self.calls += 1
        keys = RequestItems[self.table]["Keys"]
        if self.calls <= self.rounds:
            return {"Responses": {self.table: []}, "UnprocessedKeys": RequestItems}
        found = [
            {"PK": k["PK"], "SK": k["SK"], "doc": self.items[(k["PK"], k["SK"])]}
            for k in keys
            if (k["PK"], k["SK"]) in self.items
        ]
        return {"Responses": {self.table: found}, "UnprocessedKeys": {}}


def test_unprocessed_batch_keys_are_retried_then_reported_as_transient(
    monkeypatch: pytest.MonkeyPatch, table_day: OpsDataset
) -> None:
    member = table_day.crew[0]
    items = {(f"CREW#{member.crew_id}", "META"): member.model_dump_json()}
    sleeps: list[float] = []

    def reader_with(client: _FlakyClient) -> DynamoOpsReader:
        table = type("T", (), {"meta": type("M", (), {"client": client})()})()
        monkeypatch.setattr(aws, "table", lambda name: table)
        return DynamoOpsReader("t", sleep=sleeps.append)

    assert reader_with(_FlakyClient("t", items, 2)).crew([member.crew_id]) == [member]
    assert sleeps == [0.05, 0.1]
    with pytest.raises(TransientDependencyError, match="unprocessed"):
        reader_with(_FlakyClient("t", items, 99)).crew([member.crew_id])


# --------------------------------------------------------------------------------------------------
# The generated day
# --------------------------------------------------------------------------------------------------
def _digest(ds: OpsDataset) -> str:
    return hashlib.sha256(ds.model_dump_json().encode()).hexdigest()


def test_same_seed_gives_the_same_day_byte_for_byte(small_day: OpsDataset) -> None:
    assert generate_day(scale=SMALL).model_dump_json() == small_day.model_dump_json()
    assert generate_day(scale=SMALL, seed=8).model_dump_json() != small_day.model_dump_json()
    assert generate_day(day=date(2026, 12, 2), scale=SMALL).model_dump_json() != small_day.model_dump_json()


# sha256 of generate_day(scale=SMALL).model_dump_json() (default day and seed), pinned when datagen.py became a
# package (moved, not changed). A deliberate change to the generator or its data/*.json updates it, and says why:
# updated when flights gained operating_carrier/community_carrier (EU261 scope) and curfews export as HH:MM.
SMALL_DAY_DIGEST = "6e79c795a3a06f1c07115c2a42d4ad8e716ac394ce80cc334e3f7dc567583351"


def test_the_small_day_is_the_pinned_one_byte_for_byte(small_day: OpsDataset) -> None:
    assert _digest(small_day) == SMALL_DAY_DIGEST


def test_the_reference_data_files_ship_with_the_package() -> None:
    package = ROOT / "local" / "skymarshal_local" / "datagen"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["skymarshal_local.datagen"]
    files = sorted(p.relative_to(package) for p in (package / "data").iterdir())
    assert files
    assert [f for f in files if not any(f.match(pattern) for pattern in patterns)] == []


def test_the_day_does_not_depend_on_hash_randomisation(small_day: OpsDataset) -> None:
    code = (
        "import hashlib; from skymarshal_local.datagen import generate_day; "
        f"print(hashlib.sha256(generate_day(scale={SMALL}).model_dump_json().encode()).hexdigest())"
    )
    env = {
        **os.environ,
        "PYTHONHASHSEED": "4242",
        "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT / 'local'}",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(small_day)


def test_written_dataset_reads_back_identical(tmp_path: Path, small_day: OpsDataset) -> None:
    plain = write_dataset(small_day, tmp_path / "day.json")
    assert OpsDataset.model_validate_json(plain.read_bytes()) == small_day
    packed = write_dataset(small_day, tmp_path / "nested" / "day.json.gz")
    assert read_dataset(packed) == read_dataset(plain) == small_day
    assert packed.stat().st_size < plain.stat().st_size / 4


_GZIPPED_EMPTY = gzip.compress(b"{}", mtime=0)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("missing.json", None, "No such file or directory", id="missing"),
        pytest.param("cut.json", b'{"airline": ', "Invalid JSON", id="not-json"),
        pytest.param(
            "bad.json",
            b'{"flights": [{"flight_number": 5}]}',
            "flights.0.flight_number: Input should be a valid string",
            id="invalid-field",
        ),
        pytest.param("day.json", _GZIPPED_EMPTY, "Invalid JSON", id="gzip-not-named-gz"),
        pytest.param("day.json.gz", b"{}", "Not a gzipped file", id="gz-not-gzip"),
        pytest.param("cut.json.gz", _GZIPPED_EMPTY[:-8], "Compressed file ended", id="gz-truncated"),
    ],
)
def test_an_unreadable_dataset_file_is_reported_with_its_name_and_reason(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetFileError) as caught:
        read_dataset(path)
    assert str(caught.value).startswith(f"{path}: ") and reason in str(caught.value)
    with pytest.raises(seed.OpsDataError) as from_seed:  # the CLI's reader is the same reader
        seed.read_dataset(path)
    assert str(from_seed.value) == str(caught.value)


def test_sample_event_flights_exist_as_in_the_scenarios(small_day: OpsDataset) -> None:
    reader = InMemoryOpsReader(small_day)
    for number, (origin, destination, std, tail) in SAMPLE_FLIGHTS.items():
        flight = reader.get_flight(number, DAY)
        assert flight is not None, number
        assert (flight.origin, flight.destination, flight.tail) == (origin, destination, tail)
        assert flight.std_utc == at(std.hour, std.minute)
        assert flight.cockpit_crew[:2] == [f"C{number[2:]}A", f"F{number[2:]}A"]
        assert flight.cabin_crew[0] == f"S{number[2:]}A" and len(flight.cabin_crew) >= 6
        crew = [*flight.cockpit_crew, *flight.cabin_crew]
        assert len(reader.duties(crew, DAY)) == len(crew)
        bookings = reader.bookings_for_flight(flight.key)
        assert sum(b.pax_count for b in bookings) == flight.booked_pax > 0
        assert any(b.onward is not None for b in bookings), number
        assert any(s.handling_codes for s in reader.cargo_for_flight(flight.key)), number
        reserves = reader.reserves_at(origin, DAY)
        assert {r.rank for r in reserves} == {"CPT", "FO", "SCCM", "CC"}
    ey789 = reader.get_aircraft(SAMPLE_FLIGHTS["EY789"][3])
    assert ey789 is not None and any(deferral_expired(d, DAY) for d in ey789.defects)
    ey123 = reader.get_flight("EY123", DAY)
    assert ey123 is not None
    fo = reader.duties([ey123.cockpit_crew[1]], DAY)[0]
    assert fo.report_time_utc is not None
    planned = (ey123.sta_utc - fo.report_time_utc).total_seconds() / 3600
    assert 60 - 3 < fo.duty_hours_7d + planned <= 60  # a 3-hour delay breaks ORO.FTL.210


def test_full_day_has_hub_airline_orders_of_magnitude(full_day: OpsDataset) -> None:
    counts = summary(full_day)
    assert 41 <= counts["airports"] <= 61
    assert 130 <= counts["aircraft"] <= 170
    assert 800 <= counts["flights"] <= 1200
    assert 2500 <= counts["crew"] <= 5000
    assert 0.03 <= counts["reserves"] / counts["crew"] <= 0.08
    assert 120_000 <= counts["bookings"] <= 180_000
    assert counts["cargo"] >= 3000
    assert dataset_errors(full_day) == []
    types = {t.type_code: t for t in full_day.aircraft_types}
    assert {t.family for t in types.values()} >= {"A320", "B787", "A350", "B777"}
    on_day = [f for f in full_day.flights if f.flight_date == DAY]
    sectors: dict[str, int] = {}
    for f in on_day:
        assert f.tail is not None
        sectors[f.tail] = sectors.get(f.tail, 0) + 1
    assert min(sectors.values()) >= 1 and max(sectors.values()) <= 8
    assert 2.5 <= sum(sectors.values()) / len(sectors) <= 5


def test_full_day_schedule_respects_curfews_capacity_and_connections(full_day: OpsDataset) -> None:
    airports = {a.iata: a for a in full_day.airports}
    flights = {f.key: f for f in full_day.flights}
    for f in full_day.flights:
        assert not in_curfew(airports[f.origin], f.std_utc), f.key
        assert not in_curfew(airports[f.destination], f.sta_utc), f.key
        assert f.capacity is not None and f.booked_pax <= f.capacity
    pax: dict[str, int] = {}
    for b in full_day.bookings:
        pax[b.flight_key] = pax.get(b.flight_key, 0) + b.pax_count
    assert all(pax.get(k, 0) == f.booked_pax for k, f in flights.items())
    hub_mct = airports["AUH"].mct.same_terminal
    connections = [
        (flights[b.onward.key].std_utc - flights[b.flight_key].sta_utc).total_seconds() / 60
        for b in full_day.bookings
        if b.onward is not None and b.onward.key in flights
    ]
    assert len(connections) > 10_000
    assert min(connections) >= hub_mct
    assert sum(1 for c in connections if c <= hub_mct + 15) > 100  # some tight ones
    interline = [b for b in full_day.bookings if b.onward is not None and b.onward.key not in flights]
    assert interline and all(b.onward is not None and b.onward.std_utc is not None for b in interline)
    assert {c for s in full_day.cargo for c in s.handling_codes} == {"PER", "DGR", "AVI", "PIL", "VAL", "HUM"}
    assert {s.temperature_class for s in full_day.cargo} == {"none", "frozen", "REF", "COL"}


def test_full_day_rosters_are_legal_and_some_crew_are_near_limits(full_day: OpsDataset) -> None:
    airports = {a.iata: a for a in full_day.airports}
    flights = {f.key: f for f in full_day.flights}
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    near = 0
    for d in full_day.duties:
        if d.report_time_utc is None:
            continue
        legs = [flights[k] for k in d.flight_keys]
        fdp = int((legs[-1].sta_utc - d.report_time_utc).total_seconds() // 60)
        if d.fdp_limit_override_minutes is not None:
            assert d.augmented and fdp <= d.fdp_limit_override_minutes
        else:
            local = d.report_time_utc.astimezone(airports[legs[0].origin].tz)
            assert fdp <= max_fdp_minutes(local, len(legs)), d
        assert d.duty_hours_7d + fdp / 60 <= 60 and d.flight_hours_28d <= 100 and d.flight_hours_12m <= 1000
        assert d.last_duty_end_utc is not None and d.last_duty_end_utc <= d.report_time_utc - timedelta(
            hours=10
        )
        near += d.duty_hours_7d + fdp / 60 >= 56 or d.flight_hours_28d >= 92
        busy.setdefault(d.crew_id, []).append((d.report_time_utc, legs[-1].sta_utc))
    assert near >= 10
    for spans in busy.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(spans))
    rated = {c.crew_id: c.type_ratings for c in full_day.crew}
    types = {t.type_code: t for t in full_day.aircraft_types}
    tails = {a.tail: a for a in full_day.aircraft}
    for f in full_day.flights[::25]:
        assert f.tail is not None
        rating = types[tails[f.tail].type_code].rating
        assert all(rating in rated[c] for c in (*f.cockpit_crew, *f.cabin_crew)), f.key


def test_full_day_has_spares_deferrals_and_expired_ones(full_day: OpsDataset) -> None:
    flying = {f.tail for f in full_day.flights}
    spares = [a for a in full_day.aircraft if a.tail not in flying]
    assert spares and all(a.station == "AUH" for a in spares)
    assert {a.status for a in full_day.aircraft} == {"available", "maintenance", "aog"}
    open_deferrals = [a for a in full_day.aircraft if any(not d.rectified for d in a.defects)]
    expired = [a for a in full_day.aircraft if any(deferral_expired(d, DAY) for d in a.defects)]
    assert len(open_deferrals) >= 10
    assert 3 <= len(expired) <= 7
    aog_sample = SAMPLE_FLIGHTS["EY789"][3]  # the AOG scenario: found expired on the day
    assert all(a.tail not in flying or a.tail == aog_sample for a in expired)
