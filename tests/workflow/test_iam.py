"""The embedded stack authorises each function's calls against its execution role as deployed from template.yaml
(skymarshal_local.emulator.iam), as AWS does: a call the role does not allow is refused with AWS's error and
message, one it allows goes through. Every workflow test runs its functions under these rules, so a grant the
template forgets fails locally, not first on AWS (two did: the agents' BatchGetItem of checkpoints, the
execution-status function's Query of a thread's checkpoints)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from skymarshal_local.emulator.iam import GATE, access_key

pytestmark = pytest.mark.workflow


def as_function(stack: Any, logical_id: str, service: str) -> Any:
    """A client signing as the function's sandbox does (its role's credentials)."""
    return boto3.client(service, endpoint_url=stack.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=access_key(logical_id), aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 1}))


def refusal(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Message"]


def test_a_call_outside_the_role_is_refused_as_aws_refuses_it_and_one_inside_goes_through(stack):
    table = stack.outputs["CheckpointTableName"]
    ddb = as_function(stack, "ExecutionStatusFunction", "dynamodb")
    role = GATE.roles["ExecutionStatusFunction"]
    code, status, message = refusal(ddb.scan, TableName=table)  # the role reads by key and by thread, never scans
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.startswith(f"User: arn:aws:sts::123456789012:assumed-role/{role.name}/{role.function_name} is "
                              "not authorized to perform: dynamodb:Scan on resource: arn:aws:dynamodb:")
    assert message.endswith(f":table/{table} because no identity-based policy allows the dynamodb:Scan action")
    # what it does need: a thread's checkpoints (the agent whose failure ended the run, an operator's stop)
    ddb.query(TableName=table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "T#x"}})
    ddb.get_item(TableName=table, Key={"PK": {"S": "T#x"}, "SK": {"S": "THREAD"}})


def test_each_service_refuses_in_its_own_words(stack):
    sns = as_function(stack, "ExecutionStatusFunction", "sns")  # publishes nothing
    code, status, _ = refusal(sns.publish, TopicArn=stack.outputs["DecisionEventsTopicArn"], Message="x")
    assert (code, status) == ("AuthorizationError", 403)
    s3 = as_function(stack, "ExecutionStatusFunction", "s3")  # writes large checkpoints, reads none
    code, status, _ = refusal(s3.get_object, Bucket=stack.outputs["CheckpointBucketName"], Key="checkpoints/x")
    assert (code, status) == ("AccessDenied", 403)
    sfn = as_function(stack, "AgentFunction", "stepfunctions")  # an agent answers no task token
    code, status, _ = refusal(sfn.send_task_success, taskToken="t", output="{}")
    assert (code, status) == ("AccessDeniedException", 400)


def test_the_operator_and_the_tests_are_not_judged(stack):
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ddb.scan(TableName=stack.outputs["CheckpointTableName"], Limit=1)
