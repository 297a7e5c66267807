"""skymarshal_local.emulator.fastdynamo: moto's Query narrowed to the queried partition answers exactly like stock moto.

Every query is run with the patch installed and uninstalled on the same moto table (OpsDataTable's keys and
indexes from template.yaml, a small generated day) and the raw responses are compared: items, order,
Count, ScannedCount, LastEvaluatedKey; then again after writes (put, update moving an item between index
partitions, delete, batch write, a cancelled transaction) made while the indexes are live.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from moto import mock_aws
from moto_tables import offline_aws, table_definition

from skymarshal import aws
from skymarshal.domain.operation import OpsDataset
from skymarshal.opsdata import (
    DynamoOpsReader,
    departures_gsi,
    flight_pk,
    load_dataset,
    reserves_gsi,
    route_gsi,
    station_gsi,
    tail_gsi,
    ts,
)
from skymarshal_local.datagen import generate_day
from skymarshal_local.emulator import fastdynamo

TABLE = "skymarshal-test-fastdynamo"
DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def day() -> OpsDataset:
    return generate_day(scale=0.05)


@pytest.fixture(scope="module")
def table(day: OpsDataset) -> Iterator[Any]:
    with offline_aws(), mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(TableName=TABLE, **table_definition("OpsDataTable"))
        load_dataset(day, TABLE)
        try:
            yield aws.table(TABLE)
        finally:
            fastdynamo.uninstall()
            aws.reset()


def at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(DAY, time(hh, mm), tzinfo=UTC)


def _queries(day: OpsDataset) -> list[dict[str, Any]]:
    """The reader's access patterns (and their variants: Limit, reverse, Select=COUNT, filters, projections)."""
    flights = day.flights
    tails = sorted({f.tail for f in flights if f.tail})
    stations = sorted({a.station for a in day.aircraft})
    routes = sorted({(f.origin, f.destination) for f in flights})
    bases = sorted({c.base for c in day.crew})
    booked = sorted({b.flight_key for b in day.bookings})
    with_cargo = sorted({s.flight_key for s in day.cargo})
    window = Key  # alias for readability below
    out: list[dict[str, Any]] = []
    for key in [*booked[:2], *with_cargo[:1], "EY000/2026-12-01"]:
        out.append({"KeyConditionExpression": window("PK").eq(flight_pk(key)) & Key("SK").begins_with("BOOKING#")})
        out.append({"KeyConditionExpression": Key("PK").eq(flight_pk(key)) & Key("SK").begins_with("CARGO#")})
        out.append({"KeyConditionExpression": Key("PK").eq(flight_pk(key))})
    for station in [*stations[:2], "XXX"]:
        out.append({"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(station_gsi(station))
                    & Key("GSI1SK").begins_with("AIRCRAFT#")})
    for tail in tails[:3]:
        out.append({"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(tail_gsi(tail))
                    & Key("GSI1SK").between(ts(at(0)), ts(at(23, 59)))})
        out.append({"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(tail_gsi(tail))})
    for origin, destination in routes[:3]:
        out.append({"IndexName": "GSI2", "KeyConditionExpression": Key("GSI2PK").eq(route_gsi(origin, destination))
                    & Key("GSI2SK").between(ts(at(6)), ts(at(22)))})
    for station in stations[:2]:
        for d in (DAY, DAY + timedelta(days=1)):
            out.append({"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi(station, d))
                        & Key("GSI1SK").between(ts(at(5)), ts(at(20)))})
    for base in bases[:2]:
        out.append({"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(reserves_gsi(base, DAY))})
    hub = stations[0]
    dep = Key("GSI1PK").eq(departures_gsi(hub, DAY))
    busy = booked[0]
    variants = [
        {"IndexName": "GSI1", "KeyConditionExpression": dep, "ScanIndexForward": False},
        {"IndexName": "GSI1", "KeyConditionExpression": dep, "Select": "COUNT"},
        {"IndexName": "GSI1", "KeyConditionExpression": dep & Key("GSI1SK").gt(ts(at(12)))},
        {"IndexName": "GSI1", "KeyConditionExpression": dep, "FilterExpression": Attr("doc").contains('"EY1')},
        {"IndexName": "GSI1", "KeyConditionExpression": dep, "ProjectionExpression": "PK, GSI1SK"},
        {"KeyConditionExpression": Key("PK").eq(flight_pk(busy)), "ScanIndexForward": False},
        {"KeyConditionExpression": Key("PK").eq(flight_pk(busy)) & Key("SK").lt("CARGO#")},
        {"KeyConditionExpression": Key("PK").eq(flight_pk(busy)), "FilterExpression": Attr("doc").size().gt(10),
         "Select": "COUNT"},
    ]
    return out + variants


def _all_pages(table: Any, query: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
    kwargs = dict(query)
    if limit is not None:
        kwargs["Limit"] = limit
    pages = []
    while True:
        page = table.query(**kwargs)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if "LastEvaluatedKey" not in page or len(pages) > 500:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _reader_answers(day: OpsDataset) -> Callable[[], list[Any]]:
    reader = DynamoOpsReader(TABLE)
    f = day.flights[0]
    stations = sorted({a.station for a in day.aircraft})

    def answers() -> list[Any]:
        out: list[Any] = [
            reader.get_flight(f.flight_number, f.std_utc.date()),
            reader.aircraft_at_station(stations[0]),
            reader.flights_of_tail(f.tail or "", at(0), at(23)),
            reader.crew([c.crew_id for c in day.crew[:30]]),
            reader.duties([c.crew_id for c in day.crew[:30]], DAY),
            reader.reserves_at(day.crew[0].base, DAY),
            reader.bookings_for_flight(f.key),
            reader.cargo_for_flight(f.key),
            reader.flights_on_route(f.origin, f.destination, at(0), at(23)),
            reader.departures(stations[0], at(4), at(23, 30) + timedelta(hours=3)),
            reader.cost_parameters(),
        ]
        return [[m.model_dump() for m in a] if isinstance(a, list) else a and a.model_dump() for a in out]

    return answers


def _compare(table: Any, day: OpsDataset, limits: tuple[int | None, ...] = (None,), with_reader: bool = True,
             queries: list[dict[str, Any]] | None = None) -> int:
    """Run every query (and the reader) patched, then stock; assert identical answers; returns the count."""
    queries = _queries(day) if queries is None else queries
    reader = _reader_answers(day) if with_reader else list
    fastdynamo.install()
    fast = [_all_pages(table, q, limit) for q in queries for limit in limits]
    fast_reader = reader()
    fastdynamo.uninstall()
    stock = [_all_pages(table, q, limit) for q in queries for limit in limits]
    stock_reader = reader()
    fastdynamo.install()
    for i, (a, b) in enumerate(zip(fast, stock, strict=True)):
        assert a == b, (i, queries[i // len(limits)])
    assert fast_reader == stock_reader
    assert any(page.get("Count") for pages in fast for page in pages), "the queries found nothing: a vacuous test"
    return len(fast)


def test_every_access_pattern_answers_like_stock_moto(table: Any, day: OpsDataset) -> None:
    before = fastdynamo.stats()
    assert _compare(table, day) >= 35
    after = fastdynamo.stats()
    assert after["narrowed"] > before["narrowed"]  # the patch actually served the queries


def test_pagination_with_limit_matches_page_by_page(table: Any, day: OpsDataset) -> None:
    hub = sorted({a.station for a in day.aircraft})[0]
    query = {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi(hub, DAY))}
    fastdynamo.install()
    fast = [_all_pages(table, query, n) for n in (1, 5)]
    fastdynamo.uninstall()
    stock = [_all_pages(table, query, n) for n in (1, 5)]
    fastdynamo.install()
    assert fast == stock
    assert len(fast[0]) > 5  # really paginated


def test_writes_after_reads_keep_the_indexes_exact(table: Any, day: OpsDataset) -> None:
    fastdynamo.install()
    fastdynamo.stats()
    for q in _queries(day):
        table.query(**q)  # indexes built and live
    f0, f1, f2 = day.flights[0], day.flights[1], day.flights[2]
    client = table.meta.client  # the resource's client: plain Python values in and out
    # put: a new flight on an existing tail and a new tail
    table.put_item(Item={"PK": flight_pk("EY999/2026-12-01"), "SK": "META", "GSI1PK": tail_gsi(f0.tail or "T"),
                         "GSI1SK": ts(at(9)) + "#EY999", "GSI2PK": route_gsi("AUH", "ZZZ"),
                         "GSI2SK": ts(at(9)) + "#EY999", "doc": "{}"})
    # update: move a flight to another tail (GSI1 partition change), drop a GSI attribute (sparse index)
    table.update_item(Key={"PK": flight_pk(f1.key), "SK": "META"}, UpdateExpression="SET GSI1PK = :t",
                      ExpressionAttributeValues={":t": tail_gsi(f0.tail or "T")})
    table.update_item(Key={"PK": flight_pk(f2.key), "SK": "META"}, UpdateExpression="REMOVE GSI2PK")
    # update creating a new item with index keys
    table.update_item(Key={"PK": "AIRCRAFT#NEW", "SK": "META"}, UpdateExpression="SET GSI1PK = :s, GSI1SK = :k",
                      ExpressionAttributeValues={":s": station_gsi(day.aircraft[0].station), ":k": "AIRCRAFT#NEW"})
    # a failed conditional update leaves everything as it was
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        table.update_item(Key={"PK": flight_pk(f0.key), "SK": "META"}, UpdateExpression="SET GSI1PK = :t",
                          ConditionExpression="attribute_not_exists(PK)", ExpressionAttributeValues={":t": "TAIL#X"})
    # delete: a departure index item and a booking
    table.delete_item(Key={"PK": flight_pk(f0.key), "SK": "DEP"})
    booking = day.bookings[0]
    table.delete_item(Key={"PK": flight_pk(booking.flight_key), "SK": "BOOKING#" + booking.pnr})
    # batch write: puts and deletes
    with table.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"PK": f"FLIGHT#EY{i:04d}X", "SK": "DEP", "GSI1PK": departures_gsi("AUH", DAY),
                                 "GSI1SK": ts(at(10, i)) + f"#EY{i:04d}X", "doc": "{}"})
        batch.delete_item(Key={"PK": flight_pk(f2.key), "SK": "DEP"})
    # a cancelled transaction (moto restores a copy of the table object)
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"PK": "X#1", "SK": "META", "GSI1PK": tail_gsi(f0.tail or "T"),
                                                    "GSI1SK": "0"}}},
            {"Put": {"TableName": TABLE, "Item": {"PK": flight_pk(f0.key), "SK": "META"},
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ])
    # a successful one
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"PK": "X#2", "SK": "META", "GSI1PK": tail_gsi(f0.tail or "T"),
                                                "GSI1SK": "1"}}},
        {"Delete": {"TableName": TABLE, "Key": {"PK": flight_pk(f1.key), "SK": "DEP"}}},
    ])
    assert fastdynamo.installed()
    touched = [
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(tail_gsi(f0.tail or "T"))},
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(tail_gsi(f1.tail or "T"))},
        {"IndexName": "GSI2", "KeyConditionExpression": Key("GSI2PK").eq(route_gsi(f2.origin, f2.destination))},
        {"IndexName": "GSI2", "KeyConditionExpression": Key("GSI2PK").eq(route_gsi("AUH", "ZZZ"))},
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(station_gsi(day.aircraft[0].station))},
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi("AUH", DAY))},
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi(f0.origin, DAY))},
        {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi(f2.origin, DAY))},
        {"KeyConditionExpression": Key("PK").eq(flight_pk(booking.flight_key))},
        {"KeyConditionExpression": Key("PK").eq(flight_pk(f0.key))},
        {"KeyConditionExpression": Key("PK").eq("X#2")},
    ]
    # the written docs are not valid records: raw answers only; the partitions written to, and a sample
    _compare(table, day, with_reader=False, queries=touched + _queries(day)[::4])
    # the moved flight is found under its new tail, through the patched index
    moved = table.query(IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq(tail_gsi(f0.tail or "T")))
    assert flight_pk(f1.key) in {i["PK"] for i in moved["Items"]}
    assert "X#2" in {i["PK"] for i in moved["Items"]} and "X#1" not in {i["PK"] for i in moved["Items"]}


