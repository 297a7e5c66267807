"""What the three stores of the checkpoint table share: keys, TTL, DynamoDB value conversion, conditional
writes.

Throttling is absorbed by botocore's retry configuration (skymarshal.aws); when it persists it surfaces as
`TransientDependencyError`, which the state machine retries with backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from skymarshal import aws

CONDITION_FAILED = "ConditionalCheckFailedException"


def utcnow() -> datetime:
    return datetime.now(UTC)


def pk(thread_id: str) -> str:
    return f"THREAD#{thread_id}"


def expires_at(now: datetime, retention: timedelta) -> int:
    """The item's TTL attribute: `now` + the retention, in epoch seconds."""
    return int((now + retention).timestamp())


def plain(value: Any) -> Any:
    """DynamoDB returns Decimals; give callers plain JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def to_dynamo(value: Any) -> Any:
    """Floats are not allowed by the DynamoDB resource API: store them as Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_dynamo(v) for v in value]
    return value


@contextmanager
def conditional_write(action: str, refused: Callable[[], Exception] | None = None) -> Iterator[None]:
    """A write with a ConditionExpression, under `aws.dependency(action)`. When the condition fails, raise
    `refused()` — our named error, built after the fact (it may read the item to say why) — or, without
    `refused`, carry on after the `with` block: the write was not needed."""
    try:
        with aws.dependency(action):
            yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != CONDITION_FAILED:
            raise
        if refused is not None:
            raise refused() from exc
