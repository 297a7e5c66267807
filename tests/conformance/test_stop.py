"""Conformance: StopExecution in the embedded engine, one documented rule per test, on a small state machine
whose task waits for a task token (the shape of the approval wait), no project handler involved.

References (AWS Step Functions API Reference / Developer Guide):
- STOP: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
  ("Stops an execution"; the answer's `stopDate` is required)
- EVENTS: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
  (ExecutionAborted, with `executionAbortedEventDetails` error and cause)
- TOKEN: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
  (TaskTimedOut: "the task associated with the token has already been closed")
- REDRIVE: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html (ABORTED can be redriven)
moto 5.2.5 left a stopped execution RUNNING until the waiting task's own timeout (an hour for the approval
wait); `skymarshal_local.emulator.patches.stop_executions_at_once` supplies the rules pinned here.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from tests.conformance.conftest import DEADLINE_S, ROLE, TABLE


@pytest.fixture()
def aws(aws: dict[str, Any]) -> dict[str, Any]:
    """The conformance AWS and a queue the waiting task sends its token to."""
    aws["sqs"] = boto3.client("sqs", region_name="us-east-1")
    aws["queue"] = aws["sqs"].create_queue(QueueName="approvals")["QueueUrl"]
    return aws


def start_waiting(aws: dict[str, Any], name: str) -> tuple[str, str]:
    """An execution waiting on `.waitForTaskToken` (an hour's timeout; a Catch that would record its run);
    returns (execution ARN, the task token it sent)."""
    states = {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": aws["queue"], "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "Next": "Done"},
        "Caught": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                   "Parameters": {"TableName": TABLE, "Item": {"pk": {"S": f"caught-{name}"}}}, "End": True},
        "Done": {"Type": "Succeed"},
    }
    sm = aws["sfn"].create_state_machine(name=name, roleArn=ROLE, definition=json.dumps({"StartAt": "Ask",
                                                                                          "States": states}))
    arn = aws["sfn"].start_execution(stateMachineArn=sm["stateMachineArn"], name=f"{name}-run", input="{}")
    return str(arn["executionArn"]), next_token(aws)


def next_token(aws: dict[str, Any]) -> str:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for m in aws["sqs"].receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=1).get("Messages", []):
            aws["sqs"].delete_message(QueueUrl=aws["queue"], ReceiptHandle=m["ReceiptHandle"])
            return str(json.loads(m["Body"])["token"])
        time.sleep(0.02)
    raise AssertionError(f"no task token sent in {DEADLINE_S}s")


def caught(aws: dict[str, Any], name: str) -> bool:
    return "Item" in aws["ddb"].get_item(TableName=TABLE, Key={"pk": {"S": f"caught-{name}"}})


# ---------------------------------------------------------------------------------------------------------
def test_a_stopped_execution_is_aborted_when_the_call_answers_even_while_waiting_for_a_token(aws):
    """STOP: the execution stops at once (no waiting for the task's hour-long timeout); the answer carries
    stopDate; DescribeExecution says ABORTED with that stopDate."""
    arn, _ = start_waiting(aws, "waits")
    answer = aws["sfn"].stop_execution(executionArn=arn, error="Operator", cause="stopped by the duty manager")
    desc = aws["sfn"].describe_execution(executionArn=arn)  # no polling: ABORTED when StopExecution answered
    assert desc["status"] == "ABORTED"
    assert answer["stopDate"] == desc["stopDate"]
    listed = aws["sfn"].list_executions(stateMachineArn=desc["stateMachineArn"], statusFilter="RUNNING")
    assert listed["executions"] == []


def test_the_history_ends_with_execution_aborted_carrying_error_and_cause_and_nothing_runs_after(aws):
    """EVENTS: the last event is ExecutionAborted with the error and cause given to StopExecution; the wait the
    stop cut short leaves no TaskTimedOut/TaskFailed event, and its Catch does not run."""
    arn, _ = start_waiting(aws, "history")
    aws["sfn"].stop_execution(executionArn=arn, error="Operator", cause="stopped by the duty manager")
    events = aws["sfn"].get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Operator", "cause": "stopped by the duty manager"}
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert not {"TaskTimedOut", "TaskFailed", "TaskStateExited"} & {e["type"] for e in events}
    time.sleep(0.5)  # give a Catch that would wrongly run the time to write (absence cannot be awaited)
    assert not caught(aws, "history")


def test_the_token_of_a_stopped_execution_is_refused_as_timed_out(aws):
    """TOKEN: SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat with the token of a closed task answer
    TaskTimedOut, and change nothing."""
    arn, token = start_waiting(aws, "token")
    aws["sfn"].stop_execution(executionArn=arn)
    for call in (lambda: aws["sfn"].send_task_success(taskToken=token, output="{}"),
                 lambda: aws["sfn"].send_task_failure(taskToken=token, error="Rejected"),
                 lambda: aws["sfn"].send_task_heartbeat(taskToken=token)):
        with pytest.raises(aws["sfn"].exceptions.TaskTimedOut):
            call()
    assert aws["sfn"].describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_a_stopped_execution_redriven_waits_again_with_a_new_token(aws):
    """REDRIVE: an ABORTED execution can be redriven; it continues at the state the stop interrupted (the wait),
    which sends a new token; answering it completes the execution."""
    arn, old = start_waiting(aws, "redrive")
    aws["sfn"].stop_execution(executionArn=arn)
    aws["sfn"].redrive_execution(executionArn=arn)
    token = next_token(aws)
    assert token != old
    aws["sfn"].send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    deadline = time.monotonic() + DEADLINE_S
    while aws["sfn"].describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.02)
    desc = aws["sfn"].describe_execution(executionArn=arn)
    assert (desc["status"], desc["redriveCount"]) == ("SUCCEEDED", 1)
    assert not caught(aws, "redrive")