def test_concurrent_writes_and_queries(table: Any, day: OpsDataset) -> None:
    fastdynamo.install()
    hub = sorted({a.station for a in day.aircraft})[0]
    query = {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(departures_gsi(hub, DAY))}
    table.query(**query)  # build
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            t = boto3.resource("dynamodb").Table(TABLE)
            for i in range(20):
                t.put_item(Item={"PK": f"CONC#{n}#{i}", "SK": "DEP", "GSI1PK": departures_gsi(hub, DAY),
                                 "GSI1SK": ts(at(11, i)) + f"#C{n}{i}", "doc": "{}"})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            t = boto3.resource("dynamodb").Table(TABLE)
            for _ in range(10):
                t.query(**query)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)] + [
        threading.Thread(target=reader) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    fast = _all_pages(table, query)
    fastdynamo.uninstall()
    stock = _all_pages(table, query)
    fastdynamo.install()
    assert fast == stock
    assert sum(1 for i in fast[0]["Items"] if i["PK"].startswith("CONC#")) == 60


def test_install_is_idempotent_and_uninstall_restores_moto() -> None:
    from moto.dynamodb.models.table import Table

    fastdynamo.uninstall()
    stock = Table.query
    fastdynamo.install()
    fastdynamo.install()
    assert Table.query is not stock
    fastdynamo.uninstall()
    assert Table.query is stock
    fastdynamo.install()


# --------------------------------------------------------------------------------------------------
# Responses written in one pass: the same JSON document as moto's shape walk, for every attribute type.
# The wire form is AWS's (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html:
# one type key per value, numbers as strings, binary base64-encoded, M and L nesting AttributeValues).
# --------------------------------------------------------------------------------------------------
EVERY_TYPE = {
    "PK": {"S": "ITEM#1"}, "SK": {"S": "A"}, "s": {"S": "text é ✈"}, "empty": {"S": ""}, "n": {"N": "-12.50"},
    "b": {"B": b"\x00\xffbytes"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02\x03"]}, "yes": {"BOOL": True}, "no": {"BOOL": False}, "null": {"NULL": True},
    "m": {"M": {"deep": {"M": {"l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x09"}, {"NULL": True},
                                             {"M": {"k": {"SS": ["z"]}}}, {"L": []}]}}}, "empty": {"M": {}}}},
    "l": {"L": [{"BOOL": False}, {"BS": [b"\x04"]}, {"M": {}}]},
}


