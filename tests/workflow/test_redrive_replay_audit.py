"""Redrive through the plain API, replay (time travel) from a checkpoint, and the audit export, on the embedded
stack with the real ASL and handlers."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest

from skymarshal.models import ALL_AGENTS, DisruptionEvent
from skymarshal_local.operations import audit
from skymarshal_local.operations.replay import replay
from skymarshal_local.target import TargetError
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow
SCENARIO = "ey123-technical-delay"


@pytest.fixture(scope="module")
def decided(stack: Any) -> dict[str, Any]:
    """One thread run to an approved decision (shared by the replay and audit tests)."""
    from skymarshal.domain.operation import OpsDataset
    from skymarshal_local.target import Target
    from tests.conftest import SCENARIOS, fresh_operation

    fresh_operation(stack, OpsDataset.model_validate_json((SCENARIOS / f"{SCENARIO}.json").read_text()))
    target = Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()
    event = DisruptionEvent.model_validate(load_event(SCENARIO))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    target.decide(event.thread_id, True, "dm-42", "swap approved | ops")
    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "SUCCEEDED"
    return {"thread": event.thread_id, "arn": arn, "output": json.loads(desc["output"])}


def entered(target: Any, arn: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in target.history(arn) if "stateEnteredEventDetails" in e]


def last_before(target: Any, thread: str, step: str) -> str:
    """The checkpoint just before the first `step` checkpoint."""
    history = target.store.history(thread)
    i = next(i for i, c in enumerate(history) if c["step"] == step)
    return str(history[i - 1]["checkpoint_id"])


def test_replay_from_the_phase2_views_re_arbitrates_without_any_agent(target, runtime, decided):
    thread = decided["thread"]
    runtime.reset_counters()
    started = replay(target, thread, last_before(target, thread, "arbitration_start"))
    assert started["thread_id"] == f"{thread}-replay-1" and started["replay_of"] == thread
    desc = target.wait(started["execution_arn"], TERMINAL | {"AWAITING_APPROVAL"})
    assert desc["status"] == "AWAITING_APPROVAL"
    target.decide(started["thread_id"], True, "dm-43", "re-arbitrated after policy review")
    desc = target.wait(started["execution_arn"], TERMINAL)
    assert desc["status"] == "SUCCEEDED"
    out = json.loads(desc["output"])
    assert out["thread_id"] == started["thread_id"]
    assert out["decision"]["recommended"]["option_id"] == decided["output"]["decision"]["recommended"]["option_id"]
    states = entered(target, started["execution_arn"])
    assert "ResumeFromCheckpoint" in states and "ArbitrateDecision" in states
    assert "Phase1_AgentsAssessOptions" not in states and "Phase2_AgentsReviseViews" not in states
    assert not any(k[0] == "AgentFunction" for k in runtime.invocations)
    new = target.store.get_thread(started["thread_id"])
    assert new["replay_of"] == thread and new["status"] == "completed"
    copied = [c for c in target.store.history(started["thread_id"]) if (c.get("meta") or {}).get("copied_from")]
    assert sorted(c["agent"] for c in copied if c.get("phase") == 2) == sorted(ALL_AGENTS)
    # the original thread is untouched
    assert target.store.get_thread(thread)["status"] == "completed"
    # a second replay gets the next number
    again = replay(target, thread, last_before(target, thread, "arbitration_start"))
    assert again["thread_id"] == f"{thread}-replay-2"
    target.wait(again["execution_arn"], TERMINAL | {"AWAITING_APPROVAL"})
    target.client("stepfunctions").stop_execution(executionArn=again["execution_arn"])


def test_replay_from_the_phase1_views_reruns_phase2_only(target, runtime, decided):
    thread = decided["thread"]
    history = target.store.history(thread)
    phase1_done = [c for c in history if c["step"] == "agent_complete" and c.get("phase") == 1][-1]["checkpoint_id"]
    runtime.reset_counters()
    started = replay(target, thread, phase1_done)
    desc = target.wait(started["execution_arn"], TERMINAL | {"AWAITING_APPROVAL"})
    assert desc["status"] == "AWAITING_APPROVAL"
    assert sum(n for k, n in runtime.invocations.items() if k[0] == "AgentFunction" and k[2] == 1) == 0
    assert sum(n for k, n in runtime.invocations.items() if k[0] == "AgentFunction" and k[2] == 2) == 7
    target.client("stepfunctions").stop_execution(executionArn=started["execution_arn"])


def test_replay_refuses_an_unknown_thread_or_checkpoint(target, decided):
    with pytest.raises(TargetError, match="does not exist"):
        replay(target, "no-such-thread", "x")
    with pytest.raises(TargetError, match="no checkpoint"):
        replay(target, decided["thread"], "20200101T000000000000Z-deadbeef")


def test_audit_exports_json_markdown_and_csv(target, decided):
    thread = decided["thread"]
    data = json.loads(audit.export(target, thread, "json"))
    assert data["thread"]["status"] == "completed"
    assert data["approval"]["approver_id"] == "dm-42" and data["approval"]["comments"] == "swap approved | ops"
    assert "…" in data["approval"]["task_token"]  # masked, never the bearer token
    steps = [c["step"] for c in data["checkpoints"]]
    for step in ("start", "snapshot", "options", "agent_start", "agent_complete", "arbitration",
                 "approval_requested", "approval_decided", "completed"):
        assert step in steps
    types = {e["type"] for e in data["execution_events"]}
    assert {"ExecutionStarted", "ExecutionSucceeded"} <= types
    assert any(r["source"] == "execution" and r.get("state") == "AwaitDutyManagerApproval" for r in data["timeline"])
    assert data["timeline"] == sorted(data["timeline"], key=lambda r: r["timestamp"])

    md = audit.export(target, thread, "md")
    assert md.startswith(f"# Audit record: disruption thread `{thread}`")
    for text in ("## Decision", "## Approval", "| Approver | dm-42 |", "swap approved \\| ops", "## Agents",
                 "## Timeline", "AwaitDutyManagerApproval"):
        assert text in md

    rows = list(csv.DictReader(io.StringIO(audit.export(target, thread, "csv"))))
    assert list(rows[0])[:6] == ["checkpoint_id", "timestamp", "phase", "agent", "status", "confidence"]
    cps = [r for r in rows if r["source"] == "checkpoint"]
    assert len(cps) == len(data["checkpoints"])
    assert {r["agent"] for r in cps if r["step"] == "agent_complete"} == set(ALL_AGENTS)


def test_audit_of_a_redriven_thread_shows_the_error_and_the_redrive(target, runtime, seed):
    seed(SCENARIO)
    event = DisruptionEvent.model_validate(load_event(SCENARIO))
    runtime.faults.append(lambda fn, ev: RuntimeError("maintenance system down (injected)")
                          if fn == "AgentFunction" and ev.get("agent") == "maintenance" and ev.get("phase") == 2
                          else None)
    arn = target.start(event)
    assert target.wait(arn, TERMINAL)["status"] == "FAILED"
    deadline = time.monotonic() + 120  # the thread is marked from the status-change event, asynchronously
    while event.thread_id not in {t["thread_id"] for t in audit.list_threads(target, "failed")}:
        assert time.monotonic() < deadline, "the failed execution never reached `status --failed`"
        time.sleep(0.05)
    listed = audit.list_threads(target, "failed")
    assert "maintenance" in next(t for t in listed if t["thread_id"] == event.thread_id)["failure"]
    runtime.faults.clear()
    # the plain API call, as `aws stepfunctions redrive-execution` makes it
    assert "redriveDate" in target.client("stepfunctions").redrive_execution(executionArn=arn)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    # (Target.wait sees the approval item a moment before request_approval sets the thread status)
    deadline = time.monotonic() + 120
    while target.store.get_thread(event.thread_id)["status"] != "awaiting_approval" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert target.store.get_thread(event.thread_id)["status"] == "awaiting_approval"
    assert event.thread_id in {t["thread_id"] for t in audit.list_threads(target, "awaiting_approval")}
    assert event.thread_id not in {t["thread_id"] for t in audit.list_threads(target, "failed")}
    data = json.loads(audit.export(target, event.thread_id, "json"))
    assert data["execution"]["redriveCount"] == 1
    assert any(e["type"] == "ExecutionRedriven" for e in data["execution_events"])
    assert any(e.get("error") == "RuntimeError" and "maintenance system down" in e.get("cause", "")
               for e in data["errors"])
    ids = [e["id"] for e in data["execution_events"]]
    assert ids == list(range(1, len(ids) + 1))
    # phase 1 was not recomputed: one phase-1 view per agent
    p1 = [c for c in data["checkpoints"] if c["step"] == "agent_complete" and c.get("phase") == 1]
    assert len(p1) == len(ALL_AGENTS)
    target.client("stepfunctions").stop_execution(executionArn=arn)


def test_redrive_resumes_at_the_failed_state_without_asking_for_approval_again(target, runtime, seed):
    from skymarshal_local.operations.redrive import redrive

    seed(SCENARIO)
    event = DisruptionEvent.model_validate(load_event(SCENARIO))
    runtime.faults.append(lambda fn, ev: RuntimeError("decision bus unreachable (injected)")
                          if fn == "FinalizeFunction" else None)
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    target.decide(event.thread_id, True, "dm-9", "approved before the outage")
    assert target.wait(arn, TERMINAL)["status"] == "FAILED"
    runtime.faults.clear()
    runtime.reset_counters()
    redrive(target, arn)
    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "SUCCEEDED" and desc["redriveCount"] == 1
    out = json.loads(desc["output"])
    assert out["outcome"] == "approved" and out["approval"]["approver_id"] == "dm-9"
    # nothing before it ran again (ExecutionStatusFunction answers the status-change events, not the workflow)
    assert set(k[0] for k in runtime.invocations) - {"ExecutionStatusFunction"} == {"FinalizeFunction"}
    assert len([c for c in target.store.history(event.thread_id) if c["step"] == "approval_requested"]) == 1
