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


def test_no_agent_failure_aborts_a_phase_and_only_a_failed_safety_agent_can_fail_the_run():
    """Redrivable on AWS: a Catch that ends in a Fail state is re-entered by RedriveExecution and fails again,
    and a failed inline-Map iteration aborts its siblings. So each agent's error is caught in its own
    iteration (which ends normally), and only the last-chance run of a failed safety agent has no Catch."""
    asl = json.loads(ASL.read_text())

    def fail_states(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [name for name, s in node.get("States", {}).items() if s.get("Type") == "Fail"]
            return found + [f for v in node.values() for f in fail_states(v)]
        return [f for v in node for f in fail_states(v)] if isinstance(node, list) else []

    assert fail_states(asl) == []
    for phase, gate in (("Phase1_AgentsAssessOptions", "Phase1_SafetyAgentsComplete"),
                        ("Phase2_AgentsReviseViews", "Phase2_SafetyAgentsComplete")):
        states = asl["States"][phase]["ItemProcessor"]["States"]
        agent_task = states[asl["States"][phase]["ItemProcessor"]["StartAt"]]
        assert agent_task["Catch"][0]["ErrorEquals"] == ["States.ALL"]
        assert all(s.get("End") for s in states.values() if "Catch" not in s)
        assert asl["States"][phase]["Next"] == gate
        gate_states = asl["States"][gate]["ItemProcessor"]["States"]
        choice = next(s for s in gate_states.values() if s["Type"] == "Choice")
        assert choice["Choices"][0] == {"Variable": "$.summary.status", "StringEquals": "failed",
                                        "Next": choice["Choices"][0]["Next"]}
        last_chance = gate_states[choice["Choices"][0]["Next"]]
        assert last_chance["Resource"] == "${AgentFunctionArn}" and "Catch" not in last_chance


def test_throttled_lambda_tasks_are_retried_with_capped_jittered_backoff():
    asl = json.loads(ASL.read_text())

    def tasks(node: object) -> list[dict]:
        if isinstance(node, dict):
            own = [node] if node.get("Type") == "Task" and "Retry" in node else []
            return own + [t for v in node.values() for t in tasks(v)]
        return [t for v in node for t in tasks(v)] if isinstance(node, list) else []

    lambda_tasks = [t for t in tasks(asl) if "Function" in t["Resource"] or "lambda" in t["Resource"]]
    assert lambda_tasks
    for task in lambda_tasks:
        throttle = next(r for r in task["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"])
        assert throttle["MaxAttempts"] >= 6 and throttle["MaxDelaySeconds"] <= 60
        assert throttle["JitterStrategy"] == "FULL"


def test_approval_wait_has_a_timeout_and_ends_in_escalation_not_a_hang():
    wait = json.loads(ASL.read_text())["States"]["AwaitDutyManagerApproval"]
    assert wait["Resource"].endswith(".waitForTaskToken")
    assert wait["TimeoutSecondsPath"] == "$.approval_timeout_seconds"
    assert {c["Next"] for c in wait["Catch"]} == {"ApprovalTimedOut", "DecisionRejectedByDutyManager"}


def test_every_configured_environment_can_raise_the_approval_age_alarm():
    """The approval-age alarm must fire before the approval times out (1800 s against a 1800 s timeout never
    fires): checked for the template's defaults and every environment in samconfig.toml."""
    import re
    import tomllib

    params = load_template()["Parameters"]
    defaults = {k: str(v.get("Default")) for k, v in params.items()}
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env, section in config.items():
        if not isinstance(section, dict):
            continue
        overrides = section.get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
        values = {**defaults, **dict(re.findall(r'(\w+)="?([^" ]+)"?', overrides))}
        assert int(values["ApprovalAgeAlarmSeconds"]) < int(values["ApprovalTimeoutSeconds"]), env


STEP_FUNCTIONS_TASKS = ("Prepare", "Agent", "RecordAgentFailure", "Arbitrate", "Briefing", "RequestApproval",
                        "Finalize")


def test_workflow_functions_snapstart_a_published_version_that_the_state_machine_invokes(cfn):
    """A disruption storm starts many sandboxes of these seven at once: each is restored from a SnapStart
    snapshot of a published version, and the state machine invokes that version (alias `live`), not $LATEST
    (SnapStart does not apply to $LATEST)."""
    resources = cfn["Resources"]
    sm = next(r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    subs = sm["Properties"]["DefinitionSubstitutions"]
    for name in STEP_FUNCTIONS_TASKS:
        function = resources[f"{name}Function"]["Properties"]
        assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        alias = resources[f"{name}FunctionAliaslive"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        assert alias["Properties"]["FunctionName"] == {"Ref": f"{name}Function"}
        version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert resources[version]["Type"] == "AWS::Lambda::Version"
        assert subs[f"{name}FunctionArn"] == {"Ref": f"{name}FunctionAliaslive"}, name


def test_the_approval_api_snapstarts_and_every_route_invokes_its_published_alias(cfn):
    """A duty manager waits on the approval API: it is restored from a SnapStart snapshot too, which only a
    published version has, so every way in (the HTTP API's routes, the optional browser API) must invoke the
    alias `live` and hold the permission for it; a route left on the unqualified function would run $LATEST,
    initialised from scratch, and a permission on the function would not let API Gateway invoke the alias."""
    resources = cfn["Resources"]
    assert resources["ApprovalApiFunction"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    alias = {"Ref": "ApprovalApiFunctionAliaslive"}
    assert resources["ApprovalApiFunctionAliaslive"]["Type"] == "AWS::Lambda::Alias"
    routes = [op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
              for ops in resources["ApprovalApi"]["Properties"]["Body"]["paths"].values() for op in ops.values()]
    assert len(routes) == 6 and all("/functions/${ApprovalApiFunctionAliaslive}/invocations" in r for r in routes)
    assert resources["ApprovalBrowserIntegration"]["Properties"]["IntegrationUri"] == alias
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"
                   and "ApprovalApiFunction" in json.dumps(r["Properties"]["FunctionName"])]
    assert len(permissions) == 7 and all(p["FunctionName"] == alias for p in permissions)


def test_the_execution_status_function_may_read_the_thread_s_checkpoints(cfn):
    """An execution that failed or was stopped is reflected on its thread by ExecutionStatusFunction, which reads
    the thread's checkpoints (one Query: the safety agent whose failure ended the run, the operator's stop
    request). Without dynamodb:Query on the checkpoint table every such event is AccessDenied on AWS, retried
    by EventBridge for a day, and the thread never shows failed; the local stack does not check IAM."""
    role = cfn["Resources"]["ExecutionStatusFunctionRole"]["Properties"]
    allowed = {(action, json.dumps(statement["Resource"], sort_keys=True))
               for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]
               for action in statement["Action"]}
    table = json.dumps({"Fn::GetAtt": ["CheckpointTable", "Arn"]}, sort_keys=True)
    assert {("dynamodb:Query", table), ("dynamodb:GetItem", table), ("dynamodb:UpdateItem", table)} <= allowed