def _bodies(client: Any) -> list[Any]:
    """Every DynamoDB read/write answer that carries items, as the JSON document the server wrote."""
    bodies: list[Any] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(json.loads(http_response.content or b"{}"))

    client.meta.events.register("after-call.dynamodb", keep)
    key = {"PK": {"S": "ITEM#1"}, "SK": {"S": "A"}}
    try:
        client.put_item(TableName=TABLE_TYPES, Item=EVERY_TYPE)
        client.put_item(TableName=TABLE_TYPES, Item=EVERY_TYPE, ReturnValues="ALL_OLD")
        client.get_item(TableName=TABLE_TYPES, Key=key, ReturnConsumedCapacity="TOTAL")
        client.get_item(TableName=TABLE_TYPES, Key=key, ProjectionExpression="m.deep, l[1], b")
        client.batch_get_item(RequestItems={TABLE_TYPES: {"Keys": [key, {**key, "SK": {"S": "missing"}}]}})
        client.query(TableName=TABLE_TYPES, KeyConditionExpression="PK = :pk",
                     ExpressionAttributeValues={":pk": {"S": "ITEM#1"}})
        client.scan(TableName=TABLE_TYPES)
        client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE_TYPES, "Key": key}}])
        client.execute_statement(Statement=f'SELECT * FROM "{TABLE_TYPES}"')
        client.update_item(TableName=TABLE_TYPES, Key=key, UpdateExpression="SET n = :n, ss = :ss",
                           ExpressionAttributeValues={":n": {"N": "7"}, ":ss": {"SS": ["c"]}}, ReturnValues="ALL_NEW")
        client.delete_item(TableName=TABLE_TYPES, Key=key, ReturnValues="ALL_OLD")
    finally:
        client.meta.events.unregister("after-call.dynamodb", keep)
    return bodies


