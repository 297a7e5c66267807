"""The embedded stack parses a DynamoDB expression once per text (emulator.patches.parse_dynamodb_expressions_once);
conditional and update writes must still answer as DynamoDB documents them, whatever was parsed before.

References: condition expressions, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
(a failed condition is ConditionalCheckFailedException and the item is unchanged); expression attribute
values "act as variables ... substitutes for the actual values that you want to compare ... that you might not
know until runtime", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html
(the same expression text with other values is another condition); expression attribute names,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ExpressionPlaceholders.html (the same text with
another mapping names other attributes); a placeholder the expressions do not use is a ValidationException
("Value provided in ExpressionAttributeNames unused in expressions").

Each case runs the same request text again after a first run has been parsed and kept, so a cache keyed on
too little (the text alone) or an evaluation that changed the kept tree fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto_tables import offline_aws

from skymarshal_local.emulator import patches

TABLE = "skymarshal-test-expressions"
GUARD = "attribute_not_exists(pk) OR #v = :expected"


@pytest.fixture
def ddb() -> Iterator[Any]:
    with offline_aws(), mock_aws():
        patches.parse_dynamodb_expressions_once()
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        yield client


def put(ddb: Any, version: int, expected: int, names: dict[str, str] | None = None) -> None:
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "thread-1"}, "version": {"N": str(version)},
                                        "other": {"N": "0"}},
                 ConditionExpression=GUARD, ExpressionAttributeNames=names or {"#v": "version"},
                 ExpressionAttributeValues={":expected": {"N": str(expected)}})


def version(ddb: Any) -> int:
    return int(ddb.get_item(TableName=TABLE, Key={"pk": {"S": "thread-1"}})["Item"]["version"]["N"])


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_installed_once() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    patches.parse_dynamodb_expressions_once()
    first = ConditionExpressionParser.parse
    patches.parse_dynamodb_expressions_once()
    assert ConditionExpressionParser.parse is first and getattr(first, "_once", False)


def test_the_same_condition_with_other_values_is_another_condition(ddb: Any) -> None:
    put(ddb, version=1, expected=0)  # no item yet: attribute_not_exists(pk) holds
    put(ddb, version=2, expected=1)  # the stored version is 1
    with pytest.raises(ClientError) as stale:
        put(ddb, version=3, expected=1)  # same text and values as the run before: now stale
    assert code(stale) == "ConditionalCheckFailedException"
    assert version(ddb) == 2
    put(ddb, version=3, expected=2)
    assert version(ddb) == 3


def test_the_same_condition_with_other_names_reads_other_attributes(ddb: Any) -> None:
    put(ddb, version=5, expected=0)
    put(ddb, version=6, expected=5)  # #v -> version (5)
    with pytest.raises(ClientError) as other:
        put(ddb, version=7, expected=6, names={"#v": "other"})  # #v -> other (0), not 6
    assert code(other) == "ConditionalCheckFailedException"
    put(ddb, version=7, expected=0, names={"#v": "other"})
    assert version(ddb) == 7


def test_an_unused_name_is_refused_every_time(ddb: Any) -> None:
    for _ in range(2):  # the second request finds the expression parsed
        with pytest.raises(ClientError) as unused:
            put(ddb, version=1, expected=0, names={"#v": "version", "#spare": "spare"})
        assert code(unused) == "ValidationException"
        assert "unused" in unused.value.response["Error"]["Message"]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "thread-1"}})  # nothing was written


def test_a_malformed_condition_is_refused_every_time(ddb: Any) -> None:
    """Errors are not kept: each request is parsed, and refused, on its own. (moto refuses a syntax error with
    a ValueError, which its server answers with a 500, where DynamoDB answers a ValidationException: noted, not
    changed here; the functions never send one.)"""
    refusals = []
    for _ in range(2):
        with pytest.raises((ClientError, ValueError)) as malformed:
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": "thread-1"}},
                         ConditionExpression="attribute_not_exists(pk) AND AND")
        refusals.append((malformed.type, str(malformed.value)))
    assert refusals[0] == refusals[1]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "thread-1"}})


def test_an_update_expression_reused_with_other_names_and_values(ddb: Any) -> None:
    put(ddb, version=1, expected=0)
    increment = "SET #n = #n + :step"
    for attribute, step in (("version", 4), ("version", 10), ("other", 3), ("version", 1)):
        ddb.update_item(TableName=TABLE, Key={"pk": {"S": "thread-1"}}, UpdateExpression=increment,
                        ExpressionAttributeNames={"#n": attribute},
                        ExpressionAttributeValues={":step": {"N": str(step)}})
    item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "thread-1"}})["Item"]
    assert (item["version"]["N"], item["other"]["N"]) == ("16", "3")  # 1 + 4 + 10 + 1, 0 + 3
