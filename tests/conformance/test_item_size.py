"""Conformance: the embedded stack's DynamoDB (moto with skymarshal_local.emulator.fastdynamo) stores exactly the
items DynamoDB stores and refuses the rest.

References:
- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items: "The maximum
  item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length) and attribute
  value lengths"; all sizes are binary units, 1 KB = 1,024 bytes: 409,600 bytes.
- https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html: a string is its
  name's UTF-8 bytes plus its own; a List or Map takes 3 bytes of overhead plus 1 byte per element; a Boolean 1.
The sizes below are added up by hand from those rules. moto refused every item over 405,000 bytes (its own
estimate, between 409 and 410 KB by its authors' trial) and sized lists and maps without their overhead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from skymarshal_local.emulator import fastdynamo

LIMIT = 400 * 1024
KEY = {"pk": {"S": "k"}}  # "pk" 2 bytes + "k" 1 byte
TOO_LARGE = "Item size has exceeded the maximum allowed size"


@pytest.fixture()
def ddb() -> Iterator[tuple[Any, str]]:
    fastdynamo.install()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            name = f"sizes-{uuid.uuid4().hex[:8]}"
            client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            yield client, name
    finally:
        fastdynamo.uninstall()


def put(ddb: tuple[Any, str], item: dict[str, Any]) -> str:
    client, name = ddb
    try:
        client.put_item(TableName=name, Item={**KEY, **item})
    except ClientError as error:
        return str(error.response["Error"]["Message"])
    assert client.get_item(TableName=name, Key=KEY)["Item"] == {**KEY, **item}
    return "stored"


def string_item(total: int) -> dict[str, Any]:
    """An item of `total` bytes: the key (3), "doc" (3) and a string of the rest."""
    return {"doc": {"S": "x" * (total - 3 - 3)}}


def test_a_string_item_of_exactly_400_kb_is_stored_and_one_byte_more_is_refused(ddb: tuple[Any, str]) -> None:
    assert put(ddb, string_item(405_001)) == "stored"  # moto refused these 4,599 bytes that DynamoDB stores
    assert put(ddb, string_item(LIMIT)) == "stored"
    assert TOO_LARGE in put(ddb, string_item(LIMIT + 1))


def test_a_name_counts_in_utf8_bytes(ddb: tuple[Any, str]) -> None:
    # "é" is 2 bytes: the key (3) + "dé" (3) + 409,594 one-byte characters = 409,600
    assert put(ddb, {"dé": {"S": "x" * (LIMIT - 6)}}) == "stored"
    assert TOO_LARGE in put(ddb, {"dé": {"S": "x" * (LIMIT - 5)}})


def test_lists_and_maps_count_3_bytes_and_1_per_element(ddb: tuple[Any, str]) -> None:
    # key 3 + "m" 1 + map 3 + element 1 + "a" 1 + string n = 409,600  =>  n = 409,591
    assert put(ddb, {"m": {"M": {"a": {"S": "x" * 409_591}}}}) == "stored"
    assert TOO_LARGE in put(ddb, {"m": {"M": {"a": {"S": "x" * 409_592}}}})
    # key 3 + "l" 1 + list 3 + two elements (1 + 1 for the Boolean) + (1 + n) = 409,600  =>  n = 409,590
    assert put(ddb, {"l": {"L": [{"BOOL": True}, {"S": "x" * 409_590}]}}) == "stored"
    assert TOO_LARGE in put(ddb, {"l": {"L": [{"BOOL": True}, {"S": "x" * 409_591}]}})


def test_an_update_may_grow_an_item_to_400_kb_and_no_further(ddb: tuple[Any, str]) -> None:
    client, name = ddb
    assert put(ddb, string_item(LIMIT - 10)) == "stored"
    # SET "e" (1 byte) to 9 bytes: exactly 409,600
    client.update_item(TableName=name, Key=KEY, UpdateExpression="SET e = :v",
                       ExpressionAttributeValues={":v": {"S": "y" * 9}})
    with pytest.raises(ClientError, match="Item size to update has exceeded the maximum allowed size"):
        client.update_item(TableName=name, Key=KEY, UpdateExpression="SET f = :v",
                           ExpressionAttributeValues={":v": {"S": "z"}})
    assert client.get_item(TableName=name, Key=KEY)["Item"]["e"] == {"S": "y" * 9}
