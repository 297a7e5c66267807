"""Conformance: executions of one state machine are independent when the engine parses its definition once
(patches.parse_state_machines_once shares the parsed components between executions).

Reference: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (Retry:
"MaxAttempts: a positive integer that represents the maximum number of retry attempts", counted for the state
of one execution). Each execution of a Task that always fails with MaxAttempts 2 runs it 1 + 2 times, however
many executions of the same definition ran before it or run beside it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from skymarshal_local.emulator import patches
from tests.conformance.test_redrive import gate, history, open_gate, settle

RETRY = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1.0}]


def attempts(aws: dict[str, Any], arn: str) -> int:
    return sum(1 for e in history(aws, arn) if e["type"] == "TaskScheduled")


def test_each_execution_counts_its_own_retries(aws: dict[str, Any]) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    patches.parse_state_machines_once()
    definition = {"StartAt": "Gate", "States": {"Gate": {**gate(), "Retry": RETRY, "End": True}}}
    sm = aws["sfn"].create_state_machine(name="retries", roleArn="arn:aws:iam::123456789012:role/conformance",
                                         definition=json.dumps(definition))["stateMachineArn"]
    before = AmazonStateLanguageParser.parse.cache_info().hits  # type: ignore[attr-defined]

    def run(key: str) -> tuple[str, dict[str, Any]]:
        arn = aws["sfn"].start_execution(stateMachineArn=sm, name=f"run-{key}",
                                         input=json.dumps({"key": key}))["executionArn"]
        return arn, settle(aws, arn)

    first, desc = run("a")  # alone: its retries exhausted
    assert desc["status"] == "FAILED" and desc["error"] == "DynamoDB.ConditionalCheckFailedException"
    assert attempts(aws, first) == 3
    open_gate(aws, "c")
    with ThreadPoolExecutor(3) as pool:  # side by side, on the components the first one used
        results = dict(zip("bcd", pool.map(run, "bcd"), strict=True))
    for key, (arn, desc) in results.items():
        if key == "c":  # its gate was open: succeeds at once, no retry counted from the others
            assert desc["status"] == "SUCCEEDED" and attempts(aws, arn) == 1
        else:
            assert desc["status"] == "FAILED" and attempts(aws, arn) == 3, key
    assert AmazonStateLanguageParser.parse.cache_info().hits > before  # type: ignore[attr-defined]
