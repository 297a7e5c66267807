"""The optional briefing step (issue 16): its parameter, its least-privilege Bedrock permission, and the ASL
states in docs/briefing-asl-state.json, checked as they will sit in the state machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from skymarshal_local import templatecheck
from skymarshal_local.template import ASL, load_template

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = ROOT / "docs" / "briefing-asl-state.json"


def merged_asl() -> dict:
    """The ASL with the briefing states (as they are, once inserted; or inserted here from the snippet)."""
    asl = json.loads(ASL.read_text())
    snippet = json.loads(SNIPPET.read_text())
    if "WriteDutyManagerBriefing" not in asl["States"]:
        asl["States"]["ArbitrateDecision"]["Next"] = snippet["ArbitrateDecision.Next"]
        asl["States"].update(snippet["States"])
    return asl


def _role_policies(cfn: dict, role: str) -> list[dict]:
    return cfn["Resources"][role]["Properties"]["Policies"]


def test_bedrock_is_allowed_only_for_the_configured_model_and_not_at_all_without_one():
    cfn = templatecheck.translated()
    statements = [s for p in _role_policies(cfn, "BriefingFunctionRole") for s in p["PolicyDocument"]["Statement"]]
    conditional = [s["Fn::If"] for s in statements if "Fn::If" in s]
    assert len(conditional) == 1
    condition, statement, otherwise = conditional[0]
    assert condition == "BriefingEnabled" and otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Action"] == ["bedrock:InvokeModel"]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/${BriefingModelId}"}
    assert cfn["Conditions"]["BriefingEnabled"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "BriefingModelId"}, ""]}]}
    # no other role may call Bedrock models
    for name, res in cfn["Resources"].items():
        if res["Type"] == "AWS::IAM::Role" and name != "BriefingFunctionRole":
            assert "bedrock:InvokeModel" not in json.dumps(res), name


def test_briefing_is_off_by_default_and_its_step_is_bounded_in_time():
    sam = load_template()
    assert sam["Parameters"]["BriefingModelId"]["Default"] == ""
    fn = sam["Resources"]["BriefingFunction"]["Properties"]
    assert fn["Handler"] == "skymarshal.handlers.briefing.lambda_handler"
    state = merged_asl()["States"]["WriteDutyManagerBriefing"]
    assert fn["Timeout"] < state["TimeoutSeconds"] <= 300
    # the call's own bound (3 attempts of the read timeout) fits inside the function's timeout
    from skymarshal.config import DEFAULTS

    assert int(DEFAULTS["BRIEFING_TIMEOUT_SECONDS"]) * int(DEFAULTS["BRIEFING_MAX_ATTEMPTS"]) < fn["Timeout"]


def test_briefing_states_skip_when_off_and_never_stop_the_run():
    states = merged_asl()["States"]
    assert states["ArbitrateDecision"]["Next"] == "IsBriefingEnabled"
    choice = states["IsBriefingEnabled"]
    assert choice["Default"] == "IsApprovalRequired"
    assert choice["Choices"][0]["Next"] == "WriteDutyManagerBriefing"
    task = states["WriteDutyManagerBriefing"]
    assert task["Resource"] == "${BriefingFunctionArn}"
    assert task["ResultPath"] == "$.decision.briefing"
    assert task["Next"] == "IsApprovalRequired"
    assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.briefing_error",
                              "Next": "IsApprovalRequired"}]
    subs = set(load_template()["Resources"]["DisruptionStateMachine"]["Properties"]["DefinitionSubstitutions"])
    assert "BriefingFunctionArn" in subs


def test_asl_with_the_briefing_states_passes_statelint(tmp_path):
    statelint = Path(sys.executable).with_name("statelint")
    if not statelint.exists():
        pytest.skip("statelint is installed by `make install` (dev extra)")
    path = tmp_path / "disruption.asl.json"
    path.write_text(json.dumps(merged_asl()))
    result = subprocess.run([str(statelint), "--ignore=FLOAT,URI", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
