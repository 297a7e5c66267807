"""Conformance: the embedded engine's RedriveExecution and Map/Parallel failure semantics, one documented rule
per test, each on a small state machine of its own (no project handler involved).

References (AWS Step Functions Developer Guide / API Reference):
- REDRIVE: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
- REDRIVE_API: https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
- MAP_ERRORS: https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
  ("If any iteration fails ... the Map state fails and all iterations are stopped")
- EVENTS: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
Failures are made with a DynamoDB task whose condition fails until the test creates a "gate" item, so a
redrive can succeed; how often each state ran is counted in DynamoDB by the state machine itself.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest

from tests.conformance.conftest import DEADLINE_S, ROLE, TABLE


def count(name: str) -> dict[str, Any]:
    """A task that counts one run of the state it stands for."""
    return {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {"TableName": TABLE, "Key": {"pk": {"S.$": f"States.Format('runs-{name}-{{}}', $.key)"}},
                           "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}},
            "ResultPath": None}


def gate() -> dict[str, Any]:
    """A task that fails (DynamoDB.ConditionalCheckFailedException) until the item gate-<key> exists."""
    return {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": TABLE, "Item": {"pk": {"S.$": "States.Format('gate-{}', $.key)"},
                                                         "open": {"BOOL": True}},
                           "ConditionExpression": "attribute_exists(pk)"},
            "ResultPath": None}


def open_gate(aws: dict[str, Any], key: str) -> None:
    aws["ddb"].put_item(TableName=TABLE, Item={"pk": {"S": f"gate-{key}"}})


def runs(aws: dict[str, Any], name: str, key: str) -> int:
    item = aws["ddb"].get_item(TableName=TABLE, Key={"pk": {"S": f"runs-{name}-{key}"}}).get("Item")
    return int(item["n"]["N"]) if item else 0


def start(aws: dict[str, Any], name: str, states: dict[str, Any], start_at: str, execution_input: Any,
          sm_type: str = "STANDARD") -> str:
    sm = aws["sfn"].create_state_machine(name=name, roleArn=ROLE, type=sm_type,
                                         definition=json.dumps({"StartAt": start_at, "States": states}))
    return str(aws["sfn"].start_execution(stateMachineArn=sm["stateMachineArn"], name=f"{name}-run",
                                          input=json.dumps(execution_input))["executionArn"])


def settle(aws: dict[str, Any], arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        desc = aws["sfn"].describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING":
            return dict(desc)
        time.sleep(0.02)
    raise AssertionError(f"{arn} still RUNNING after {DEADLINE_S}s")


def history(aws: dict[str, Any], arn: str) -> list[dict[str, Any]]:
    return list(aws["sfn"].get_execution_history(executionArn=arn)["events"])


def redrive(aws: dict[str, Any], arn: str) -> dict[str, Any]:
    aws["sfn"].redrive_execution(executionArn=arn)
    return settle(aws, arn)


# ---------------------------------------------------------------------------------------------------------
def test_redrive_continues_from_the_unsuccessful_state_with_its_input(aws: dict[str, Any]) -> None:
    """REDRIVE: "continues the failed execution from the unsuccessful step", states that succeeded are not
    run again, and the execution keeps its input ($$.Execution.Input)."""
    states = {
        "First": {**count("first"), "Next": "Enrich"},
        "Enrich": {"Type": "Pass", "Result": "enriched", "ResultPath": "$.note", "Next": "Gate"},
        "Gate": {**gate(), "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"note.$": "$.note", "original.$": "$$.Execution.Input"},
                 "End": True},
    }
    arn = start(aws, "top", states, "First", {"key": "a"})
    desc = settle(aws, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "DynamoDB.ConditionalCheckFailedException"
    open_gate(aws, "a")
    desc = redrive(aws, arn)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"note": "enriched", "original": {"key": "a"}}
    assert runs(aws, "first", "a") == 1


def test_a_fail_state_reentered_by_a_redrive_fails_again(aws: dict[str, Any]) -> None:
    """REDRIVE: the redriven execution starts at the unsuccessful step; when that step is a Fail state, the
    execution fails again at once (a Catch that leads into a Fail state cannot be redriven past)."""
    states = {
        "Gate": {**gate(), "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Stop"}], "Next": "Done"},
        "Stop": {"Type": "Fail", "Error": "Stopped", "Cause": "gate closed"},
        "Done": {"Type": "Succeed"},
    }
    arn = start(aws, "failstate", states, "Gate", {"key": "f"})
    assert settle(aws, arn)["error"] == "Stopped"
    open_gate(aws, "f")  # fixing the cause does not help: the Fail state is what is re-run
    desc = redrive(aws, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "Stopped" and desc["redriveCount"] == 1


def _map(processor_states: dict[str, Any], start_at: str, concurrency: int) -> dict[str, Any]:
    return {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
            "ItemSelector": {"key.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": start_at,
                              "States": processor_states},
            "End": True}


def test_inline_map_redrive_reruns_only_failed_iterations_from_their_failed_state(aws: dict[str, Any]) -> None:
    """REDRIVE: "for an Inline Map ... reschedules and redrives only the iterations ... that failed or
    aborted"; a succeeded iteration keeps its output, the failed one continues from the state that failed."""
    processor = {"Count": {**count("it"), "Next": "Gate"},
                 "Gate": {**gate(), "Next": "Out"},
                 "Out": {"Type": "Pass", "Parameters": {"done.$": "$.key"}, "End": True}}
    for key in ("m0", "m2"):
        open_gate(aws, key)
    arn = start(aws, "map", {"Agents": _map(processor, "Count", 1)}, "Agents", {"items": ["m0", "m1", "m2"]})
    assert settle(aws, arn)["status"] == "FAILED"
    assert (runs(aws, "it", "m0"), runs(aws, "it", "m1"), runs(aws, "it", "m2")) == (1, 1, 0)
    open_gate(aws, "m1")
    desc = redrive(aws, arn)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == [{"done": "m0"}, {"done": "m1"}, {"done": "m2"}]
    # m0 not rescheduled; m1 resumed at Gate (its Count is not repeated); m2 had never started
    assert (runs(aws, "it", "m0"), runs(aws, "it", "m1"), runs(aws, "it", "m2")) == (1, 1, 1)
    started = [e for e in history(aws, arn) if e["type"] == "MapIterationStarted"]
    assert len(started) == 2 + 2  # first attempt m0, m1; redrive m1, m2


