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


def wait_for_peers(target: Any, thread_id: str, phase: int, count: int, timeout: float = 120.0) -> None:
    """Inside a fault: let the other agents of the phase finish first (the Map runs them in parallel)."""
    deadline = time.monotonic() + timeout
    while len(checkpoints(target, thread_id, "agent_complete", phase=phase)) < count and time.monotonic() < deadline:
        time.sleep(0.02)


# ------------------------------------------------------------------------------------------------
def computations(target: Any, thread_id: str, phase: int) -> list[str]:
    return sorted(c["agent"] for c in checkpoints(target, thread_id, "agent_complete", phase=phase))


@pytest.mark.parametrize("agent, phase", [(a, p) for a in SAFETY_AGENTS for p in (1, 2)])
def test_a_safety_agent_failure_is_redriven_by_recomputing_only_that_agent(target, runtime, seed, agent, phase):
    """The failure is raised at once, while the other agents of the phase are still running: none of them is
    aborted or recomputed; the execution fails (with the agent's error) in the phase's SafetyAgentsComplete Map,
    where the agent ran once more; the thread is `failed`, naming the agent; a redrive (RedriveExecution, as on
    AWS) invokes that agent alone, and the decision equals the decision of a run without the failure."""

    def outage(fn: str, event: dict[str, Any]) -> Exception | None:
        if fn == AGENT_FN and event.get("agent") == agent and event.get("phase") == phase:
            return RuntimeError(f"{agent}'s data source unreachable (injected)")
        return None

    baseline_event, baseline_arn = start(target, seed)
    baseline = json.loads(approve(target, baseline_event, baseline_arn)["output"])["decision"]

    runtime.faults.append(outage)
    event, arn = start(target, seed)
    thread = event.thread_id
    desc = target.wait(arn, TERMINAL)
    runtime.faults.remove(outage)
    assert desc["status"] == "FAILED" and desc["error"] == "RuntimeError", desc
    assert "data source unreachable (injected)" in desc["cause"]
    assert desc.get("redriveStatus") == "REDRIVABLE"
    others = sorted(set(ALL_AGENTS) - {agent})
    assert computations(target, thread, phase) == others  # every other agent of the phase finished
    assert len(checkpoints(target, thread, "agent_error", agent=agent, phase=phase)) == 1  # in the phase's Map
    failure = wait_for_thread_status(target, thread, "failed")["failure"]
    assert failure.startswith(f"execution failed in {agent} (phase {phase}): RuntimeError: ")
    assert [c["outcome"] for c in checkpoints(target, thread, "execution_ended")] == ["failed"]
    assert thread in {t["thread_id"] for t in target.store.threads_by_status("failed")}

    runtime.reset_counters()
    result = redrive(target, thread)
    assert result["execution_arn"] == arn and result["redrive_count"] == 1
    desc = approve(target, event, arn)
    assert desc["status"] == "SUCCEEDED" and desc["redriveCount"] == 1, desc
    assert target.store.get_thread(thread)["status"] == "completed"
    # the redrive invoked exactly the failed agent, once, and nothing else upstream of it
    invoked = {key: n for key, n in runtime.invocations.items() if n and key[0] in (AGENT_FN, "PrepareFunction")}
    assert invoked == {(AGENT_FN, agent, phase): 1} | (
        {(AGENT_FN, a, 2): 1 for a in ALL_AGENTS} if phase == 1 else {}), invoked
    assert computations(target, thread, phase) == sorted(ALL_AGENTS)  # one view per agent in the whole thread
    assert len(checkpoints(target, thread, "snapshot")) == 1 and len(checkpoints(target, thread, "options")) == 1
    decision = json.loads(desc["output"])["decision"]
    same = ("recommended", "alternatives", "binding_constraints", "confidence", "escalated")
    assert {k: decision[k] for k in same} == {k: baseline[k] for k in same}
    history = target.history(arn)
    assert [e["type"] for e in history].count("ExecutionRedriven") == 1
    with pytest.raises(TargetError, match="ExecutionNotRedrivable"):
        redrive(target, arn)


def wait_for_thread_status(target: Any, thread_id: str, status: str, timeout: float = 120.0) -> dict[str, Any]:
    """The thread's status is set from the execution's status-change event (EventBridge -> Lambda): async."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        thread = target.store.get_thread(thread_id) or {}
        if thread.get("status") == status:
            return thread
        time.sleep(0.05)
    raise AssertionError(f"thread {thread_id} never became {status}: {target.store.get_thread(thread_id)}")


def test_a_safety_agent_that_fails_again_after_a_redrive_leaves_the_thread_failed(target, runtime, seed):
    runtime.faults.append(lambda fn, ev: RuntimeError("still down (injected)")
                          if fn == AGENT_FN and ev.get("agent") == "maintenance" and ev.get("phase") == 1 else None)
    try:
        event, arn = start(target, seed)
        assert target.wait(arn, TERMINAL)["status"] == "FAILED"
        wait_for_thread_status(target, event.thread_id, "failed")
        redrive(target, event.thread_id)
        desc = target.wait(arn, TERMINAL)
        assert desc["status"] == "FAILED" and desc["redriveCount"] == 1
        deadline = time.monotonic() + 120
        # the redrive's start (active, attempt 1) and its end (failed) arrive as two events, in either order
        while ((t := target.store.get_thread(event.thread_id) or {}).get("attempt"), t.get("status")) != (1, "failed") \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        thread = target.store.get_thread(event.thread_id)
        assert thread["status"] == "failed" and thread["attempt"] == 1
    finally:
        runtime.faults.clear()


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
    # the published version the state machine invokes through the alias `live` (template.yaml, SnapStart)
    fn = lambda_backends[ACCOUNT][REGION].get_function(physical, "live")
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
    with pytest.raises(TargetError, match=r"approval expired \(expired at .*\); the workflow no longer waits"):
        target.decide(event.thread_id, True, "dm-late", "too late")
    assert target.store.get_thread(event.thread_id)["status"] == "escalated"
    assert target.store.get_approval(event.thread_id)["approval_status"] == "expired"
    assert event.thread_id in {t["thread_id"] for t in target.store.threads_by_status("escalated")}

