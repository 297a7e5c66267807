"""The duty manager's approval API (ApprovalApiFunction) on the embedded stack, with API Gateway HTTP API
payload-2.0 events: what the routes return, who is recorded as the approver, and the HTTP errors.

Each request goes through the embedded stack's Lambda Invoke API, as `skymarshal serve` does (the real handler
runs in-process with the function's environment from template.yaml). The authorizer part of the event is what
API Gateway would put there: an IAM principal (`authorizer.iam`) or the claims of a Cognito JWT
(`authorizer.jwt.claims`), or nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from skymarshal.models import DisruptionEvent
from skymarshal_local.emulator.console_server import integration_target
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow

IAM_ARN = "arn:aws:sts::123456789012:assumed-role/DutyManager/alice"
IAM = {"iam": {"accessKey": "ASIAEXAMPLE", "accountId": "123456789012", "callerId": "AROAEXAMPLE:alice",
               "principalOrgId": None, "userArn": IAM_ARN, "userId": "AROAEXAMPLE:alice"}}
JWT_EMAIL = "duty.manager@example.com"
JWT = {"jwt": {"claims": {"sub": "0f1e2d3c", "email": JWT_EMAIL, "cognito:username": "dm-bob",
                          "cognito:groups": "[ops duty-managers]"}, "scopes": []}}  # as API Gateway passes a list
OUTSIDER_JWT = {"jwt": {"claims": {"sub": "9a8b", "email": "agent@example.com", "cognito:groups": "[ops]"},
                        "scopes": []}}
OUTSIDER_IAM = {"iam": {**IAM["iam"], "userArn": "arn:aws:sts::123456789012:assumed-role/Developer/mallory"}}


class Api:
    """Call ApprovalApiFunction with HTTP API events, through the stack's Lambda API."""

    def __init__(self, stack: Any) -> None:
        resources = stack.client("cloudformation").describe_stack_resources(StackName=stack.stack_name)
        self.function_name = integration_target(resources["StackResources"])  # the alias, as API Gateway
        self.metrics_function = next(r["PhysicalResourceId"] for r in resources["StackResources"]
                                     if r.get("LogicalResourceId") == "PendingApprovalMetricsFunction")
        self.lam = stack.client("lambda")

    def __call__(self, method: str, path: str, body: Any = None, authorizer: dict[str, Any] | None = None,
                 content_type: str | None = "application/json") -> tuple[int, Any, dict[str, str]]:
        from skymarshal_local.emulator.console_server import http_api_event

        raw = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else (body or b"")
        headers = {"Content-Type": content_type} if raw and content_type else {}
        event = http_api_event(method, path, headers, raw, "unused", "api.example")
        event["routeKey"] = f"{method} {path}"
        if authorizer is None:
            event["requestContext"].pop("authorizer", None)
        else:
            event["requestContext"]["authorizer"] = authorizer
        payload = self._invoke(self.function_name, event)
        assert "statusCode" in payload, payload
        text = payload.get("body") or ""
        headers_out = {k.lower(): v for k, v in (payload.get("headers") or {}).items()}
        data = json.loads(text) if "json" in headers_out.get("content-type", "") and text else text
        return int(payload["statusCode"]), data, headers_out

    def _invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        result = self.lam.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        payload = json.loads(result["Payload"].read() or b"{}")
        assert not result.get("FunctionError"), payload
        return payload  # type: ignore[no-any-return]

    def pending_metrics(self) -> dict[str, Any]:
        return self._invoke(self.metrics_function, {"version": "0", "detail-type": "Scheduled Event",
                                                     "source": "aws.events", "detail": {}})


@pytest.fixture(scope="module")
def api(stack: Any) -> Api:
    return Api(stack)


def test_the_routes_invoke_the_published_version_behind_the_alias_as_api_gateway_does(api):
    """SAM points every HttpApi route of a function with AutoPublishAlias at its alias `live` (the published
    version SnapStart restores); the local console server and these tests invoke that alias too."""
    name, _, alias = api.function_name.rpartition(":")
    assert alias == "live"
    version = api.lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
    assert version != "$LATEST" and int(version) >= 1


