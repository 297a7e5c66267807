"""The decision's steps after arbitration (skymarshal.steps.arbitration): ask a duty manager when the policy says so,
and finalize the outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from skymarshal import events_out
from skymarshal.approvals import mask_token
from skymarshal.domain import fleet as fleet_rules
from skymarshal.domain.policy import Policy
from skymarshal.models import (
    ApprovalRecord,
    ApprovalResponse,
    ApprovalTask,
    Briefing,
    Decision,
    FinalizeTask,
    FinalResult,
    describe_validation_error,
)
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.steps import fleet
from skymarshal.stores import Store
from skymarshal.stores.fleet import FleetStore


def request_approval(
    task: ApprovalTask, store: Store, holds: FleetStore | None = None, policy: Policy | None = None
) -> dict[str, Any]:
    """Record the pending approval; hold the recommended option's resources until it expires (with `holds`):
    the summary says what the decision holds, or which resources other decisions took (contested)."""
    summary = task.decision.model_dump(mode="json")
    held = None
    if holds is not None and task.decision.recommended_option is not None and fleet.takes_part(store, task.thread_id):
        expires = datetime.now(UTC) + timedelta(seconds=task.timeout_seconds)
        held = fleet.hold(store, holds, task.thread_id, expires, policy or Policy())
    if held is not None:
        summary["holds"], summary["contested"] = held.holds, held.conflicts
    record = store.put_approval(task.thread_id, task.task_token, task.execution_arn, summary, task.timeout_seconds,
                                task.entered_at)
    store.put(
        task.thread_id, "approval_requested",
        {"decision": summary, "requested_at": record["requested_at"],
         "expires_at": record["approval_expires_at"], "token": mask_token(task.task_token)},
        status="pending",
    )
    fleet_attributes = {"holds": held.holds, "contested": held.conflicts} if held is not None else {}
    store.set_status(task.thread_id, "awaiting_approval", approval_expires_at=record["approval_expires_at"],
                     **fleet_attributes)
    briefing = Briefing.model_validate(store.load(task.decision.briefing)) if task.decision.briefing else None
    events_out.approval_requested(task.thread_id, task.decision.flight_number, summary,
                                  record["approval_expires_at"], task.execution_arn, briefing)
    return {"thread_id": task.thread_id, "status": "pending", "expires_at": record["approval_expires_at"]}


_THREAD_STATUS = {
    "approved": "completed",
    "auto_approved": "completed",
    "rejected": "rejected",
    "approval_timed_out": "escalated",
    "approval_invalid": "escalated",
    "superseded": "superseded",
}


def approval_record(approval: dict[str, Any]) -> ApprovalRecord:
    """Normalise how the approval ended: SendTaskSuccess output, auto-approval, timeout, or a rejection sent
    as SendTaskFailure(error=DecisionRejected). Never raises: an answer that is not a valid one (sent with the
    plain AWS CLI without approver_id, a rejection without a reason, not an object) is `approval_invalid`,
    with the reason as the comment, and the thread is escalated."""
    if not isinstance(approval, dict):
        return _invalid(f"the answer is not a JSON object ({type(approval).__name__})")
    if "outcome" in approval:
        rejection = approval.get("rejection")  # the SendTaskFailure error object {"Error", "Cause"?}
        cause = rejection.get("Cause") if isinstance(rejection, dict) else None
        comments = str(approval.get("comments") or cause or "").strip()
        if approval["outcome"] == "rejected" and not comments:
            return _invalid("rejected with SendTaskFailure(DecisionRejected) without a cause: a rejection needs"
                            " the reason as its cause")
        return ApprovalRecord(decision=approval["outcome"], comments=comments)
    try:
        response = ApprovalResponse.model_validate(approval)
    except ValidationError as exc:
        return _invalid(f"invalid answer to the task token: {describe_validation_error(exc, whole='(answer)')}")
    return ApprovalRecord(
        approver_id=response.approver_id,
        comments=response.comments,
        decided_at=response.decided_at or datetime.now(UTC),
        decision="approved" if response.approved else "rejected",
    )


def _invalid(reason: str) -> ApprovalRecord:
    return ApprovalRecord(decision="approval_invalid", comments=reason[:2000])


def finalize(
    task: FinalizeTask, store: Store, holds: FleetStore | None = None, policy: Policy | None = None,
    sfn: Any = None, reader: DynamoOpsReader | None = None,
) -> FinalResult:
    record = approval_record(task.approval)
    outcome = record.decision
    if outcome in ("approval_timed_out", "approval_invalid"):
        # never "approved by X": only this execution's still-pending approval is closed
        store.close_approval(task.thread_id, "expired" if outcome == "approval_timed_out" else "invalid",
                             task.execution_arn)
        if outcome == "approval_invalid":
            store.put(task.thread_id, "approval_decided", record, status=outcome)
    elif outcome in ("approved", "rejected"):
        approval = store.get_approval(task.thread_id)
        if approval and approval["approval_status"] == "pending":
            # Answered with the plain AWS API (send-task-success/failure): record it here, once.
            store.decide_approval(task.thread_id, outcome, record.approver_id, record.comments,
                                  taken_by_workflow=True)
        elif approval and record.approver_id is None:
            record.approver_id = approval.get("approver_id")
            record.comments = record.comments or approval.get("comments", "")
        if outcome in ("approved", "rejected") and record.decided_at is None and approval:
            decided = approval.get("decided_at") or datetime.now(UTC).isoformat()
            record.decided_at = datetime.fromisoformat(decided)
        store.put(task.thread_id, "approval_decided", record, status=outcome)
    if holds is not None and task.decision.recommended_option is not None:
        outcome = _settle(task, store, holds, policy or Policy(), sfn, reader, outcome)  # type: ignore[assignment]
        record.decision = outcome
    decision = Decision.model_validate(store.load(task.decision.decision))
    result = FinalResult(
        thread_id=task.thread_id, execution_arn=task.execution_arn, outcome=outcome, decision=decision,
        approval=record,
    )
    store.put(task.thread_id, "completed", {"outcome": outcome, "approval": record.model_dump(mode="json")},
              status=outcome)
    store.set_status(task.thread_id, _THREAD_STATUS[outcome], outcome=outcome)  # type: ignore[arg-type]
    events_out.decision_made(result)
    return result


def _settle(task: FinalizeTask, store: Store, holds: FleetStore, policy: Policy, sfn: Any,
            reader: DynamoOpsReader | None, outcome: str) -> str:
    """Approved: commit the holds and apply the plan; if a resource was taken meanwhile (approved with the plain
    API, or auto-approved), the decision is superseded and re-planned. Rejected or timed out: release. An
    approval the approval API refused (409) arrives as a rejection on a superseded approval record."""
    thread_id = task.thread_id
    if not fleet.takes_part(store, thread_id):
        return outcome
    approval = store.get_approval(thread_id)
    if approval is not None and approval.get("approval_status") == "superseded":
        fleet.release(holds, thread_id, "superseded")
        fleet.replan(store, sfn, thread_id, task.execution_arn, str(approval.get("comments", "")))
        return "superseded"
    if outcome in ("approved", "auto_approved"):
        if holds.record(thread_id) is None:  # auto-approved: no approval was requested, nothing held yet
            fleet.hold(store, holds, thread_id, datetime.now(UTC), policy)
        committed = fleet.commit(holds, thread_id)
        if committed.ok:
            fleet.apply(store, holds, thread_id, policy, reader or DynamoOpsReader())
            return outcome
        fleet.release(holds, thread_id, "superseded")
        message = fleet_rules.superseded_message(thread_id, committed.conflicts)
        fleet.replan(store, sfn, thread_id, task.execution_arn, message)
        return "superseded"
    fleet.release(holds, thread_id)
    return outcome
