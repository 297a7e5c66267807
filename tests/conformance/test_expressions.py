"""Conformance: the embedded stack's DynamoDB refuses the expressions DynamoDB refuses, as DynamoDB refuses them.

A ConditionExpression or FilterExpression that uses an `#name` or `:value` the request does not define, or that
does not parse, is a client error: ValidationException, HTTP 400, which clients do not retry
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html: ValidationException, "The
input fails to satisfy the constraints specified by an AWS service", 400). The message names the expression and
the token, e.g. "Invalid KeyConditionExpression: An expression attribute name used in the document path is not
defined; attribute name: #0" (DynamoDB's answer quoted in https://github.com/aws/aws-sdk-go-v2/issues/285) and
"Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value:
:albumID" (aws-samples/lambda-refarch-imagerecognition#20). moto 5.2.5 let its parser's KeyError / ValueError
through (https://github.com/getmoto/moto/issues/6979): a Python error in process, an HTTP 500 from its server,
which botocore retries before failing with InternalFailure. Nothing is written by a refused request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from skymarshal_local.emulator import fastdynamo

KEY = {"pk": {"S": "k"}}


@pytest.fixture()
def ddb() -> Iterator[tuple[Any, str]]:
    fastdynamo.install()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
            name = f"expressions-{uuid.uuid4().hex[:8]}"
            client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            client.put_item(TableName=name, Item={**KEY, "state": {"S": "held"}})
            yield client, name
    finally:
        fastdynamo.uninstall()


def refused(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    try:
        call(**kwargs)
    except ClientError as error:
        return (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"],
                error.response["Error"]["Message"])
    raise AssertionError("the request was accepted")


def unchanged(ddb: tuple[Any, str]) -> bool:
    client, name = ddb
    return bool(client.get_item(TableName=name, Key=KEY)["Item"] == {**KEY, "state": {"S": "held"}})


def test_a_condition_with_an_undefined_value_is_a_validation_error_and_writes_nothing(ddb):
    client, name = ddb
    code, status, message = refused(client.put_item, TableName=name, Item={**KEY, "state": {"S": "free"}},
                                    ConditionExpression="#s = :held", ExpressionAttributeNames={"#s": "state"})
    assert (code, status) == ("ValidationException", 400)
    assert message == ("Invalid ConditionExpression: An expression attribute value used in expression is not "
                       "defined; attribute value: :held")
    assert unchanged(ddb)


def test_a_condition_with_an_undefined_name_is_a_validation_error_and_writes_nothing(ddb):
    client, name = ddb
    code, status, message = refused(client.update_item, TableName=name, Key=KEY, UpdateExpression="SET n = :one",
                                    ConditionExpression="#state = :held",
                                    ExpressionAttributeValues={":one": {"N": "1"}, ":held": {"S": "held"}})
    assert (code, status) == ("ValidationException", 400)
    assert message == ("Invalid ConditionExpression: An expression attribute name used in the document path is "
                       "not defined; attribute name: #state")
    assert unchanged(ddb)


def test_a_condition_that_does_not_parse_is_a_syntax_error_and_deletes_nothing(ddb):
    client, name = ddb
    code, status, message = refused(client.delete_item, TableName=name, Key=KEY,
                                    ConditionExpression="attribute_exists(pk")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Invalid ConditionExpression: Syntax error;")
    assert unchanged(ddb)


def test_a_filter_with_an_undefined_value_is_named_a_filter_expression(ddb):
    client, name = ddb
    for call, extra in ((client.query, {"KeyConditionExpression": "pk = :k",
                                        "ExpressionAttributeValues": {":k": {"S": "k"}}}), (client.scan, {})):
        code, status, message = refused(call, TableName=name, FilterExpression="holder = :free", **extra)
        assert (code, status) == ("ValidationException", 400)
        assert message == ("Invalid FilterExpression: An expression attribute value used in expression is not "
                           "defined; attribute value: :free")


def test_a_well_formed_condition_still_decides(ddb):
    """The refusals above are about the request, not the item: a defined condition that is false is still
    ConditionalCheckFailedException, and a true one writes."""
    client, name = ddb
    names, held = {"#s": "state"}, {":held": {"S": "held"}, ":free": {"S": "free"}}
    code, status, _ = refused(client.put_item, TableName=name, Item={**KEY, "state": {"S": "free"}},
                              ConditionExpression="#s = :free", ExpressionAttributeNames=names,
                              ExpressionAttributeValues={":free": held[":free"]})
    assert (code, status) == ("ConditionalCheckFailedException", 400)
    client.put_item(TableName=name, Item={**KEY, "state": {"S": "free"}}, ConditionExpression="#s = :held",
                    ExpressionAttributeNames=names, ExpressionAttributeValues={":held": held[":held"]})
    assert client.get_item(TableName=name, Key=KEY)["Item"]["state"] == {"S": "free"}