def pending_thread(target: Any, seed: Any, scenario: str = "ey123-technical-delay") -> tuple[DisruptionEvent, str]:
    seed(scenario)
    event = DisruptionEvent.model_validate(load_event(scenario))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    return event, arn


def emf(runtime: Any, since: int) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format documents the functions printed since log index `since`."""
    docs = []
    for _, text in runtime.logs[since:]:
        for line in text.splitlines():
            if '"_aws"' in line:
                docs.append(json.loads(line))
    return docs


def value(v: Any) -> float:
    """An EMF metric value: a number, or a list of them (Powertools writes a list)."""
    return float(v[-1] if isinstance(v, list) else v)


# ------------------------------------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------------------------------------
def test_pending_list_has_age_and_priority_and_never_the_token(api, target, seed):
    event, arn = pending_thread(target, seed)
    token = target.store.get_approval(event.thread_id)["task_token"]

    status, data, headers = api("GET", "/approvals", authorizer=IAM)

    assert status == 200
    assert headers["cache-control"] == "no-store"
    mine = next(a for a in data["approvals"] if a["thread_id"] == event.thread_id)
    assert mine["flight_number"] == event.flight_number
    assert isinstance(mine["age_seconds"], int) and mine["age_seconds"] >= 0
    assert mine["expires_in_seconds"] > 0
    assert mine["priority"]["name"] in ("high", "medium", "normal")
    assert mine["priority"]["level"] in (1, 2, 3)
    assert data["count"] == len(data["approvals"])
    assert data["approver"] == IAM_ARN
    assert token not in json.dumps(data)
    assert "task_token" not in json.dumps(data)

    target.decide(event.thread_id, True, "cleanup", "")
    target.wait(arn, TERMINAL)


def test_thread_view_explains_the_decision_and_unknown_threads_are_404(api, target, seed):
    event, arn = pending_thread(target, seed)
    token = target.store.get_approval(event.thread_id)["task_token"]

    status, view, _ = api("GET", f"/threads/{event.thread_id}", authorizer=JWT)

    assert status == 200
    assert view["thread_id"] == event.thread_id
    assert view["thread"]["status"] == "awaiting_approval"
    assert view["approval"]["status"] == "pending" and view["approval"]["waiting"] is True
    assert view["decision"]["recommended"]["kind"] == "aircraft_swap"
    assert view["matrix"] and all(row["agents"] for row in view["matrix"])
    assert view["timeline"]
    assert token not in json.dumps(view)

    assert api("GET", "/threads/no-such-thread", authorizer=JWT)[0] == 404
    assert api("GET", "/threads/bad%20id!", authorizer=JWT)[0] in (400, 404)

    target.decide(event.thread_id, True, "cleanup", "")
    target.wait(arn, TERMINAL)


# ------------------------------------------------------------------------------------------------
# Decisions: the approver is the authenticated caller
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("authorizer", "expected"), [(IAM, IAM_ARN), (JWT, JWT_EMAIL)], ids=["iam", "jwt"])
def test_approve_records_the_authenticated_caller_and_the_run_succeeds(api, target, seed, authorizer, expected):
    event, arn = pending_thread(target, seed)

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", {"comments": " swap approved "},
                          authorizer=authorizer)

    assert status == 200, data
    assert data["decision"] == "approved"
    assert data["approval"]["approver_id"] == expected
    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "SUCCEEDED"
    result = json.loads(desc["output"])
    assert result["outcome"] == "approved"
    assert result["approval"]["approver_id"] == expected
    assert result["approval"]["comments"] == "swap approved"

    # decided: the view stops counting the wait and no longer offers a time-out
    view = api("GET", f"/threads/{event.thread_id}", authorizer=authorizer)[1]
    assert view["approval"]["status"] == "approved" and view["approval"]["waiting"] is False
    assert view["approval"]["expires_in_seconds"] is None
    frozen = view["approval"]["age_seconds"]
    time.sleep(1.2)
    assert api("GET", f"/threads/{event.thread_id}", authorizer=authorizer)[1]["approval"]["age_seconds"] == frozen
    assert event.thread_id not in [a["thread_id"] for a in api("GET", "/approvals", authorizer=IAM)[1]["approvals"]]


@pytest.mark.parametrize("authorizer", [OUTSIDER_JWT, OUTSIDER_IAM], ids=["jwt-not-in-group", "iam-other-role"])
def test_a_caller_outside_the_approver_group_gets_403_and_nothing_is_recorded(api, target, seed, authorizer):
    event, arn = pending_thread(target, seed)

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", {"comments": "ok"}, authorizer=authorizer)

    assert status == 403, data
    assert "approver" in data["error"]
    assert target.store.get_approval(event.thread_id)["approval_status"] == "pending"
    api("POST", f"/threads/{event.thread_id}/approve", authorizer=IAM)
    target.wait(arn, TERMINAL)


def test_approve_without_a_body_is_fine(api, target, seed):
    event, arn = pending_thread(target, seed)

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", authorizer=IAM)

    assert status == 200, data
    assert target.wait(arn, TERMINAL)["status"] == "SUCCEEDED"


def test_a_json_body_without_content_type_is_read_and_a_body_of_another_type_is_a_clear_415(api, target, seed):
    event, arn = pending_thread(target, seed)
    path = f"/threads/{event.thread_id}/approve"

    status, data, _ = api("POST", path, {"comments": "ok"}, authorizer=IAM, content_type="text/plain")
    assert status == 415, data
    assert "application/json" in data["error"]
    assert target.store.get_approval(event.thread_id)["approval_status"] == "pending"

    status, data, _ = api("POST", path, {"comments": "no header"}, authorizer=IAM, content_type=None)
    assert status == 200, data
    assert target.wait(arn, TERMINAL)["status"] == "SUCCEEDED"
    assert target.store.get_approval(event.thread_id)["comments"] == "no header"


def test_an_approver_in_the_body_is_refused(api, target, seed):
    event, arn = pending_thread(target, seed)

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve",
                          {"comments": "ok", "approver_id": "someone-else"}, authorizer=IAM)

    assert status == 400
    assert "approver_id" in data["error"]
    assert target.store.get_approval(event.thread_id)["approval_status"] == "pending"  # nothing recorded

    api("POST", f"/threads/{event.thread_id}/approve", authorizer=IAM)
    target.wait(arn, TERMINAL)


def test_reject_needs_a_comment_and_a_second_answer_is_409(api, target, seed):
    event, arn = pending_thread(target, seed, "ey456-crew-sickness")
    path = f"/threads/{event.thread_id}"

    assert api("POST", f"{path}/reject", {}, authorizer=JWT)[0] == 400
    assert api("POST", f"{path}/reject", {"comments": "   "}, authorizer=JWT)[0] == 400
    assert api("POST", f"{path}/reject", authorizer=JWT)[0] == 400
    assert api("POST", f"{path}/reject", b"{not json", authorizer=JWT)[0] == 400
    assert target.store.get_approval(event.thread_id)["approval_status"] == "pending"

    status, data, _ = api("POST", f"{path}/reject", {"comments": "reserve captain needed"}, authorizer=JWT)
    assert status == 200, data
    assert data["decision"] == "rejected"

    status, data, _ = api("POST", f"{path}/approve", {"comments": "changed my mind"}, authorizer=IAM)
    assert status == 409
    assert "already rejected" in data["error"]

    desc = target.wait(arn, TERMINAL)
    result = json.loads(desc["output"])
    assert desc["status"] == "SUCCEEDED" and result["outcome"] == "rejected"
    assert result["approval"]["approver_id"] == JWT_EMAIL


def test_no_authenticated_caller_is_401_and_nothing_is_recorded(api, target, seed):
    event, arn = pending_thread(target, seed)

    for authorizer in (None, {}, {"jwt": {"claims": {}, "scopes": []}}):
        status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", {"comments": "x"},
                              authorizer=authorizer)
        assert status == 401, (authorizer, data)
    assert target.store.get_approval(event.thread_id)["approval_status"] == "pending"
    assert api("GET", "/approvals", authorizer=None)[1]["approver"] is None

    api("POST", f"/threads/{event.thread_id}/approve", authorizer=IAM)
    target.wait(arn, TERMINAL)


def test_unknown_thread_decision_is_404(api, target):
    status, _, _ = api("POST", "/threads/no-such-thread/approve", {"comments": "x"}, authorizer=IAM)
    assert status == 404


def test_an_answer_after_the_timeout_is_410(api, target, seed, runtime):
    runtime.overrides["APPROVAL_TIMEOUT_SECONDS"] = "2"
    event, arn = pending_thread(target, seed, "ey321-weather-delay")

    desc = target.wait(arn, TERMINAL, timeout=60)
    assert json.loads(desc["output"])["outcome"] == "approval_timed_out"

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", {"comments": "too late"},
                          authorizer=IAM)
    assert status == 410, data
    assert "expired" in data["error"]
    approval = target.store.get_approval(event.thread_id)
    assert approval["approval_status"] == "expired" and approval.get("approver_id") is None

    view = api("GET", f"/threads/{event.thread_id}", authorizer=IAM)[1]["approval"]
    assert view["waiting"] is False and view["expires_in_seconds"] is None
    assert view["age_seconds"] <= 3  # frozen at the timeout, not still counting
    assert "approval times out in less than 15 min" not in view["priority"]["reasons"]


# ------------------------------------------------------------------------------------------------
# Observability
# ------------------------------------------------------------------------------------------------
def test_the_scheduled_metrics_publish_pending_count_and_oldest_age(api, target, seed, runtime):
    event, arn = pending_thread(target, seed)
    since = len(runtime.logs)

    result = api.pending_metrics()

    assert result["pending"] >= 1
    assert result["oldest_age_seconds"] >= 0
    docs = [d for d in emf(runtime, since) if "PendingApprovals" in d]
    assert docs, runtime.logs[since:]
    doc = docs[-1]
    names = {m["Name"]: m["Unit"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert names["PendingApprovals"] == "Count"
    assert names["OldestPendingApprovalAgeSeconds"] == "Seconds"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SkyMarshal"
    assert value(doc["PendingApprovals"]) == result["pending"]
    assert value(doc["OldestPendingApprovalAgeSeconds"]) == result["oldest_age_seconds"]

    target.decide(event.thread_id, True, "cleanup", "")
    target.wait(arn, TERMINAL)


def test_a_decision_emits_the_approval_decisions_metric_and_no_token_in_logs(api, target, seed, runtime):
    event, arn = pending_thread(target, seed)
    token = target.store.get_approval(event.thread_id)["task_token"]
    since = len(runtime.logs)

    assert api("POST", f"/threads/{event.thread_id}/approve", {"comments": "ok"}, authorizer=IAM)[0] == 200

    docs = [d for d in emf(runtime, since) if "ApprovalDecisions" in d]
    assert docs and docs[-1]["decision"] == "approved"
    target.wait(arn, TERMINAL)
    assert token not in "".join(text for _, text in runtime.logs[since:])


def test_approving_a_decision_whose_spare_was_taken_meanwhile_is_409_and_re_planned(api, target, seed):
    from skymarshal import aws
    from skymarshal.stores.fleet import CLAIM_SK, claim_pk

    event, arn = pending_thread(target, seed)  # EY123: swap to A6-BLG, held while pending
    assert "tail A6-BLG (swap)" in target.store.get_thread(event.thread_id)["holds"]
    aws.table(target.outputs["OpsDataTableName"]).update_item(  # another decision committed the spare meanwhile
        Key={"PK": claim_pk("tail", "A6-BLG"), "SK": CLAIM_SK},
        UpdateExpression="SET thread_id = :o, #st = :c", ExpressionAttributeNames={"#st": "state"},
        ExpressionAttributeValues={":o": "ey789-elsewhere", ":c": "committed"})

    status, data, _ = api("POST", f"/threads/{event.thread_id}/approve", {"comments": "swap"}, authorizer=JWT)
    assert status == 409
    assert "A6-BLG committed by thread ey789-elsewhere" in data["error"]
    assert f"re-planned as thread {event.thread_id}-r1" in data["error"]
    assert json.loads(target.wait(arn, TERMINAL)["output"])["outcome"] == "superseded"
    replan = target.wait(target.execution_arn(f"{event.thread_id}-r1"), TERMINAL | {"AWAITING_APPROVAL"})
    assert replan["status"] == "AWAITING_APPROVAL"
