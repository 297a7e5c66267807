"""Checkpoints: every step of a thread, write-once, oldest first.

Items `PK = THREAD#{thread_id}`, `SK = CHECKPOINT#{id}`: ids sort in time (UTC timestamp to the microsecond)
and never collide (random suffix). Payloads of 350 KB or more (stored bytes) go to S3 under
`checkpoints/{thread}/{id}.json` with a pointer in the item, and load back transparently. Every item carries
`expires_at` (TTL, CHECKPOINT_RETENTION_DAYS, default 90) matching the bucket lifecycle.
"""

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from skymarshal import aws
from skymarshal.errors import CheckpointNotFound
from skymarshal.models import Ref
from skymarshal.observability import metrics
from skymarshal.stores.dynamo import expires_at, pk, plain, utcnow

S3_OFFLOAD_BYTES = 350 * 1024
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


def new_checkpoint_id(now: datetime | None = None) -> str:
    """Time-ordered, collision-free: `20261201T090500123456Z-9f2c4e1a`."""
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"


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
        """Write a checkpoint (never over another one); a large payload goes to S3."""
        now = utcnow()
        record = CheckpointRecord(
            thread_id=thread_id, checkpoint_id=new_checkpoint_id(now), step=step, created_at=now.isoformat(),
            phase=phase, agent=agent, status=status, confidence=confidence, duration_ms=duration_ms,
            meta=meta or {},
        )
        body = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
        data = body.encode()
        record.size_bytes = len(data)
        record.in_s3 = len(data) >= S3_OFFLOAD_BYTES
        item = self._item(record, now, meta)
        if record.in_s3:
            item["payload_s3"] = self._offload(record, data)
        else:
            item["payload"] = body
        with aws.dependency("write checkpoint"):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(SK)")
        metrics.add_metric(name="CheckpointBytes", unit=MetricUnit.Bytes, value=len(data))
        if record.in_s3:
            metrics.add_metric(name="CheckpointsOffloadedToS3", unit=MetricUnit.Count, value=1)
        return record

    def _item(self, record: CheckpointRecord, now: datetime, meta: dict[str, Any] | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": pk(record.thread_id),
            "SK": CHECKPOINT_PREFIX + record.checkpoint_id,
            "thread_id": record.thread_id,
            "checkpoint_id": record.checkpoint_id,
            "step": record.step,
            "created_at": record.created_at,
            "size_bytes": record.size_bytes,
            "expires_at": expires_at(now, self.retention),
        }
        confidence = record.confidence
        for key, value in (
            ("phase", record.phase),
            ("agent", record.agent),
            # `status` is reserved for thread records (sparse index): a checkpoint's status is its `outcome`
            ("outcome", record.status),
            ("confidence", None if confidence is None else Decimal(str(round(confidence, 4)))),
            ("duration_ms", record.duration_ms),
            ("meta", meta),
        ):
            if value is not None:
                item[key] = value
        return item

    def _offload(self, record: CheckpointRecord, data: bytes) -> dict[str, str]:
        key = f"checkpoints/{record.thread_id}/{record.checkpoint_id}.json"
        with aws.dependency("store large checkpoint"):
            aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/json")
        return {"bucket": self.bucket, "key": key}

    def load(self, ref: Ref) -> Any:
        """The payload of a checkpoint, from DynamoDB or, transparently, from S3 (see `load_many`)."""
        return self.load_many([ref])[0]

    def load_many(self, refs: Sequence[Ref]) -> list[Any]:
        """The payloads of checkpoints, in the order asked, the ones not read before in one BatchGetItem.

        Checkpoints are write-once (`put` refuses to overwrite), so a warm container keeps the text of the ones
        it has read: the seven agents of a thread read the same event, snapshot and options, and phase 2 reads
        the peers' views. Reads are strongly consistent: a step reads checkpoints written a moment before by
        other functions (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html)."""
        keys = [(self.table_name, r.thread_id, r.checkpoint_id) for r in refs]
        texts = {key: _PAYLOADS.get(key) for key in keys}
        missing = [key for key, text in texts.items() if text is None]
        if missing:
            items = aws.batch_get(self._table.meta.client, self.table_name,
                                  [(pk(thread), CHECKPOINT_PREFIX + cp) for _, thread, cp in missing],
                                  "read checkpoints", ConsistentRead=True)
            for key in missing:
                _, thread, cp = key
                item = items.get((pk(thread), CHECKPOINT_PREFIX + cp))
                if item is None:
                    raise CheckpointNotFound(f"checkpoint {cp} of thread {thread} does not exist")
                texts[key] = text = self._payload_text(item)
                _PAYLOADS.put(key, text)
        return [json.loads(str(texts[key])) for key in keys]

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
        for item in aws.query(
            self._table, "list checkpoints",
            KeyConditionExpression="PK = :pk AND begins_with(SK, :cp)",
            ExpressionAttributeValues={":pk": pk(thread_id), ":cp": CHECKPOINT_PREFIX},
        ):
            if with_payloads:
                item["payload"] = json.loads(self._payload_text(item))
            else:
                item.pop("payload", None)
            items.append(plain(item))
        return items

    def latest(self, thread_id: str, step: str, **match: Any) -> dict[str, Any] | None:
        """The newest checkpoint of a step (e.g. the phase-1 view of one agent)."""
        found = [
            c
            for c in self.history(thread_id)
            if c["step"] == step and all(c.get(k) == v for k, v in match.items())
        ]
        return found[-1] if found else None
