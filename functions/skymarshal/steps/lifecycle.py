"""What the end of an execution means for its thread, from Step Functions' "Execution Status Change" events.

A run that ends anywhere but FinalizeDecision (a safety agent that failed twice, a failure in
PrepareDisruption, a malformed task answer, StopExecution, a timeout, a store that is down) would otherwise
leave its thread `active` or `awaiting_approval` for ever. Step Functions sends every status change of a
STANDARD execution to EventBridge (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html); a rule
sends those of this state machine to ExecutionStatusFunction, which calls `record_execution_status`:

- FAILED, TIMED_OUT, ABORTED: the thread becomes `failed` with the cause (so `skymarshal status --failed` lists it;
  for a stop whose event carries no cause, the operator's reason from the `stop_requested` checkpoint `skymarshal
  stop` wrote for that execution), an `execution_ended` checkpoint keeps the error and cause for the audit, a
  pending approval is closed (`execution_ended`) so nobody approves a decision whose workflow is gone, and the
  resources its recommendation held are released at once (a stopped run would otherwise keep a spare tail from every
  other decision until the approval timeout; commitments of an approved plan are kept);
- RUNNING with redriveCount > 0 (a redrive): a failed thread is active again;
- SUCCEEDED and a first RUNNING: nothing to do (FinalizeDecision and PrepareDisruption record those).
Events can arrive late or twice (EventBridge delivers at least once): an event about another execution than
the thread's, or an older attempt than the one the thread has seen, changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from skymarshal.models import SAFETY_AGENTS
from skymarshal.stores import Store

if TYPE_CHECKING:
    from skymarshal.stores.fleet import FleetStore

ENDED = ("FAILED", "TIMED_OUT", "ABORTED")
FINAL_THREAD_STATUSES = ("completed", "rejected", "escalated")  # set by FinalizeDecision
STOP_REQUESTED = "stop_requested"  # an operator's stop (`skymarshal stop`): its error and cause in `meta`


class ExecutionStatusChange(BaseModel):
    """The `detail` of a "Step Functions Execution Status Change" event (the DescribeExecution fields)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    executionArn: str
    name: str
    status: Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
    input: str | None = None
    error: str | None = None
    cause: str | None = None
    redriveCount: int = 0


def thread_id_of(change: ExecutionStatusChange) -> str:
    """The thread is the event's id (the execution name, unless someone started it under another name)."""
    try:
        data: Any = json.loads(change.input or "{}")
    except ValueError:
        data = {}
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return str(event_id) if isinstance(event_id, str) and event_id else change.name


def failure_message(change: ExecutionStatusChange, failed_agent: dict[str, Any] | None = None) -> str:
    """"execution failed in crew_compliance (phase 1): RuntimeError: ..." — the agent named when an agent's
    failure is what ended the run (its agent_error/agent_timeout checkpoint is the thread's newest one)."""
    what = {"FAILED": "failed", "TIMED_OUT": "timed out", "ABORTED": "was stopped"}[change.status]
    where = f" in {failed_agent['agent']} (phase {failed_agent['phase']})" if failed_agent else ""
    parts = [f"execution {what}{where}", change.error or "", (change.cause or "")[:1500]]
    return ": ".join(p for p in parts if p)


def _stop_request(store: Store, thread_id: str, execution_arn: str) -> dict[str, Any] | None:
    """The operator's newest stop request for this execution (`skymarshal stop` writes a `stop_requested`
    checkpoint, its error and cause in `meta`, before it calls StopExecution)."""
    found = [c["meta"] for c in store.history(thread_id)
             if c["step"] == STOP_REQUESTED and (c.get("meta") or {}).get("execution_arn") == execution_arn]
    return found[-1] if found else None


def _failed_agent(store: Store, thread_id: str) -> dict[str, Any] | None:
    """The safety agent whose newest checkpoint in its phase is an error: the one that stopped the run."""
    last: dict[tuple[str, int], dict[str, Any]] = {}
    for checkpoint in store.history(thread_id):
        if checkpoint.get("agent") in SAFETY_AGENTS and checkpoint["step"].startswith("agent_"):
            last[(checkpoint["agent"], int(checkpoint.get("phase") or 0))] = checkpoint
    failed = [c for c in last.values() if c["step"] in ("agent_error", "agent_timeout")]
    return max(failed, key=lambda c: str(c["checkpoint_id"])) if failed else None


def record_execution_status(change: ExecutionStatusChange, store: Store,
                            holds: Callable[[], FleetStore] | None = None) -> dict[str, Any]:
    """Reflect one status change on the thread (and, with `holds`, release what its decision held: the fleet
    store is made only then, most events are a start); returns what was done (for the log)."""
    thread_id = thread_id_of(change)
    if change.status == "RUNNING":
        return _redriven(change, thread_id, store) if change.redriveCount else {"action": "none"}
    if change.status not in ENDED:
        return {"action": "none"}
    thread = store.get_thread(thread_id)
    if thread is not None:
        attempt = int(thread.get("attempt", 0))
        if thread.get("execution_arn") not in (None, change.executionArn):
            return {"action": "ignored", "reason": f"thread {thread_id} belongs to {thread.get('execution_arn')}"}
        if thread.get("status") in FINAL_THREAD_STATUSES or attempt > change.redriveCount:
            return {"action": "ignored", "reason": f"thread {thread_id} is {thread.get('status')}"}
        if thread.get("status") == "failed" and attempt == change.redriveCount:
            # EventBridge delivers at least once: the same end, delivered again, was recorded already
            return {"action": "ignored", "reason": f"thread {thread_id} already failed in attempt {attempt}"}
    if change.status == "ABORTED" and not (change.error or change.cause):
        # the event says that the run was stopped, not why: the operator's request, if one was made, does
        request = _stop_request(store, thread_id, change.executionArn)
        if request:
            change = change.model_copy(update={"error": request.get("error"), "cause": request.get("cause")})
    message = failure_message(change, _failed_agent(store, thread_id) if change.status == "FAILED" else None)
    # The audit record and the releases first, the thread's status last: whoever sees the thread failed finds
    # its execution_ended checkpoint, and if a write fails in between, the retried event (the thread not yet
    # failed) does them all again rather than being ignored with the record never written.
    store.put(thread_id, "execution_ended", {"status": change.status, "error": change.error,
                                              "cause": change.cause, "redrive_count": change.redriveCount},
              status=change.status.lower())
    store.close_approval(thread_id, "execution_ended", change.executionArn)
    if holds is not None:
        holds().release(thread_id)
    if thread is None:  # it failed before PrepareDisruption opened the thread: keep a record of it anyway
        store.open_thread(thread_id, execution_arn=change.executionArn, status="failed", failure=message,
                          attempt=change.redriveCount)
    else:
        store.update_thread(thread_id, int(thread["version"]), status="failed", failure=message,
                            attempt=change.redriveCount)
    return {"action": "failed", "thread_id": thread_id, "failure": message}


def _redriven(change: ExecutionStatusChange, thread_id: str, store: Store) -> dict[str, Any]:
    thread = store.get_thread(thread_id)
    if thread is None or thread.get("execution_arn") != change.executionArn or thread.get("status") != "failed":
        return {"action": "none"}
    if int(thread.get("attempt", 0)) >= change.redriveCount:
        # EventBridge does not keep order: this attempt's end was recorded already (or a later attempt's)
        return {"action": "ignored", "reason": "an older redrive, or this one already ended"}
    store.update_thread(thread_id, int(thread["version"]), status="active", attempt=change.redriveCount,
                        redriven_at=datetime.now(UTC).isoformat())
    return {"action": "active", "thread_id": thread_id}
