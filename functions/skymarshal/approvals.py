"""A duty manager's answer to a pending decision: one place for the CLI and the approval API.

Record it once (conditional write on the APPROVAL item: a second answer is refused, a late one is refused
as expired), then answer the workflow's task token with the ApprovalResponse as SendTaskSuccess output.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from skymarshal.domain import fleet
from skymarshal.errors import ApprovalExpired, CheckpointNotFound, ResourcesContested
from skymarshal.models import ApprovalResponse
from skymarshal.stores import Store
from skymarshal.stores.fleet import FleetStore


def mask_token(token: str) -> str:
    """The task token is a bearer secret: logs and checkpoints only ever see this."""
    return f"{token[:6]}…({len(token)} chars)" if token else ""


def decide(
    store: Store, sfn: Any, thread_id: str, approved: bool, approver_id: str, comments: str,
    holds: FleetStore | None = None,
) -> ApprovalResponse:
    """Raises CheckpointNotFound (no approval request), ApprovalNotPending (already answered),
    ApprovalExpired (after the timeout, or the workflow no longer waits), ResourcesContested (approved, but
    another decision took its resources meanwhile: the decision is superseded and the thread re-planned)."""
    response = ApprovalResponse(approved=approved, approver_id=approver_id, comments=comments,
                                decided_at=datetime.now(UTC))
    pending = store.get_approval(thread_id)
    if pending is None:
        raise CheckpointNotFound(f"thread {thread_id} has no approval request")
    recommends = (pending.get("summary") or {}).get("recommended_option") is not None
    takes_part = holds is not None and holds.record(thread_id) is not None  # a replay holds nothing
    if approved and holds is not None and recommends and takes_part and pending["approval_status"] == "pending":
        committed = holds.commit(thread_id)
        if not committed.ok:
            _supersede(store, sfn, thread_id, approver_id, pending, committed.conflicts)
    store.decide_approval(thread_id, "approved" if approved else "rejected", approver_id, response.comments)
    try:
        sfn.send_task_success(taskToken=pending["task_token"], output=response.model_dump_json())
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
        raise ApprovalExpired(
            f"the workflow no longer waits for thread {thread_id} (token {mask_token(pending['task_token'])}):"
            f" {exc.response['Error']['Code']}"
        ) from exc
    return response


def _supersede(
    store: Store, sfn: Any, thread_id: str, approver_id: str, pending: dict[str, Any], conflicts: list[str]
) -> None:
    """Refuse an approval on a stale plan: record it superseded (once), end the waiting workflow as a rejection
    that names why; its Finalize releases what is left and starts the re-plan. Raises ResourcesContested."""
    message = fleet.superseded_message(thread_id, conflicts)
    store.decide_approval(thread_id, "superseded", approver_id, message)
    # the workflow may have ended meanwhile (timeout): its Finalize released the holds
    with contextlib.suppress(sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken,
                             sfn.exceptions.TaskDoesNotExist):
        sfn.send_task_failure(taskToken=pending["task_token"], error="DecisionRejected", cause=message[:32768])
    raise ResourcesContested(message)
