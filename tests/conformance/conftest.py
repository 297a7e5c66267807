"""The conformance tests' AWS: moto in-process (`mock_aws`, its Step Functions engine executing), with the
embedded stack's Step Functions patches installed, and one DynamoDB table the state machines write to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from skymarshal_local.emulator import patches
from skymarshal_local.emulator import redrive as engine

TABLE = "conformance"
ROLE = "arn:aws:iam::123456789012:role/conformance"
DEADLINE_S = 120.0  # generous: waits end on the awaited status or message, never on this margin


@pytest.fixture()
def aws() -> Iterator[dict[str, Any]]:
    engine.install()
    patches.stop_executions_at_once()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        yield {"sfn": boto3.client("stepfunctions", region_name="us-east-1"), "ddb": ddb}
