"""A duty manager's answer to a pending decision: one place for the CLI and the approval API.

Record it once (conditional write on the APPROVAL item: a second answer is refused, a late one is refused
as expired), then answer the workflow's task token with the ApprovalResponse as SendTaskSuccess output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from skymarshal.errors import ApprovalExpired, CheckpointNotFound
from skymarshal.models import ApprovalResponse
from skymarshal.stores import Store


def mask_token(token: str) -> str:
    """The task token is a bearer secret: logs and checkpoints only ever see this."""
    return f"{token[:6]}…({len(token)} chars)" if token else ""


def decide(
    store: Store, sfn: Any, thread_id: str, approved: bool, approver_id: str, comments: str
) -> ApprovalResponse:
    """Raises CheckpointNotFound (no approval request), ApprovalNotPending (already answered),
    ApprovalExpired (after the timeout, or the workflow no longer waits)."""
    response = ApprovalResponse(approved=approved, approver_id=approver_id, comments=comments,
                                decided_at=datetime.now(UTC))
    pending = store.get_approval(thread_id)
    if pending is None:
        raise CheckpointNotFound(f"thread {thread_id} has no approval request")
    store.decide_approval(thread_id, "approved" if approved else "rejected", approver_id, response.comments)
    try:
        sfn.send_task_success(taskToken=pending["task_token"], output=response.model_dump_json())
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
        raise ApprovalExpired(
            f"the workflow no longer waits for thread {thread_id} (token {mask_token(pending['task_token'])}):"
            f" {exc.response['Error']['Code']}"
        ) from exc
    return response
