"""The pending approval of a thread (`SK = APPROVAL`): the task token (never logged), the decision summary,
requested/expires times; decided once, by a conditional write."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from skymarshal import aws
from skymarshal.errors import ApprovalExpired, ApprovalNotPending, CheckpointConflict, CheckpointNotFound
from skymarshal.stores.dynamo import conditional_write, expires_at, pk, plain, to_dynamo, utcnow

APPROVAL_SK = "APPROVAL"


class ApprovalStore:
    def __init__(self, table_name: str, retention_days: int = 90) -> None:
        self.table_name = table_name
        self.retention = timedelta(days=retention_days)

    @property
    def _table(self) -> Any:
        return aws.table(self.table_name)

    def put(
        self, thread_id: str, task_token: str, execution_arn: str, summary: dict[str, Any], timeout_s: int,
        entered_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record the pending approval of one execution. It expires `timeout_s` after the waiting state was
        entered (`entered_at`, from the task input: the state's clock, not this Lambda's), else after now.
        Bound to its execution: a pending approval of another execution is never overwritten
        (CheckpointConflict)."""
        now = utcnow()
        start = entered_at or now
        item = {
            "PK": pk(thread_id),
            "SK": APPROVAL_SK,
            "thread_id": thread_id,
            "approval_status": "pending",
            "task_token": task_token,
            "execution_arn": execution_arn,
            "summary": to_dynamo(summary),
            "requested_at": now.isoformat(),
            "approval_expires_at": (start + timedelta(seconds=timeout_s)).isoformat(),
            "expires_at": expires_at(now, self.retention),
        }
        with conditional_write("record approval", lambda: CheckpointConflict(
                f"thread {thread_id} has a pending approval of another execution; {execution_arn} may not"
                " replace it (one workflow per event)")):
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(PK) OR execution_arn = :arn OR approval_status <> :p",
                ExpressionAttributeValues={":arn": execution_arn, ":p": "pending"},
            )
        return plain(item)

    def get(self, thread_id: str) -> dict[str, Any] | None:
        with aws.dependency("read approval"):
            item = self._table.get_item(Key={"PK": pk(thread_id), "SK": APPROVAL_SK}, ConsistentRead=True).get(
                "Item"
            )
        return plain(item) if item else None

    def decide(
        self, thread_id: str, decision: str, approver_id: str | None, comments: str, now: datetime | None = None,
        taken_by_workflow: bool = False,
    ) -> dict[str, Any]:
        """Mark the pending approval decided, once. A second use raises ApprovalNotPending; one that arrives
        after the timeout raises ApprovalExpired, except an answer the workflow already took
        (`taken_by_workflow`: Step Functions' own clock said it was in time)."""
        now = now or utcnow()
        condition = "approval_status = :pending" + ("" if taken_by_workflow else " AND approval_expires_at > :t")
        with conditional_write("decide approval", lambda: self._refusal(thread_id)):
            result = self._table.update_item(
                Key={"PK": pk(thread_id), "SK": APPROVAL_SK},
                UpdateExpression="SET approval_status = :d, approver_id = :a, comments = :c, decided_at = :t",
                ConditionExpression=condition,
                ExpressionAttributeValues={
                    ":d": decision,
                    ":a": approver_id or "-",
                    ":c": comments,
                    ":t": now.isoformat(),
                    ":pending": "pending",
                },
                ReturnValues="ALL_NEW",
            )
        return plain(result["Attributes"])

    def _refusal(self, thread_id: str) -> Exception:
        """Why an approval could not be decided: there is none, it was decided already, or it expired."""
        current = self.get(thread_id)
        if current is None:
            return CheckpointNotFound(f"thread {thread_id} has no approval request")
        if current["approval_status"] in ("expired", "closed", "invalid"):
            return ApprovalExpired(f"thread {thread_id}: approval {current['approval_status']} (expired at"
                                   f" {current['approval_expires_at']}); the workflow no longer waits")
        if current["approval_status"] != "pending":
            return ApprovalNotPending(
                f"thread {thread_id}: approval already {current['approval_status']}"
                f" by {current.get('approver_id', '-')} at {current.get('decided_at', '-')}"
            )
        return ApprovalExpired(f"thread {thread_id}: approval expired at {current['approval_expires_at']}")

    def undo(self, thread_id: str, decided: dict[str, Any], status: str = "pending") -> None:
        """Take back a decision whose answer did not reach the workflow: back to `status` ("pending" for a
        retry, "expired"/"closed" when the workflow no longer waits), the approver and comment removed so the
        record never says "approved by X" for an answer the workflow did not take. Conditional on the item
        still holding exactly that decision (nobody else changed it since)."""
        with conditional_write("undo approval decision"):
            self._table.update_item(
                Key={"PK": pk(thread_id), "SK": APPROVAL_SK},
                UpdateExpression="SET approval_status = :s REMOVE approver_id, comments, decided_at",
                ConditionExpression="approval_status = :d AND decided_at = :t",
                ExpressionAttributeValues={":s": status, ":d": decided["approval_status"],
                                           ":t": decided["decided_at"]},
            )

    def close(self, thread_id: str, status: str, execution_arn: str | None = None) -> None:
        """Mark a still-pending approval as ended by the workflow (timed out); an answered one stays as it is.
        With `execution_arn`, only that execution's approval is closed (another's is never touched)."""
        condition, values = "approval_status = :pending", {":s": status, ":pending": "pending"}
        if execution_arn:
            condition += " AND execution_arn = :arn"
            values[":arn"] = execution_arn
        with conditional_write("close approval"):
            self._table.update_item(
                Key={"PK": pk(thread_id), "SK": APPROVAL_SK},
                UpdateExpression="SET approval_status = :s",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
