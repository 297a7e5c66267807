"""AWS clients, created once per container, with botocore's bounded retry configuration.

Throttling (ProvisionedThroughputExceeded, SlowDown, ...) is absorbed by botocore's `standard` retry
mode: bounded attempts with exponential backoff and jitter. Nothing here loops by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from skymarshal.errors import TransientDependencyError

THROTTLING = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "SlowDown",
    "InternalServerError",
    "ServiceUnavailable",
})


def retry_config() -> Config:
    retries: Any = {
        "mode": os.environ.get("AWS_RETRY_MODE", "standard"),  # standard | adaptive
        "total_max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "5")),
    }
    return Config(retries=retries, connect_timeout=5, read_timeout=20)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=retry_config())  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    return boto3.resource("dynamodb", config=retry_config()).Table(name)


def reset() -> None:
    """Forget cached clients (tests switch endpoints)."""
    client.cache_clear()
    table.cache_clear()


@contextmanager
def dependency(action: str) -> Iterator[None]:
    """Throttling that outlived botocore's bounded retries becomes the workflow's retryable error
    (`TransientDependencyError`, retried with backoff by the state machine); other errors pass through."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLING:
            raise TransientDependencyError(f"{action}: {code} persisted after retries") from exc
        raise
