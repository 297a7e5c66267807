"""AWS clients, created once per container, with botocore's bounded retry configuration.

Throttling (ProvisionedThroughputExceeded, SlowDown, ...) is absorbed by botocore's `standard` retry
mode: bounded attempts with exponential backoff and jitter. Nothing here loops by hand.

Clients come from one boto3 session of this module's, whose botocore data loader (the service models read
from botocore's JSON files, the bulk of the ~80 ms a client costs to create) outlives `reset()`: a new session
shares it, so clients made again after a reset or a restore skip the reading.

SnapStart (template.yaml): a function's sandboxes resume from one snapshot of its initialised process. Before
the snapshot, `prime(services)` creates the clients a function uses (skymarshal.handlers registers it), so the
snapshot holds the loaded service models; after a restore (`fresh_after_restore`, a runtime hook of the Lambda
Python runtime's snapshot_restore_py) the session, its credentials and its clients are forgotten, so that no
connection or credential from before the snapshot is reused, and `random` is reseeded, so that restored
sandboxes do not all draw the same retry jitter (botocore's backoff uses it).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from snapshot_restore_py import register_after_restore

from skymarshal.config import settings
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
    s = settings()
    retries: Any = {"mode": s.aws_retry_mode, "total_max_attempts": s.aws_max_attempts}
    return Config(retries=retries, connect_timeout=5, read_timeout=20)


@cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@cache
def session() -> boto3.session.Session:
    """This module's boto3 session, made on first use (and again after `reset()`), on the shared data loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str) -> Any:
    return session().client(service, config=retry_config())  # type: ignore[call-overload]


class _Tables(threading.local):
    """One DynamoDB resource per thread, made on first use. A boto3 resource is not thread-safe
    (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/resources.html#multithreading-or-multiprocessing-with-resources):
    its client turns `Key(...)`/`Attr(...)` conditions into placeholders with one shared builder, so two
    threads querying at once can send each other's names ("Query condition missed key schema element").
    Lambda runs one invocation per sandbox; the local operations (the fleet storm, the console) use threads."""

    def __init__(self) -> None:
        self.generation = -1
        self.tables: dict[str, Any] = {}


_tables = _Tables()
_generation = 0  # bumped by reset(): every thread's resources are then made anew


def table(name: str) -> Any:
    if _tables.generation != _generation:
        _tables.generation, _tables.tables = _generation, {}
    found = _tables.tables.get(name)
    if found is None:
        found = _tables.tables[name] = session().resource("dynamodb", config=retry_config()).Table(name)
    return found


def prime(services: Iterable[str]) -> None:
    """Create the clients of `services` now ("dynamodb" includes the resource the stores use), instead of in a
    function's first invocation: SnapStart's before-snapshot hook (skymarshal.handlers), so that the snapshot
    holds their service models. No request is made, so no connection is opened."""
    for service in services:
        client(service)
        if service == "dynamodb":
            session().resource("dynamodb", config=retry_config())


def reset() -> None:
    """Forget the session, its credentials, the cached clients and resources, in every thread (tests switch
    endpoints; a restored sandbox starts afresh). The service models already read are kept."""
    global _generation
    client.cache_clear()
    session.cache_clear()
    _generation += 1


@register_after_restore
def fresh_after_restore() -> None:
    """SnapStart runtime hook, run when a sandbox resumes from the snapshot (see the module docstring):
    https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html and snapstart-runtime-hooks-python."""
    reset()
    random.seed()  # from os.urandom: each restored sandbox draws its own jitter


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


def query(table: Any, action: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a DynamoDB Query returns, page after page: boto3's paginator on the resource's client (plain
    Python values in and out, condition objects accepted), under `dependency(action)`."""
    paginator = table.meta.client.get_paginator("query")
    with dependency(action):
        for page in paginator.paginate(TableName=table.name, **kwargs):
            yield from page.get("Items", [])


BATCH_GET_MAX = 100  # keys per BatchGetItem request (the DynamoDB limit)
BATCH_GET_ROUNDS = 8  # submissions of UnprocessedKeys before the read is reported as transient


def batch_get(
    client: Any, table_name: str, keys: Iterable[tuple[str, str]], action: str, *,
    sleep: Callable[[float], None] = time.sleep, **options: Any,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Items by (PK, SK), read with BatchGetItem in requests of 100 keys; keys that are absent are absent from
    the answer. UnprocessedKeys are resubmitted with exponential backoff, as the BatchGetItem reference asks
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html), and still
    unprocessed after `BATCH_GET_ROUNDS` they are a `TransientDependencyError`, never silently missing.
    `client` is a resource's client (plain Python values in and out); `options` go with every request
    (ConsistentRead, ProjectionExpression, ...). botocore has no paginator for BatchGetItem, hence this loop."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), BATCH_GET_MAX):
        request: dict[str, Any] = {table_name: {
            "Keys": [{"PK": pk, "SK": sk} for pk, sk in unique[start:start + BATCH_GET_MAX]], **options}}
        for attempt in range(BATCH_GET_ROUNDS):
            with dependency(action):
                response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table_name, []):
                found[(item["PK"], item["SK"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(min(1.0, 0.05 * 2**attempt))
        else:
            raise TransientDependencyError(f"{action}: keys still unprocessed after {BATCH_GET_ROUNDS} rounds")
    return found
