"""SnapStart on the embedded stack: the state machine invokes each workflow function's alias `live` (the
published version SnapStart restores on AWS), the alias exists as CloudFormation created it, and a workflow
run through the aliases reaches the real handlers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from skymarshal.models import DisruptionEvent
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow

FUNCTION_ARN = re.compile(r"^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)(?::([^:]+))?$")


def lambda_arns(node: Any) -> list[str]:
    """Every Lambda function a task of the definition invokes (Resource, or FunctionName of lambda:invoke)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("Resource", "FunctionName"):
            if isinstance(node.get(key), str) and FUNCTION_ARN.match(node[key]):
                found.append(node[key])
        for value in node.values():
            found += lambda_arns(value)
    elif isinstance(node, list):
        for value in node:
            found += lambda_arns(value)
    return found


def test_state_machine_invokes_published_versions_through_their_alias(target, seed):
    sfn, lam = target.client("stepfunctions"), target.client("lambda")
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=target.outputs["StateMachineArn"])["definition"])
    arns = set(lambda_arns(definition))
    assert len(arns) == 7  # prepare, agent, agent failure, arbitrate, briefing, approval request, finalize
    for arn in arns:
        name, qualifier = FUNCTION_ARN.match(arn).groups()  # type: ignore[union-attr]
        assert qualifier == "live", arn
        alias = lam.get_alias(FunctionName=name, Name="live")
        assert alias["AliasArn"] == arn
        assert alias["FunctionVersion"] not in ("$LATEST", "")

    seed("ey123-technical-delay")
    event = DisruptionEvent.model_validate(load_event("ey123-technical-delay"))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    assert target.store.get_thread(event.thread_id)["status"] == "awaiting_approval"
