"""The checkpoint store: every step of a thread, its status record and its pending approval.

One DynamoDB table (CheckpointTable), partition `THREAD#{thread_id}`:
- `SK = THREAD`               the thread record: status, numeric `version` changed only by compare-and-swap,
                              execution ARN, flight, outcome; `status`/`updated_at` feed the sparse ByStatus index.
- `SK = APPROVAL`             the pending approval: task token (never logged), summary, requested/expires times.
- `SK = CHECKPOINT#{id}`      one checkpoint; ids sort in time (UTC timestamp to the microsecond) and never
                              collide (random suffix). Payloads of 350 KB or more (stored bytes) go to S3 under
                              `checkpoints/{thread}/{id}.json` with a pointer in the item, and load back
                              transparently.
Every item carries `expires_at` (TTL, CHECKPOINT_RETENTION_DAYS, default 90) matching the bucket lifecycle.
Throttling is absorbed by botocore's retry configuration (skymarshal.aws); when it persists it surfaces as
`TransientDependencyError`, which the state machine retries with backoff.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError
from pydantic import BaseModel

from skymarshal import aws
from skymarshal.errors import (
    ApprovalExpired,
    ApprovalNotPending,
    CheckpointConflict,
    CheckpointNotFound,
)
from skymarshal.models import Ref, ThreadStatus
from skymarshal.observability import metrics

S3_OFFLOAD_BYTES = 350 * 1024
THREAD_SK = "THREAD"
APPROVAL_SK = "APPROVAL"
CHECKPOINT_PREFIX = "CHECKPOINT#"


class _LruTexts:
    """A small, thread-safe LRU of checkpoint payload texts, bounded by total characters."""

    def __init__(self, max_chars: int = 32 * 1024 * 1024) -> None:
        self.max_chars = max_chars
        self._items: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            text = self._items.get(key)
            if text is not None:
                self._items.move_to_end(key)
            return text

    def put(self, key: tuple[str, str, str], text: str) -> None:
        with self._lock:
            if key in self._items or len(text) > self.max_chars:
                return
            self._items[key] = text
            self._chars += len(text)
            while self._chars > self.max_chars:
                _, old = self._items.popitem(last=False)
                self._chars -= len(old)


_PAYLOADS = _LruTexts()


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_checkpoint_id(now: datetime | None = None) -> str:
    """Time-ordered, collision-free: `20261201T090500123456Z-9f2c4e1a`."""
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"


def pk(thread_id: str) -> str:
    return f"THREAD#{thread_id}"


def _plain(value: Any) -> Any:
    """DynamoDB returns Decimals; give callers plain JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class CheckpointRecord:
    thread_id: str
    checkpoint_id: str
    step: str
    created_at: str
    phase: int | None = None
    agent: str | None = None
    status: str | None = None
    confidence: float | None = None
    duration_ms: int | None = None
    size_bytes: int = 0
    in_s3: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> Ref:
        return Ref(thread_id=self.thread_id, checkpoint_id=self.checkpoint_id)


