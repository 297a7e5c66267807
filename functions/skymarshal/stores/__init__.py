"""The checkpoint table (CheckpointTable), partition `THREAD#{thread_id}`, and its three stores:

- `CheckpointStore` (checkpoints.py): `SK = CHECKPOINT#{id}`, every step of a thread, write-once, S3 offload;
- `ThreadStore` (threads.py): `SK = THREAD`, the thread's status and version, compare-and-swap only;
- `ApprovalStore` (approvals.py): `SK = APPROVAL`, the pending approval and its task token.

`Store` puts the three behind one object with the method names the steps, the approval API and the operator
CLI use (`store.put`, `store.get_thread`, `store.put_approval`, ...); `skymarshal.checkpoints.CheckpointStore`
is the same class under its former name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from skymarshal.config import settings
from skymarshal.models import ThreadStatus
from skymarshal.stores.approvals import APPROVAL_SK, ApprovalStore
from skymarshal.stores.checkpoints import (
    CHECKPOINT_PREFIX,
    S3_OFFLOAD_BYTES,
    CheckpointRecord,
    CheckpointStore,
    new_checkpoint_id,
)
from skymarshal.stores.threads import THREAD_SK, ThreadStore

__all__ = [
    "APPROVAL_SK",
    "CHECKPOINT_PREFIX",
    "S3_OFFLOAD_BYTES",
    "THREAD_SK",
    "ApprovalStore",
    "CheckpointRecord",
    "CheckpointStore",
    "Store",
    "ThreadStore",
    "new_checkpoint_id",
    "store_from_env",
]


class Store(CheckpointStore):
    """Checkpoints (inherited), plus `threads` and `approvals`, each also reachable by its former method name."""

    def __init__(self, table_name: str, bucket: str, retention_days: int = 90) -> None:
        super().__init__(table_name, bucket, retention_days)
        self.threads = ThreadStore(table_name, retention_days)
        self.approvals = ApprovalStore(table_name, retention_days)

    # -- thread record -------------------------------------------------------------------------------------
    def get_thread(self, thread_id: str) -> dict[str, Any] | None:
        return self.threads.get(thread_id)

    def open_thread(self, thread_id: str, **attributes: Any) -> dict[str, Any]:
        return self.threads.open(thread_id, **attributes)

    def update_thread(self, thread_id: str, expected_version: int, **changes: Any) -> dict[str, Any]:
        return self.threads.update(thread_id, expected_version, **changes)

    def set_status(self, thread_id: str, status: ThreadStatus, **changes: Any) -> dict[str, Any]:
        return self.threads.set_status(thread_id, status, **changes)

    def threads_by_status(self, status: ThreadStatus, limit: int = 100, updated_after: str | None = None,
                          ) -> list[dict[str, Any]]:
        return self.threads.by_status(status, limit, updated_after)

    # -- pending approval ----------------------------------------------------------------------------------
    def put_approval(
        self, thread_id: str, task_token: str, execution_arn: str, summary: dict[str, Any], timeout_s: int,
        entered_at: datetime | None = None,
    ) -> dict[str, Any]:
        return self.approvals.put(thread_id, task_token, execution_arn, summary, timeout_s, entered_at)

    def get_approval(self, thread_id: str) -> dict[str, Any] | None:
        return self.approvals.get(thread_id)

    def decide_approval(
        self, thread_id: str, decision: str, approver_id: str | None, comments: str, now: datetime | None = None,
        taken_by_workflow: bool = False,
    ) -> dict[str, Any]:
        return self.approvals.decide(thread_id, decision, approver_id, comments, now, taken_by_workflow)

    def undo_approval(self, thread_id: str, decided: dict[str, Any], status: str = "pending") -> None:
        self.approvals.undo(thread_id, decided, status)

    def close_approval(self, thread_id: str, status: str, execution_arn: str | None = None) -> None:
        self.approvals.close(thread_id, status, execution_arn)


def store_from_env() -> Store:
    s = settings()
    return Store(s.checkpoint_table, s.checkpoint_bucket, s.checkpoint_retention_days)
