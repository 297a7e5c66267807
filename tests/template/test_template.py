"""template.yaml and the ASL, checked offline the way `sam validate` cannot: translation, cfn-lint on the
translated CloudFormation, ASL validation, substitutions and error names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from skymarshal_local import templatecheck
from skymarshal_local.template import ASL, load_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfn() -> dict:
    return templatecheck.translated()


def test_sam_template_translates_and_cfn_lint_finds_no_error(cfn):
    assert templatecheck.cfn_lint_errors(cfn) == []


def test_state_machine_is_standard_with_logging_and_tracing(cfn):
    sm = next(r for r in cfn["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    props = sm["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["Destinations"]
    assert props["TracingConfiguration"]["Enabled"] is True
    assert "DefinitionS3Location" in props and "DefinitionSubstitutions" in props


def test_every_function_runs_python313_on_arm64_with_tracing(cfn):
    functions = [r["Properties"] for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 6
    for fn in functions:
        assert fn["Runtime"] == "python3.13"
        assert fn["Architectures"] == ["arm64"]
        assert fn["TracingConfig"] == {"Mode": "Active"}
        env = fn["Environment"]["Variables"]
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(env)


def test_checkpoint_storage_keeps_90_days_encrypted_and_private():
    resources = load_template()["Resources"]
    table = resources["CheckpointTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["ByStatus"]
    bucket = resources["CheckpointBucket"]["Properties"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["Prefix"] == "checkpoints/" and rule["ExpirationInDays"] == {"Ref": "CheckpointRetentionDays"}
    policy = resources["CheckpointBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Effect"] == "Deny" and policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_function_policies_name_their_resources(cfn):
    """Least privilege: no function role allows an action on "*" (the state machine's log delivery is the
    documented AWS exception, on the state machine's own role)."""
    for name, res in cfn["Resources"].items():
        if res["Type"] != "AWS::IAM::Role" or name.startswith("DisruptionStateMachine"):
            continue
        for policy in res["Properties"].get("Policies", []):
            for entry in policy["PolicyDocument"]["Statement"]:
                # a conditional statement (Fn::If [condition, statement, AWS::NoValue]) is checked as its statement
                statement = entry["Fn::If"][1] if "Fn::If" in entry else entry
                assert statement["Resource"] != "*", f"{name}: {statement}"


def test_asl_substitutions_and_error_names_match_the_template_and_code():
    assert templatecheck.substitution_errors() == []
    assert templatecheck.error_name_errors() == []


def test_asl_passes_statelint():
    statelint = Path(sys.executable).with_name("statelint")
    if not statelint.exists():
        pytest.skip("statelint is installed by `make install` (dev extra)")
    result = subprocess.run([str(statelint), "--ignore=FLOAT,URI", str(ASL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_safety_agents_fail_the_run_and_business_agents_degrade():
    asl = json.loads(ASL.read_text())
    for phase in ("Phase1_AgentsAssessOptions", "Phase2_AgentsReviseViews"):
        states = asl["States"][phase]["ItemProcessor"]["States"]
        fails = [s for s in states.values() if s["Type"] == "Fail"]
        assert [f["Error"] for f in fails] == ["SafetyAgentFailed"]
        choice = next(s for s in states.values() if s["Type"] == "Choice")
        assert choice["Choices"][0]["Variable"] == "$.safety"


def test_approval_wait_has_a_timeout_and_ends_in_escalation_not_a_hang():
    wait = json.loads(ASL.read_text())["States"]["AwaitDutyManagerApproval"]
    assert wait["Resource"].endswith(".waitForTaskToken")
    assert wait["TimeoutSecondsPath"] == "$.approval_timeout_seconds"
    assert {c["Next"] for c in wait["Catch"]} == {"ApprovalTimedOut", "DecisionRejectedByDutyManager"}