class CheckpointStore:
    def __init__(self, table_name: str, bucket: str, retention_days: int = 90) -> None:
        self.table_name = table_name
        self.bucket = bucket
        self.retention = timedelta(days=retention_days)

    @property
    def _table(self) -> Any:
        return aws.table(self.table_name)

    def _expires_at(self, now: datetime) -> int:
        return int((now + self.retention).timestamp())

    # ------------------------------------------------------------------------------------------
    # Checkpoints
    # ------------------------------------------------------------------------------------------
    def put(
        self,
        thread_id: str,
        step: str,
        payload: BaseModel | dict[str, Any] | list[Any] | None = None,
        *,
        phase: int | None = None,
        agent: str | None = None,
        status: str | None = None,
        confidence: float | None = None,
        duration_ms: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> CheckpointRecord:
        now = utcnow()
        checkpoint_id = new_checkpoint_id(now)
        body = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
        data = body.encode()
        item: dict[str, Any] = {
            "PK": pk(thread_id),
            "SK": CHECKPOINT_PREFIX + checkpoint_id,
            "thread_id": thread_id,
            "checkpoint_id": checkpoint_id,
            "step": step,
            "created_at": now.isoformat(),
            "size_bytes": len(data),
            "expires_at": self._expires_at(now),
        }
        for key, value in (
            ("phase", phase),
            ("agent", agent),
            ("status", None),  # `status` is reserved for thread records (sparse index)
            ("outcome", status),
            ("confidence", None if confidence is None else Decimal(str(round(confidence, 4)))),
            ("duration_ms", duration_ms),
            ("meta", meta),
        ):
            if value is not None:
                item[key] = value
        in_s3 = len(data) >= S3_OFFLOAD_BYTES
        if in_s3:
            key = f"checkpoints/{thread_id}/{checkpoint_id}.json"
            with aws.dependency("store large checkpoint"):
                aws.client("s3").put_object(
                    Bucket=self.bucket, Key=key, Body=data, ContentType="application/json"
                )
            item["payload_s3"] = {"bucket": self.bucket, "key": key}
        else:
            item["payload"] = body
        with aws.dependency("write checkpoint"):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(SK)")
        metrics.add_metric(name="CheckpointBytes", unit=MetricUnit.Bytes, value=len(data))
        if in_s3:
            metrics.add_metric(name="CheckpointsOffloadedToS3", unit=MetricUnit.Count, value=1)
        return CheckpointRecord(
            thread_id=thread_id,
            checkpoint_id=checkpoint_id,
            step=step,
            created_at=item["created_at"],
            phase=phase,
            agent=agent,
            status=status,
            confidence=confidence,
            duration_ms=duration_ms,
            size_bytes=len(data),
            in_s3=in_s3,
            meta=meta or {},
        )

    def load(self, ref: Ref) -> Any:
        """The payload of a checkpoint, from DynamoDB or, transparently, from S3.

        Checkpoints are write-once (`put` refuses to overwrite), so a warm container keeps the text of the ones
        it has read: the seven agents of a thread read the same event, snapshot and options, and phase 2 reads
        the peers' views; only the first read of each goes to DynamoDB/S3."""
        key = (self.table_name, ref.thread_id, ref.checkpoint_id)
        text = _PAYLOADS.get(key)
        if text is None:
            with aws.dependency("read checkpoint"):
                item = self._table.get_item(
                    Key={"PK": pk(ref.thread_id), "SK": CHECKPOINT_PREFIX + ref.checkpoint_id}
                ).get("Item")
            if item is None:
                raise CheckpointNotFound(
                    f"checkpoint {ref.checkpoint_id} of thread {ref.thread_id} does not exist"
                )
            text = self._payload_text(item)
            _PAYLOADS.put(key, text)
        return json.loads(text)

    def _payload_text(self, item: dict[str, Any]) -> str:
        if "payload_s3" in item:
            loc = item["payload_s3"]
            with aws.dependency("read large checkpoint"):
                obj = aws.client("s3").get_object(Bucket=loc["bucket"], Key=loc["key"])
            return obj["Body"].read().decode()
        return str(item["payload"])

    def history(self, thread_id: str, *, with_payloads: bool = False) -> list[dict[str, Any]]:
        """Every checkpoint of a thread, oldest first (one Query, paginated)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :cp)",
            "ExpressionAttributeValues": {":pk": pk(thread_id), ":cp": CHECKPOINT_PREFIX},
        }
        while True:
            with aws.dependency("list checkpoints"):
                page = self._table.query(**kwargs)
            for item in page["Items"]:
                if with_payloads:
                    item["payload"] = json.loads(self._payload_text(item))
                else:
                    item.pop("payload", None)
                items.append(_plain(item))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def latest(self, thread_id: str, step: str, **match: Any) -> dict[str, Any] | None:
        """The newest checkpoint of a step (e.g. the phase-1 view of one agent)."""
        found = [
            c
            for c in self.history(thread_id)
            if c["step"] == step and all(c.get(k) == v for k, v in match.items())
        ]
        return found[-1] if found else None

    # ------------------------------------------------------------------------------------------
    # Thread record: status + version, compare-and-swap only
    # ------------------------------------------------------------------------------------------
    def get_thread(self, thread_id: str) -> dict[str, Any] | None:
        with aws.dependency("read thread"):
            item = self._table.get_item(Key={"PK": pk(thread_id), "SK": THREAD_SK}, ConsistentRead=True).get(
                "Item"
            )
        return _plain(item) if item else None

    def open_thread(self, thread_id: str, **attributes: Any) -> dict[str, Any]:
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
            "expires_at": self._expires_at(now),
            **attributes,
        }
        try:
            with aws.dependency("open thread"):
                self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
            return _plain(item)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        existing = self.get_thread(thread_id)
        assert existing is not None
        return existing

    def update_thread(self, thread_id: str, expected_version: int, **changes: Any) -> dict[str, Any]:
        """Apply `changes` if the thread is still at `expected_version`; else CheckpointConflict."""
        now = utcnow().isoformat()
        changes = {**changes, "updated_at": now, "version": expected_version + 1}
        names = {f"#a{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": _dynamo(v) for i, v in enumerate(changes.values())}
        values[":expected"] = expected_version
        try:
            with aws.dependency("update thread"):
                result = self._table.update_item(
                    Key={"PK": pk(thread_id), "SK": THREAD_SK},
                    UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
                    ConditionExpression="attribute_exists(PK) AND version = :expected",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                current = self.get_thread(thread_id)
                found = current["version"] if current else "no thread"
                raise CheckpointConflict(
                    f"thread {thread_id}: expected version {expected_version}, found {found}"
                ) from exc
            raise
        return _plain(result["Attributes"])

    def set_status(self, thread_id: str, status: ThreadStatus, **changes: Any) -> dict[str, Any]:
        """Read the version, then compare-and-swap. A concurrent writer makes this raise CheckpointConflict
        (the state machine retries the step, which re-reads); nothing is overwritten silently."""
        current = self.get_thread(thread_id)
        if current is None:
            raise CheckpointNotFound(f"thread {thread_id} does not exist")
        return self.update_thread(thread_id, int(current["version"]), status=status, **changes)

    def threads_by_status(self, status: ThreadStatus, limit: int = 100) -> list[dict[str, Any]]:
        """All threads in a status, newest first, from the sparse ByStatus index (no scan)."""
        with aws.dependency("list threads"):
            page = self._table.query(
                IndexName="ByStatus",
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": status},
                ScanIndexForward=False,
                Limit=limit,
            )
        return [_plain(i) for i in page["Items"] if i["SK"] == THREAD_SK]

    # ------------------------------------------------------------------------------------------
    # Pending approval
    # ------------------------------------------------------------------------------------------
    def put_approval(
        self, thread_id: str, task_token: str, execution_arn: str, summary: dict[str, Any], timeout_s: int
    ) -> dict[str, Any]:
        now = utcnow()
        item = {
            "PK": pk(thread_id),
            "SK": APPROVAL_SK,
            "thread_id": thread_id,
            "approval_status": "pending",
            "task_token": task_token,
            "execution_arn": execution_arn,
            "summary": _dynamo(summary),
            "requested_at": now.isoformat(),
            "approval_expires_at": (now + timedelta(seconds=timeout_s)).isoformat(),
            "expires_at": self._expires_at(now),
        }
        with aws.dependency("record approval"):
            self._table.put_item(Item=item)
        return _plain(item)

    def get_approval(self, thread_id: str) -> dict[str, Any] | None:
        with aws.dependency("read approval"):
            item = self._table.get_item(Key={"PK": pk(thread_id), "SK": APPROVAL_SK}, ConsistentRead=True).get(
                "Item"
            )
        return _plain(item) if item else None

    def decide_approval(
        self, thread_id: str, decision: str, approver_id: str | None, comments: str, now: datetime | None = None
    ) -> dict[str, Any]:
        """Mark the pending approval decided, once. A second use raises ApprovalNotPending; one that arrives
        after the timeout raises ApprovalExpired."""
        now = now or utcnow()
        try:
            with aws.dependency("decide approval"):
                result = self._table.update_item(
                    Key={"PK": pk(thread_id), "SK": APPROVAL_SK},
                    UpdateExpression="SET approval_status = :d, approver_id = :a, comments = :c, decided_at = :t",
                    ConditionExpression="approval_status = :pending AND approval_expires_at > :t",
                    ExpressionAttributeValues={
                        ":d": decision,
                        ":a": approver_id or "-",
                        ":c": comments,
                        ":t": now.isoformat(),
                        ":pending": "pending",
                    },
                    ReturnValues="ALL_NEW",
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = self.get_approval(thread_id)
            if current is None:
                raise CheckpointNotFound(f"thread {thread_id} has no approval request") from exc
            if current["approval_status"] != "pending":
                raise ApprovalNotPending(
                    f"thread {thread_id}: approval already {current['approval_status']}"
                    f" by {current.get('approver_id', '-')} at {current.get('decided_at', '-')}"
                ) from exc
            raise ApprovalExpired(
                f"thread {thread_id}: approval expired at {current['approval_expires_at']}"
            ) from exc
        return _plain(result["Attributes"])

    def close_approval(self, thread_id: str, status: str) -> None:
        """Mark a still-pending approval as ended by the workflow (timed out)."""
        try:
            with aws.dependency("close approval"):
                self._table.update_item(
                    Key={"PK": pk(thread_id), "SK": APPROVAL_SK},
                    UpdateExpression="SET approval_status = :s",
                    ConditionExpression="approval_status = :pending",
                    ExpressionAttributeValues={":s": status, ":pending": "pending"},
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def _dynamo(value: Any) -> Any:
    """Floats are not allowed by the DynamoDB resource API: store them as Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


class Timer:
    """Milliseconds spent in a step, for checkpoint `duration_ms`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> int:
        return int((time.perf_counter() - self.start) * 1000)


def store_from_env() -> CheckpointStore:
    from skymarshal.config import settings

    s = settings()
    return CheckpointStore(s.checkpoint_table, s.checkpoint_bucket, s.checkpoint_retention_days)
