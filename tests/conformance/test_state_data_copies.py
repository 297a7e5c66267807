"""Conformance: each state works on its own copy of its input (patches.copy_state_data_as_json replaces the
engine's `copy.deepcopy` of state data with a copy of JSON values).

References:
- https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html: "The Parallel state ... causes
  AWS Step Functions to execute each branch, starting with the state named in that branch's StartAt field, as
  concurrently as possible", each branch with the Parallel state's input, and its output "is an array with one
  element for each branch containing the output from that branch".
- https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html: ResultPath adds the
  result to the state's input; the rest of the input passes through unchanged.
The expected outputs below are derived by hand from those pages.
"""

from __future__ import annotations

import json
from typing import Any

from skymarshal_local.emulator import patches
from tests.conformance.conftest import ROLE
from tests.conformance.test_redrive import settle


def branch(mark: str) -> dict[str, Any]:
    return {"StartAt": f"Mark{mark}", "States": {
        f"Mark{mark}": {"Type": "Pass", "Result": mark, "ResultPath": "$.shared.mark", "Next": f"Add{mark}"},
        f"Add{mark}": {"Type": "Pass", "Result": {"by": mark}, "ResultPath": "$.shared.items[0].seen", "End": True},
    }}


def test_parallel_branches_and_the_state_after_them_each_see_their_own_copy_of_the_input(aws: dict[str, Any]) -> None:
    patches.copy_state_data_as_json()
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [branch("a"), branch("b")], "ResultPath": "$.branches",
                 "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"input.$": "$.shared", "branches.$": "$.branches"}, "End": True},
    }}
    sm = aws["sfn"].create_state_machine(name="copies", roleArn=ROLE, definition=json.dumps(definition))
    given = {"shared": {"items": [{"n": 1}], "note": "x"}}
    arn = aws["sfn"].start_execution(stateMachineArn=sm["stateMachineArn"], input=json.dumps(given))["executionArn"]
    desc = settle(aws, arn)
    assert desc["status"] == "SUCCEEDED", desc
    output = json.loads(desc["output"])
    # the execution's input is what the branches changed a copy of: the state after them sees it unchanged
    assert output["input"] == {"items": [{"n": 1}], "note": "x"}
    # each branch changed only its own copy: neither sees the other's mark, and the execution's input kept none
    assert output["branches"] == [
        {"shared": {"items": [{"n": 1, "seen": {"by": mark}}], "note": "x", "mark": mark}} for mark in "ab"]
    history = aws["sfn"].get_execution_history(executionArn=arn)["events"]
    entered = [json.loads(e["stateEnteredEventDetails"]["input"]) for e in history
               if e["type"] == "PassStateEntered" and e["stateEnteredEventDetails"]["name"] in ("Marka", "Markb")]
    assert entered == [given, given]
