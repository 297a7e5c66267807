"""Fault injection on the embedded stack: every fault ends in a defined state and nothing is lost.

The embedded stack keeps its state in memory only (moto, in this process): there is no restart-between-failure-
and-redrive test, because a restarted embedded stack has no execution to redrive.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from skymarshal.errors import CheckpointConflict, TransientDependencyError
from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS, DisruptionEvent
from skymarshal_local.operations.redrive import redrive
from skymarshal_local.target import TargetError
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow
SCENARIO = "ey123-technical-delay"
AGENT_FN = "AgentFunction"


def start(target: Any, seed: Any, **overrides: Any) -> tuple[DisruptionEvent, str]:
    seed(SCENARIO)
    event = DisruptionEvent.model_validate(load_event(SCENARIO, **overrides))
    return event, target.start(event)


def approve(target: Any, event: DisruptionEvent, arn: str) -> dict[str, Any]:
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    target.decide(event.thread_id, True, "dm-42", "approved after fault")
    return target.wait(arn, TERMINAL)


def checkpoints(target: Any, thread_id: str, step: str, **match: Any) -> list[dict[str, Any]]:
    return [c for c in target.store.history(thread_id)
            if c["step"] == step and all(c.get(k) == v for k, v in match.items())]


def wait_for_peers(target: Any, thread_id: str, phase: int, count: int, timeout: float = 10.0) -> None:
    """Inside a fault: let the other agents of the phase finish first (the Map runs them in parallel)."""
    deadline = time.monotonic() + timeout
    while len(checkpoints(target, thread_id, "agent_complete", phase=phase)) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def agent_outputs(history: list[dict[str, Any]], after_type: str | None = None) -> list[dict[str, Any]]:
    """The AgentFunction results in an execution history (optionally only after an event type)."""
    out, on = [], after_type is None
    for e in history:
        on = on or e["type"] == after_type
        details = e.get("taskSucceededEventDetails") or e.get("lambdaFunctionSucceededEventDetails")
        if on and details and details.get("output"):
            data = json.loads(details["output"])
            if isinstance(data, dict) and "view" in data and "agent" in data:
                out.append(data)
    return out


# ------------------------------------------------------------------------------------------------
def test_safety_agent_failure_fails_then_redrive_recomputes_only_that_agent(target, runtime, seed):
    holder: dict[str, str] = {}

    def crew_outage(fn: str, event: dict[str, Any]) -> Exception | None:
        if fn == AGENT_FN and event.get("agent") == "crew_compliance" and event.get("phase") == 1:
            wait_for_peers(target, event["thread_id"], 1, len(ALL_AGENTS) - 1)
            return RuntimeError("crew roster service unreachable (injected)")
        return None

    runtime.faults.append(crew_outage)
    event, arn = start(target, seed)
    holder["thread"] = event.thread_id
    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "FAILED"
    assert desc["error"] == "SafetyAgentFailed"
    assert desc.get("redriveStatus") == "REDRIVABLE"
    failed = [e for e in target.history(arn) if e["type"] == "ExecutionFailed"]
    assert failed and failed[0]["executionFailedEventDetails"]["error"] == "SafetyAgentFailed"
    thread = event.thread_id
    assert target.store.get_thread(thread)["status"] == "failed"
    assert thread in {t["thread_id"] for t in target.store.threads_by_status("failed")}
    assert len(checkpoints(target, thread, "agent_error", agent="crew_compliance", phase=1)) == 1
    before = {c["agent"] for c in checkpoints(target, thread, "agent_complete", phase=1)}
    assert before == set(ALL_AGENTS) - {"crew_compliance"}

    # the cause is fixed; the on-call engineer redrives (same API call as on AWS)
    runtime.faults.clear()
    runtime.reset_counters()
    result = redrive(target, thread)
    assert result["execution_arn"] == arn and result["redrive_count"] == 1
    assert thread not in {t["thread_id"] for t in target.store.threads_by_status("failed")}
    desc = approve(target, event, arn)
    assert desc["status"] == "SUCCEEDED", desc
    assert desc["redriveCount"] == 1 and "redriveDate" in desc
    assert json.loads(desc["output"])["outcome"] == "approved"
    assert target.store.get_thread(thread)["status"] == "completed"

    # nothing finished was recomputed: one phase-1 view per agent in the whole thread, one snapshot, one options
    phase1 = checkpoints(target, thread, "agent_complete", phase=1)
    assert sorted(c["agent"] for c in phase1) == sorted(ALL_AGENTS)
    assert len(checkpoints(target, thread, "snapshot")) == 1 and len(checkpoints(target, thread, "options")) == 1
    # only crew_compliance computed its phase-1 view again; the six others answered from their stored work
    history = target.history(arn)
    assert any(e["type"] == "ExecutionRedriven" for e in history)
    redriven = {o["agent"]: o for o in agent_outputs(history, "ExecutionRedriven") if o["phase"] == 1}
    assert set(redriven) == set(ALL_AGENTS)
    assert [a for a, o in redriven.items() if not o["reused"]] == ["crew_compliance"]
    # Lambda invocations in the redrive: it resumes at the failed Map (Prepare is not run again) and re-runs the
    # Map, so each phase-1 agent is invoked once (AWS would invoke only crew_compliance); the agent
    # *computations* are counted by the checkpoints above.
    assert all(runtime.invocations[(AGENT_FN, a, 1)] == 1 for a in ALL_AGENTS)
    assert runtime.invocations[("PrepareFunction", "", 0)] == 0
    redriven_at = next(i for i, e in enumerate(history) if e["type"] == "ExecutionRedriven")
    assert "PrepareDisruption" not in [e["stateEnteredEventDetails"]["name"] for e in history[redriven_at:]
                                       if "stateEnteredEventDetails" in e]

    with pytest.raises(TargetError, match="ExecutionNotRedrivable"):
        redrive(target, arn)


def test_redrive_of_a_running_or_unknown_execution_is_refused(target, runtime, seed):
    sfn = target.client("stepfunctions")
    _, arn = start(target, seed)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    with pytest.raises(sfn.exceptions.ClientError) as err:
        sfn.redrive_execution(executionArn=arn)
    assert err.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    with pytest.raises(sfn.exceptions.ClientError) as err:
        sfn.redrive_execution(executionArn=arn + "-nope")
    assert err.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    sfn.stop_execution(executionArn=arn)


def test_business_agent_failure_degrades_the_decision(target, runtime, seed):
    runtime.faults.append(
        lambda fn, ev: RuntimeError("finance ledger down (injected)")
        if fn == AGENT_FN and ev.get("agent") == "finance" else None  # down for the whole run
    )
    event, arn = start(target, seed)
    desc = approve(target, event, arn)
    assert desc["status"] == "SUCCEEDED"
    decision = json.loads(desc["output"])["decision"]
    assert "finance" in decision["unavailable_agents"]
    assert decision["recommended"] is not None
    assert checkpoints(target, event.thread_id, "agent_error", agent="finance", phase=1)
    assert checkpoints(target, event.thread_id, "agent_unavailable", agent="finance", phase=1)
    assert checkpoints(target, event.thread_id, "agent_unavailable", agent="finance", phase=2)
    assert target.store.get_thread(event.thread_id)["status"] == "completed"


def test_agent_exceeding_its_lambda_timeout_is_recorded_as_timeout(target, runtime, seed, stack):
    from moto.awslambda.models import lambda_backends

    from skymarshal_local.localenv import ACCOUNT, REGION

    physical = next(p for p, logical in runtime.logical_names.items() if logical == AGENT_FN)
    fn = lambda_backends[ACCOUNT][REGION].get_function(physical)
    saved = fn.timeout

    def slow_network(name: str, ev: dict[str, Any]) -> float | None:
        """network (phase 1) runs 1.3 s against a 1 s timeout (template: 30 s); every other invocation gets the
        template's timeout back (the timed-out handler keeps the container busy a moment, as on AWS)."""
        if name == AGENT_FN and ev.get("agent") == "network" and ev.get("phase") == 1:
            wait_for_peers(target, ev["thread_id"], 1, len(ALL_AGENTS) - 1)
            fn.timeout = 1
            return 1.3
        fn.timeout = saved
        return None

    runtime.faults.append(slow_network)
    try:
        event, arn = start(target, seed)
        desc = approve(target, event, arn)
    finally:
        fn.timeout = saved
    assert desc["status"] == "SUCCEEDED"
    timeouts = checkpoints(target, event.thread_id, "agent_timeout", agent="network", phase=1)
    assert timeouts and timeouts[0]["outcome"] == "timeout"
    unavailable = checkpoints(target, event.thread_id, "agent_unavailable", agent="network", phase=1)
    assert unavailable and unavailable[0]["outcome"] == "unavailable"  # phase 1 degraded, the run went on
    caught = [e for e in target.history(arn) if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    assert any("Sandbox.Timedout" in json.dumps(e, default=str) for e in caught)


# ------------------------------------------------------------------------------------------------
class _Throttle:
    """A botocore `before-send` hook answering DynamoDB PutItem with ProvisionedThroughputExceededException
    (so botocore's retry handler sees a real throttling response), `times` times."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.calls += 1
        if self.calls > self.times:
            return None
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                           "message": "Rate of requests exceeds the allowed throughput (injected)"}).encode()

        class Raw:
            def stream(self, **_: Any) -> Any:
                yield body

        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ProvisionedThroughputExceededException"}, Raw())


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    """Record botocore's retry delays instead of sleeping them (keeps the test fast, proves the bound)."""
    import botocore.endpoint

    slept: list[float] = []

    class _Time:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", _Time())
    return slept


@pytest.mark.parametrize("throttled, expect", [(2, "ok"), (99, "error")])
def test_checkpoint_write_throttling_is_retried_by_botocore_then_fails_clearly(
    target, no_backoff_sleep, throttled, expect
):
    from skymarshal import aws

    store = target.store
    thread = f"throttle-{throttled}-{time.time_ns()}"
    client = aws.table(store.table_name).meta.client
    hook = _Throttle(throttled)
    client.meta.events.register("before-send.dynamodb.PutItem", hook)
    try:
        if expect == "ok":
            record = store.put(thread, "start", {"n": 1})
            assert store.load(record.ref) == {"n": 1}
            assert hook.calls == throttled + 1
        else:
            with pytest.raises(TransientDependencyError, match="ProvisionedThroughputExceededException"):
                store.put(thread, "start", {"n": 1})
            assert hook.calls == int(aws.retry_config().retries["total_max_attempts"])  # bounded, no hand loop
    finally:
        client.meta.events.unregister("before-send.dynamodb.PutItem", hook)
    assert len(no_backoff_sleep) == hook.calls - 1 and all(s <= 20 for s in no_backoff_sleep)


def test_two_writers_on_one_thread_version_one_wins_one_conflicts(target):
    store = target.store
    thread = f"cas-{time.time_ns()}"
    version = store.open_thread(thread)["version"]
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def writer(name: str) -> None:
        barrier.wait()
        try:
            results[name] = store.update_thread(thread, version, status="active", writer=name)
        except CheckpointConflict as exc:
            results[name] = exc

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results.values() if isinstance(r, CheckpointConflict)]
    wins = [r for r in results.values() if isinstance(r, dict)]
    assert len(conflicts) == 1 and len(wins) == 1
    assert f"expected version {version}, found {version + 1}" in str(conflicts[0])
    final = store.get_thread(thread)
    assert final["version"] == version + 1 and final["writer"] == wins[0]["writer"]


