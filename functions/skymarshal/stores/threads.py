"""Thread records: one per thread (`SK = THREAD`), with a status and a numeric `version` that only
compare-and-swap changes; `status`/`updated_at` feed the sparse ByStatus index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from skymarshal import aws
from skymarshal.errors import CheckpointConflict, CheckpointNotFound
from skymarshal.models import ThreadStatus
from skymarshal.stores.dynamo import conditional_write, expires_at, pk, plain, to_dynamo, utcnow

THREAD_SK = "THREAD"


class ThreadStore:
    def __init__(self, table_name: str, retention_days: int = 90) -> None:
        self.table_name = table_name
        self.retention = timedelta(days=retention_days)

    @property
    def _table(self) -> Any:
        return aws.table(self.table_name)

    def get(self, thread_id: str) -> dict[str, Any] | None:
        with aws.dependency("read thread"):
            item = self._table.get_item(Key={"PK": pk(thread_id), "SK": THREAD_SK}, ConsistentRead=True).get(
                "Item"
            )
        return plain(item) if item else None

    def open(self, thread_id: str, **attributes: Any) -> dict[str, Any]:
        """Create the thread record (version 1) or, for a retried/redriven start, return it unchanged."""
        now = utcnow()
        item = {
            "PK": pk(thread_id),
            "SK": THREAD_SK,
            "thread_id": thread_id,
            "status": "active",
            "version": 1,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "expires_at": expires_at(now, self.retention),
            **attributes,
        }
        with conditional_write("open thread"):  # the thread exists: carry on below
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
            return plain(item)
        existing = self.get(thread_id)
        assert existing is not None
        return existing

    def update(self, thread_id: str, expected_version: int, **changes: Any) -> dict[str, Any]:
        """Apply `changes` if the thread is still at `expected_version`; else CheckpointConflict."""
        changes = {**changes, "updated_at": utcnow().isoformat(), "version": expected_version + 1}
        names = {f"#a{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": to_dynamo(v) for i, v in enumerate(changes.values())}
        values[":expected"] = expected_version
        with conditional_write("update thread", lambda: self._conflict(thread_id, expected_version)):
            result = self._table.update_item(
                Key={"PK": pk(thread_id), "SK": THREAD_SK},
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="attribute_exists(PK) AND version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        return plain(result["Attributes"])

    def _conflict(self, thread_id: str, expected_version: int) -> CheckpointConflict:
        current = self.get(thread_id)
        found = current["version"] if current else "no thread"
        return CheckpointConflict(f"thread {thread_id}: expected version {expected_version}, found {found}")

    def set_status(self, thread_id: str, status: ThreadStatus, **changes: Any) -> dict[str, Any]:
        """Read the version, then compare-and-swap. A concurrent writer makes this raise CheckpointConflict
        (the state machine retries the step, which re-reads); nothing is overwritten silently."""
        current = self.get(thread_id)
        if current is None:
            raise CheckpointNotFound(f"thread {thread_id} does not exist")
        return self.update(thread_id, int(current["version"]), status=status, **changes)

    def by_status(self, status: ThreadStatus, limit: int = 100, updated_after: str | None = None,
                  ) -> list[dict[str, Any]]:
        """Threads in a status, newest first, at most `limit`, from the sparse ByStatus index (no scan); with
        `updated_after` (an ISO `updated_at`), only those that changed after it (the index's sort key)."""
        condition, values = "#s = :s", {":s": str(status)}
        if updated_after is not None:
            condition, values = condition + " AND updated_at > :after", {**values, ":after": updated_after}
        with aws.dependency("list threads"):
            page = self._table.query(
                IndexName="ByStatus",
                KeyConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=limit,
            )
        return [plain(i) for i in page["Items"] if i["SK"] == THREAD_SK]