TABLE_TYPES = "skymarshal-test-every-type"


def test_answers_are_the_documents_moto_writes_for_every_attribute_type() -> None:
    with offline_aws(), mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(TableName=TABLE_TYPES, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                                       {"AttributeName": "SK", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                                  {"AttributeName": "SK", "AttributeType": "S"}])
        fastdynamo.uninstall()
        try:
            stock = _bodies(client)
        finally:
            fastdynamo.install()
        fast = _bodies(client)
    assert len(fast) == len(stock) == 11
    assert fast == stock
    assert fast[2]["Item"]["b"] == {"B": "AP9ieXRlcw=="}  # base64 once, as AWS writes a binary attribute
    assert fast[2]["Item"]["m"]["M"]["deep"]["M"]["l"]["L"][2] == {"B": "CQ=="}


# --------------------------------------------------------------------------------------------------
# The direct loader (skymarshal run --hub-day): the same table as BatchWriteItem, PutItem's refusals kept
# --------------------------------------------------------------------------------------------------
def _scan(name: str) -> list[dict[str, Any]]:
    client, items, kwargs = boto3.client("dynamodb"), [], {"TableName": name}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_the_direct_loader_writes_what_batch_write_writes(day: OpsDataset) -> None:
    from skymarshal.opsdata import dataset_items

    with offline_aws(), mock_aws():
        aws.reset()
        fastdynamo.install()
        try:
            client = boto3.client("dynamodb")
            batch, direct = f"batch-{uuid.uuid4().hex[:8]}", f"direct-{uuid.uuid4().hex[:8]}"
            for name in (batch, direct):
                client.create_table(TableName=name, **table_definition("OpsDataTable"))
            load_dataset(day, batch)
            items = [item for _, item in dataset_items(day)]
            flight = day.flights[0]
            gsi = departures_gsi(flight.origin, flight.std_utc.date())

            def departures(name: str) -> list[str]:
                return [i["PK"]["S"] for i in client.query(
                    TableName=name, IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
                    ExpressionAttributeValues={":p": {"S": gsi}})["Items"]]

            departures(direct)  # this module's index buckets built on the empty table ...
            assert fastdynamo.load_items_direct(direct, items) == len(items)  # ... then loaded over
            assert _scan(direct) == _scan(batch)
            assert flight_pk(flight.key) in departures(direct)
            assert departures(direct) == departures(batch)
            assert fastdynamo.load_items_direct(direct, items[:1]) == 1  # the same key again: overwritten
            assert len(_scan(direct)) == len(items)
        finally:
            fastdynamo.uninstall()
            aws.reset()


@pytest.mark.parametrize(("item", "error"), [
    ({"PK": "X", "SK": "META", "doc": "x" * 410_000}, "Item size has exceeded"),
    ({"PK": "X", "doc": "{}"}, "Missing the key SK"),
    ({"PK": "X", "SK": 7}, "Type mismatch"),
])
def test_the_direct_loader_refuses_what_put_item_refuses(item: dict[str, Any], error: str) -> None:
    from moto.dynamodb.exceptions import MockValidationException

    with offline_aws(), mock_aws():
        aws.reset()
        direct = f"direct-{uuid.uuid4().hex[:8]}"
        boto3.client("dynamodb").create_table(TableName=direct, **table_definition("OpsDataTable"))
        with pytest.raises(MockValidationException, match=error):
            fastdynamo.load_items_direct(direct, [item])
        aws.reset()