def test_a_failed_iteration_aborts_the_iterations_still_running(aws: dict[str, Any]) -> None:
    """MAP_ERRORS: when an iteration fails, the Map state fails and the other iterations are stopped: a
    sibling waiting in a Wait state is aborted (MapIterationAborted) and never reaches its next state."""
    processor = {
        "Which": {"Type": "Choice", "Choices": [{"Variable": "$.key", "StringEquals": "slow", "Next": "Linger"}],
                  "Default": "Gate"},
        "Gate": {**gate(), "End": True},
        "Linger": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
        "After": {**count("after"), "End": True},
    }
    arn = start(aws, "abort", {"Agents": _map(processor, "Which", 2)}, "Agents", {"items": ["slow", "fast"]})
    assert settle(aws, arn)["status"] == "FAILED"
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        types = [e["type"] for e in history(aws, arn)]
        if "MapIterationAborted" in types:
            break
        time.sleep(0.05)
    assert "MapIterationAborted" in types and "MapIterationFailed" in types
    assert runs(aws, "after", "slow") == 0


def test_parallel_redrive_reruns_only_the_failed_branch(aws: dict[str, Any]) -> None:
    """REDRIVE: for a Parallel state, only the branches that failed or aborted are redriven."""
    wait_for_a = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                  "Parameters": {"TableName": TABLE, "Key": {"pk": {"S": "runs-a-p"}}},
                  "ResultPath": "$.a", "Next": "ADone"}
    branch_b = {"StartAt": "WaitForA", "States": {
        "WaitForA": wait_for_a,
        "ADone": {"Type": "Choice", "Choices": [{"Variable": "$.a.Item", "IsPresent": True, "Next": "CountB"}],
                  "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "WaitForA"},
        "CountB": {**count("b"), "Next": "Gate"},
        "Gate": {**gate(), "ResultPath": None, "OutputPath": "$.key", "End": True}}}
    branch_a = {"StartAt": "CountA", "States": {"CountA": {**count("a"), "OutputPath": "$.key", "End": True}}}
    states = {"Both": {"Type": "Parallel", "Branches": [branch_a, branch_b], "End": True}}
    arn = start(aws, "parallel", states, "Both", {"key": "p"})
    assert settle(aws, arn)["status"] == "FAILED"
    open_gate(aws, "p")
    desc = redrive(aws, arn)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == ["p", "p"]
    assert (runs(aws, "a", "p"), runs(aws, "b", "p")) == (1, 1)


def test_a_redriven_execution_keeps_its_arn_and_counts_its_redrives(aws: dict[str, Any]) -> None:
    """REDRIVE_API / EVENTS: same execution ARN, redriveCount and redriveDate in DescribeExecution, one
    ExecutionRedriven event (executionRedrivenEventDetails.redriveCount) in place of a second ExecutionStarted,
    event ids consecutive; the same clientToken twice redrives once."""
    arn = start(aws, "counts", {"Gate": {**gate(), "End": True}}, "Gate", {"key": "c"})
    first = settle(aws, arn)
    assert first["redriveStatus"] == "REDRIVABLE"
    aws["sfn"].redrive_execution(executionArn=arn, clientToken="t-1")
    aws["sfn"].redrive_execution(executionArn=arn, clientToken="t-1")  # idempotent
    desc = settle(aws, arn)
    assert desc["executionArn"] == arn and desc["redriveCount"] == 1 and "redriveDate" in desc
    assert desc["startDate"] == first["startDate"] and json.loads(desc["input"]) == {"key": "c"}
    events = history(aws, arn)
    assert [e["type"] for e in events].count("ExecutionStarted") == 1
    redriven = [e for e in events if e["type"] == "ExecutionRedriven"]
    assert len(redriven) == 1 and redriven[0]["executionRedrivenEventDetails"]["redriveCount"] == 1
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


def test_only_failed_timed_out_or_aborted_standard_executions_are_redrivable(aws: dict[str, Any]) -> None:
    """REDRIVE_API: ExecutionNotRedrivable for a SUCCEEDED (or RUNNING) execution, ExecutionDoesNotExist for
    an unknown ARN."""
    arn = start(aws, "ok", {"Done": {"Type": "Succeed"}}, "Done", {})
    assert settle(aws, arn)["status"] == "SUCCEEDED"
    with pytest.raises(aws["sfn"].exceptions.ClientError, match="ExecutionNotRedrivable"):
        aws["sfn"].redrive_execution(executionArn=arn)
    with pytest.raises(aws["sfn"].exceptions.ClientError, match="ExecutionDoesNotExist"):
        aws["sfn"].redrive_execution(executionArn=arn.replace(":ok-run", ":nobody"))


def test_an_aborted_execution_is_redriven_from_the_state_it_was_in(aws: dict[str, Any]) -> None:
    """REDRIVE: ABORTED executions can be redriven; the redrive continues at the state that was running."""
    states = {"First": {**count("first"), "Next": "Hold"},
              "Hold": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                       "Parameters": {"TableName": TABLE, "Key": {"pk": {"S": "hold"}}}, "ResultPath": "$.held",
                       "Next": "Choose"},
              "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.held.Item", "IsPresent": True,
                                                        "Next": "Done"}], "Default": "Pause"},
              "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Hold"},
              "Done": {"Type": "Succeed"}}
    arn = start(aws, "aborted", states, "First", {"key": "x"})
    deadline = time.monotonic() + DEADLINE_S  # stop it once it is waiting in the Hold loop (First is done)
    while not any(e.get("stateEnteredEventDetails", {}).get("name") == "Pause" for e in history(aws, arn)):
        assert time.monotonic() < deadline, "never reached Pause"
        time.sleep(0.02)
    aws["sfn"].stop_execution(executionArn=arn, error="Operator", cause="test")
    assert settle(aws, arn)["status"] == "ABORTED"
    aws["ddb"].put_item(TableName=TABLE, Item={"pk": {"S": "hold"}})
    assert redrive(aws, arn)["status"] == "SUCCEEDED"
    assert runs(aws, "first", "x") == 1


def test_executions_stopped_more_than_14_days_ago_are_not_redrivable(aws: dict[str, Any]) -> None:
    """REDRIVE: "You can redrive executions ... within 14 days of the execution's stop time"."""
    arn = start(aws, "old", {"Gate": {**gate(), "End": True}}, "Gate", {"key": "o"})
    settle(aws, arn)
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    execution = backend.describe_execution(arn)
    execution.stop_date = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=15)
    assert aws["sfn"].describe_execution(executionArn=arn)["redriveStatus"] == "NOT_REDRIVABLE"
    with pytest.raises(aws["sfn"].exceptions.ClientError, match="14 days"):
        aws["sfn"].redrive_execution(executionArn=arn)
