"""A duty manager's answer to a pending decision: one place for the CLI and the approval API.

Answering is atomic: the answer is recorded once (conditional write on the APPROVAL item: a second answer is
refused, a late one is refused as expired), then the workflow's task token is answered with the
ApprovalResponse as SendTaskSuccess output. If that answer does not reach the workflow, the record is taken
back (conditional update): to `pending` with a retryable error when Step Functions failed transiently, to
`expired`/`closed` when the workflow no longer waits, so the record never says "approved by X" for an answer
the workflow did not take. An answer for an execution that has ended is refused before anything is recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from skymarshal.errors import (
    ApprovalExpired,
    CheckpointNotFound,
    ResourcesContested,
    TransientDependencyError,
)
from skymarshal.models import ApprovalResponse
from skymarshal.stores import Store

if TYPE_CHECKING:  # the caller brings the holds: the approval API imports them on its first decision
    from skymarshal.stores.fleet import FleetStore


def mask_token(token: str) -> str:
    """The task token is a bearer secret: logs and checkpoints only ever see this."""
    return f"{token[:6]}…({len(token)} chars)" if token else ""


def pseudonym(approver_id: str | None) -> str:
    """A stable pseudonymous id for logs (the approver's identity is personal data: the full identity is kept
    only in the approval record)."""
    if not approver_id:
        return "-"
    return "approver-" + hashlib.sha256(approver_id.encode()).hexdigest()[:12]


def decide(
    store: Store, sfn: Any, thread_id: str, approved: bool, approver_id: str, comments: str,
    holds: FleetStore | None = None,
) -> ApprovalResponse:
    """Raises CheckpointNotFound (no approval request), ApprovalNotPending (already answered),
    ApprovalExpired (after the timeout, or the workflow no longer waits: nothing stays recorded),
    TransientDependencyError (Step Functions did not take the answer: nothing stays recorded, try again),
    ResourcesContested (approved, but another decision took its resources meanwhile: the decision is
    superseded and the thread re-planned)."""
    response = ApprovalResponse(approved=approved, approver_id=approver_id, comments=comments,
                                decided_at=datetime.now(UTC))
    pending = store.get_approval(thread_id)
    if pending is None:
        raise CheckpointNotFound(f"thread {thread_id} has no approval request")
    if pending.get("approval_status") == "pending":
        _refuse_ended_execution(store, sfn, thread_id, pending)
    recommends = (pending.get("summary") or {}).get("recommended_option") is not None
    takes_part = holds is not None and holds.record(thread_id) is not None  # a replay holds nothing
    if approved and holds is not None and recommends and takes_part and pending["approval_status"] == "pending":
        committed = holds.commit(thread_id)
        if not committed.ok:
            _supersede(store, sfn, thread_id, approver_id, pending, committed.conflicts)
    decided = store.decide_approval(thread_id, "approved" if approved else "rejected", approver_id,
                                    response.comments)
    try:
        sfn.send_task_success(taskToken=pending["task_token"], output=response.model_dump_json())
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
        store.undo_approval(thread_id, decided, "expired")
        raise ApprovalExpired(
            f"the workflow no longer waits for thread {thread_id} (token {mask_token(pending['task_token'])}):"
            f" {exc.response['Error']['Code']}; nothing was recorded"
        ) from exc
    except (ClientError, BotoCoreError) as exc:
        store.undo_approval(thread_id, decided, "pending")
        raise TransientDependencyError(
            f"Step Functions did not take the answer for thread {thread_id} ({exc}); nothing was recorded,"
            " try again") from exc
    return response


def _refuse_ended_execution(store: Store, sfn: Any, thread_id: str, pending: dict[str, Any]) -> None:
    """An approval whose execution has ended (aborted, failed, timed out) is closed, never answered."""
    arn = pending.get("execution_arn")
    if not arn:
        return
    try:
        status = sfn.describe_execution(executionArn=arn)["status"]
    except sfn.exceptions.ExecutionDoesNotExist:
        status = "DELETED"
    if status != "RUNNING":
        store.close_approval(thread_id, "closed", arn)
        raise ApprovalExpired(f"the workflow of thread {thread_id} has ended ({status}): nothing to approve,"
                              " nothing was recorded")


def _supersede(
    store: Store, sfn: Any, thread_id: str, approver_id: str, pending: dict[str, Any], conflicts: list[str]
) -> None:
    """Refuse an approval on a stale plan: record it superseded (once), end the waiting workflow as a rejection
    that names why; its Finalize releases what is left and starts the re-plan. Raises ResourcesContested."""
    from skymarshal.domain.fleet import superseded_message  # only on a stale plan: the fleet rules are heavy

    message = superseded_message(thread_id, conflicts)
    store.decide_approval(thread_id, "superseded", approver_id, message)
    # the workflow may have ended meanwhile (timeout): its Finalize released the holds
    with contextlib.suppress(sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken,
                             sfn.exceptions.TaskDoesNotExist):
        sfn.send_task_failure(taskToken=pending["task_token"], error="DecisionRejected", cause=message[:32768])
    raise ResourcesContested(message)