def test_five_megabyte_checkpoint_goes_to_s3_and_back_byte_identical(target):
    import os

    store = target.store
    thread = f"big-{time.time_ns()}"
    payload = {"blob": os.urandom(5 * 1024 * 1024 // 2).hex()}  # 5 MiB of JSON text
    record = store.put(thread, "snapshot", payload)
    assert record.in_s3 and record.size_bytes >= 5 * 1024 * 1024
    item = target.client("dynamodb").get_item(
        TableName=store.table_name,
        Key={"PK": {"S": f"THREAD#{thread}"}, "SK": {"S": f"CHECKPOINT#{record.checkpoint_id}"}},
    )["Item"]
    assert "payload" not in item and "payload_s3" in item
    stored = target.client("s3").get_object(Bucket=store.bucket, Key=item["payload_s3"]["M"]["key"]["S"])["Body"].read()
    assert stored == json.dumps(payload).encode()
    assert store.load(record.ref) == payload


# ------------------------------------------------------------------------------------------------
def test_approval_token_used_twice_is_refused(target, runtime, seed):
    event, arn = start(target, seed)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    token = target.store.get_approval(event.thread_id)["task_token"]
    target.decide(event.thread_id, True, "dm-1", "first answer")
    with pytest.raises(TargetError, match="already approved"):
        target.decide(event.thread_id, False, "dm-2", "second answer")
    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"])["approval"]["approver_id"] == "dm-1"
    sfn = target.client("stepfunctions")  # the raw token, replayed with the plain API, is refused too
    with pytest.raises(sfn.exceptions.ClientError):
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": False, "approver_id": "x"}))


def test_approval_after_the_timeout_is_refused_and_the_thread_escalated(target, runtime, seed):
    runtime.overrides["APPROVAL_TIMEOUT_SECONDS"] = "2"
    event, arn = start(target, seed)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    desc = target.wait(arn, TERMINAL, timeout=600)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"])["outcome"] == "approval_timed_out"
    with pytest.raises(TargetError, match=r"expired|already"):
        target.decide(event.thread_id, True, "dm-late", "too late")
    assert target.store.get_thread(event.thread_id)["status"] == "escalated"
    assert target.store.get_approval(event.thread_id)["approval_status"] == "expired"
    assert event.thread_id in {t["thread_id"] for t in target.store.threads_by_status("escalated")}


def test_safety_agents_are_the_binding_ones():
    assert set(SAFETY_AGENTS) == {"crew_compliance", "maintenance", "regulatory"}
