"""moto patches: each function supplies one AWS behaviour that moto 5.2.5 lacks or gets wrong.

`install()` applies them all, once per process, before the embedded stack's server starts. moto is imported
inside each function (see the package docstring: it is slow to import).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from typing import Any

from skymarshal_local.emulator import fastdynamo, redrive


def run_lambda_in_process() -> None:
    """Lambda Invoke runs the function's real handler in this process (emulator.runtime) instead of the Docker
    container moto would start, with the function's environment, timeout and error shape as on AWS."""
    from moto.awslambda.models import LambdaFunction  # on use: moto is slow to import

    # imported on use: creating the runtime routes sys.stdout (see runtime.py), only the started stack wants that
    from skymarshal_local.emulator.runtime import RUNTIME

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return RUNTIME.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def serialise_dynamodb_writes() -> None:
    """DynamoDB conditional writes are atomic on AWS; moto's server threads can interleave a condition check and
    the write, so two compare-and-swap writers could both "win". Serialise moto's write paths."""
    from moto.dynamodb.models import DynamoDBBackend  # on use: moto is slow to import

    write_lock = threading.RLock()

    def serialised(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with write_lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))


def roll_back_transactions_by_item() -> None:
    """TransactWriteItems is all-or-nothing, as on AWS, without moto's backup of every table the transaction
    touches (moto 5.2.5 deep-copies the whole table once per item of the transaction: seconds on a hub day,
    under the write lock). The items the transaction names are saved before it runs and put back if it is
    cancelled; writes are serialised (serialise_dynamodb_writes), so nothing else changes them meanwhile."""
    import copy as _copy

    from moto.dynamodb import models as dynamodb_models  # on use: moto is slow to import
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    class _NoTableCopy:
        """`copy` for moto's models module during a transaction: tables are not copied (items are, below)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(_copy, name)

        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else _copy.deepcopy(obj, memo)

    def saved_items(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
            saved.append((table, hash_key, range_key, _copy.deepcopy(fastdynamo._current(table, hash_key, range_key))))
        return saved

    def restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_key, range_key, item in reversed(saved):
            if table.range_key_attr:
                bucket = table.items.setdefault(hash_key, {})
                if item is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = item
            elif item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
            fastdynamo._touch(table, hash_key, range_key)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = saved_items(self, transact_items)
        dynamodb_models.copy = _NoTableCopy()  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except Exception:  # cancelled (a condition failed) or refused (validation): nothing is written
            restore(saved)
            raise
        finally:
            dynamodb_models.copy = _copy

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def pass_task_failure_cause() -> None:
    """SendTaskFailure's `cause` reaches the Catch, as on AWS (a rejection's comment); moto 5.2.5 drops it."""
    from moto.core.responses import EmptyResult  # on use: moto is slow to import
    from moto.stepfunctions.responses import StepFunctionResponse  # on use: moto is slow to import

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]


def reuse_asl_engine_clients() -> None:
    """Step Functions calls its task integrations without the cost of a new client per task: the ASL engine
    reuses one boto3 client per (port, region, service) (stock moto builds a new client for every task: most of
    the per-task cost)."""
    from moto.stepfunctions.parser.asl.utils import boto_client as engine_clients  # on use: moto is slow to import

    original = engine_clients.boto_client_for
    cache: dict[tuple[str, str, str], Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:
            return original(region, service, state_credentials)
        key = (os.environ.get("MOTO_PORT", ""), region, service)
        if key not in cache:
            cache[key] = original(region, service, None)
        return cache[key]

    engine_clients.boto_client_for = boto_client_for
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1)
def install() -> None:
    """Every patch, once per process (moto's classes are process-global)."""
    run_lambda_in_process()
    fastdynamo.install()  # moto's Query walks the whole table: read only the queried partition (see fastdynamo.py)
    roll_back_transactions_by_item()  # before serialising: the rollback runs under the write lock
    # last of the DynamoDB patches: the write lock is always taken first (then fastdynamo's index lock), whatever
    # the write path (UpdateItem, PutItem, TransactWriteItems); the other order deadlocks concurrent writers
    serialise_dynamodb_writes()
    pass_task_failure_cause()
    redrive.install()  # RedriveExecution, which moto lacks (see redrive.py for local vs AWS)
    reuse_asl_engine_clients()
