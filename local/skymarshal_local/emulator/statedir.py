"""The embedded stack's state on disk: what `skymarshal serve` (and `run`) keep between processes.

moto keeps everything in process memory. This module saves, at consistent points, what the stack's users own
and restores it into a freshly deployed stack:
- DynamoDB: every item of every table (threads, checkpoints, approvals, idempotency records, ops data);
- S3: every object of every bucket except the code artifacts (big checkpoint payloads);
- SQS: the messages of every queue (intake, dead letters), restored visible;
- Step Functions: every execution (name, input, status, dates, output, error, cause, redrive count and its full
  history), restored as read-only execution records behind the same ARN.

Why a snapshot of the resources, not a pickle of moto's backends: moto's objects hold live threads, locks and
worker environments (a running execution cannot be pickled, nor resumed mid-state), and the whole backend is
re-created by `deploy()` from template.yaml anyway. Resource names are stable per (stack, logical id)
(patches.stable_resource_names), so a restored item, S3 pointer or ARN means the same resource after a restart.

When: a daemon thread captures what changed every `interval` seconds (DynamoDB tables are tracked by their write
paths; S3, SQS and executions by a fingerprint) and on a clean stop. Each part is one file, written to a temporary
name and moved into place with os.replace, so a file is either the old or the new snapshot, never half of one;
S3 is captured after and written before DynamoDB, so a DynamoDB pointer never names an object the files lack.
`manifest.json` says when the last complete capture started (`captured_at`, epoch seconds). A kill (even SIGKILL)
loses at most the writes of the last interval.

On restart: an execution that was RUNNING ends FAILED (error `LocalStackStopped`, a cause that says what to do),
with an ExecutionFailed event appended to its history; `interrupted()` lists them so the stack can continue
those that were waiting for the duty manager (see stack.py). One process owns a state directory at a time
(an exclusive lock on `lock`).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skymarshal_local.localenv import ACCOUNT, REGION

FORMAT = 1
INTERRUPTED_ERROR = "LocalStackStopped"
SKIP_BUCKETS = {"skymarshal-local-artifacts"}  # re-created by deploy()


class StateDirBusy(RuntimeError):
    """Another process owns the state directory."""


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _backend(service: str) -> Any:
    from moto.backends import get_backend  # on use: moto is slow to import

    backends = get_backend(service)  # type: ignore[call-overload]
    return backends[ACCOUNT]["global" if service == "s3" else REGION]


def _sfn_backend() -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends  # on use: moto is slow to import

    return stepfunctions_parser_backends[ACCOUNT][REGION]


# ----------------------------------------------------------------------------------------------
# DynamoDB: which tables were written since the last capture
# ----------------------------------------------------------------------------------------------
_DIRTY: set[str] = set()
_DIRTY_LOCK = threading.Lock()


def _mark(table_name: str) -> None:
    with _DIRTY_LOCK:
        _DIRTY.add(table_name)


def track_dynamodb_writes() -> None:
    """Note the table of every write (Table.put_item/delete_item carry BatchWrite, TransactWrite and PartiQL;
    the backend's update_item mutates in place). Idempotent; install after fastdynamo."""
    from moto.dynamodb.models import DynamoDBBackend  # on use: moto is slow to import
    from moto.dynamodb.models.table import Table  # on use: moto is slow to import

    if getattr(Table.put_item, "_tracked", False):
        return
    put, delete, update = Table.put_item, Table.delete_item, DynamoDBBackend.update_item

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        _mark(self.name)
        return put(self, *args, **kwargs)

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        _mark(self.name)
        return delete(self, *args, **kwargs)

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        _mark(table_name)
        return update(self, table_name, *args, **kwargs)

    put_item._tracked = True  # type: ignore[attr-defined]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


# ----------------------------------------------------------------------------------------------
# Restored executions
# ----------------------------------------------------------------------------------------------
def restored_execution_class() -> type:
    from moto.stepfunctions.parser.backend.execution import Execution  # on use: moto is slow to import

    class RestoredExecution(Execution):  # type: ignore[misc]
        """An execution of an earlier process: its record and history, no worker (nothing runs)."""

        events: list[dict[str, Any]]

        def to_history_output(self) -> Any:
            return {"events": [dict(e) for e in self.events]}

    return RestoredExecution


@dataclass
class Interrupted:
    """An execution that was RUNNING when its stack stopped."""

    execution_arn: str
    thread_id: str
    last_state: str | None


# ----------------------------------------------------------------------------------------------
# The state directory
# ----------------------------------------------------------------------------------------------
@dataclass
class StateDir:
    path: Path
    interval: float = 0.5
    _lock_file: Any = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _written: dict[str, str] = field(default_factory=dict)  # part -> digest of what is on disk
    _history_cache: dict[tuple[str, str, int], list[dict[str, Any]]] = field(default_factory=dict)
    _capture_lock: threading.Lock = field(default_factory=threading.Lock)
    on_error: Callable[[BaseException], None] | None = None
    last_error: str | None = None

    # -- ownership -------------------------------------------------------------------------------------------
    def acquire(self) -> StateDir:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "dynamodb").mkdir(exist_ok=True)
        f = (self.path / "lock").open("a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            f.seek(0)
            owner = f.read().strip() or "another process"
            f.close()
            raise StateDirBusy(f"the state directory {self.path} is in use by {owner}") from exc
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        self._lock_file = f
        return self

    def release(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def has_snapshot(self) -> bool:
        return (self.path / "manifest.json").exists()

    def manifest(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.path / "manifest.json").read_text()))
        except (OSError, ValueError):
            return {}

    # -- capture -----------------------------------------------------------------------------------------------
    def _write_part(self, name: str, value: Any) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(data).hexdigest()
        if self._written.get(name) == digest:
            return
        _atomic_write(self.path / name, data)
        self._written[name] = digest

    def save(self, *, everything: bool = False) -> None:
        """Capture what changed and write it (DynamoDB first captured, last written; see the module docstring)."""
        from skymarshal_local.emulator.patches import DYNAMODB_WRITE_LOCK  # one lock for every DynamoDB write

        with self._capture_lock:
            captured_at = time.time()
            dynamodb = _backend("dynamodb")
            with _DIRTY_LOCK:
                dirty = set(dynamodb.tables) if everything else set(_DIRTY)
                _DIRTY.clear()
            tables: dict[str, list[dict[str, Any]]] = {}
            try:
                with DYNAMODB_WRITE_LOCK:
                    for name in dirty:
                        table = dynamodb.tables.get(name)
                        if table is not None:
                            tables[name] = [item.to_json()["Attributes"] for item in _items(table)]
                s3 = self._capture_s3()
                sqs = self._capture_sqs()
                executions = self._capture_executions()
                self._write_part("s3.pickle", s3)
                self._write_part("sqs.pickle", sqs)
                for name, items in tables.items():
                    self._write_part(f"dynamodb/{name}.pickle", items)
                for name in dirty - set(tables):  # deleted tables
                    with contextlib.suppress(FileNotFoundError):
                        (self.path / "dynamodb" / f"{name}.pickle").unlink()
                self._write_part("stepfunctions.pickle", executions)
            except BaseException:
                with _DIRTY_LOCK:
                    _DIRTY.update(dirty)  # captured again next time
                raise
            _atomic_write(self.path / "manifest.json", json.dumps(
                {"format": FORMAT, "captured_at": captured_at, "pid": os.getpid()}).encode())

    def _capture_s3(self) -> dict[str, dict[str, bytes]]:
        out: dict[str, dict[str, bytes]] = {}
        for name, bucket in list(_backend("s3").buckets.items()):
            if name in SKIP_BUCKETS:
                continue
            out[name] = {key.name: key.value for key in list(bucket.keys.values()) if hasattr(key, "value")}
        return out

    def _capture_sqs(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for name, queue in list(_backend("sqs").queues.items()):
            out[name] = [{"body": m.body, "attributes": m.message_attributes, "group_id": m.group_id,
                          "deduplication_id": m.deduplication_id} for m in list(queue._messages)]
        return out

    def _capture_executions(self) -> list[dict[str, Any]]:
        backend = _sfn_backend()
        records = []
        for sm in list(backend.state_machines):
            for execution in list(sm.executions):
                status = execution.status
                redrives = int(getattr(execution, "redrive_count", 0) or 0)
                key = (execution.exec_arn, status, redrives)
                events = self._history_cache.get(key)
                if events is None:
                    events = _history(backend, execution)
                    if status != "RUNNING":
                        self._history_cache[key] = events
                records.append({
                    "state_machine": sm.name, "name": execution.name, "arn": execution.exec_arn,
                    "status": status, "start_date": execution.start_date, "stop_date": execution.stop_date,
                    "input": execution.execution_input, "output": execution.output,
                    "error": execution.error, "cause": execution.cause, "role_arn": execution.role_arn,
                    "redrive_count": redrives, "redrive_date": getattr(execution, "redrive_date", None),
                    "events": events,
                })
        return records

    # -- periodic ----------------------------------------------------------------------------------------------
    def start_saving(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.save()
                    self.last_error = None
                except Exception as exc:  # reported, retried next tick; never kills the stack
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    if self.on_error:
                        self.on_error(exc)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="skymarshal-state", daemon=True)
        self._thread.start()

    def stop_saving(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    # -- restore -----------------------------------------------------------------------------------------------
    def restore(self) -> list[Interrupted]:
        """Put the saved state into the freshly deployed stack; returns the executions that were RUNNING."""
        if not self.has_snapshot():
            return []
        dynamodb = _backend("dynamodb")
        for path in sorted((self.path / "dynamodb").glob("*.pickle")):
            table = dynamodb.tables.get(path.stem)
            if table is None:
                continue
            for item in pickle.loads(path.read_bytes()):
                table.put_item(item)
        s3 = _backend("s3")
        for bucket, objects in self._read("s3.pickle", {}).items():
            if bucket in s3.buckets:
                for key, value in objects.items():
                    s3.put_object(bucket, key, value)
        sqs = _backend("sqs")
        for queue, messages in self._read("sqs.pickle", {}).items():
            if queue in sqs.queues:
                for m in messages:
                    sqs.send_message(queue, m["body"], message_attributes=m["attributes"] or {},
                                     group_id=m["group_id"], deduplication_id=m["deduplication_id"])
        return self._restore_executions(self._read("stepfunctions.pickle", []))

    def _read(self, name: str, default: Any) -> Any:
        path = self.path / name
        return pickle.loads(path.read_bytes()) if path.exists() else default

    def _restore_executions(self, records: list[dict[str, Any]]) -> list[Interrupted]:
        backend = _sfn_backend()
        machines = {sm.name: sm for sm in backend.state_machines}
        restored_class = restored_execution_class()
        interrupted: list[Interrupted] = []
        now = datetime.datetime.now(tz=datetime.UTC)
        for r in records:
            sm = machines.get(r["state_machine"])
            if sm is None:
                continue
            execution = restored_class(
                name=r["name"], sm_type=sm.sm_type, role_arn=r["role_arn"], exec_arn=r["arn"],
                account_id=ACCOUNT, region_name=REGION, state_machine=sm, start_date=r["start_date"],
                cloud_watch_logging_session=None, activity_store={}, input_data=r["input"] or "{}",
            )
            events = list(r["events"])
            status = r["status"]
            if status == "RUNNING":
                last_state = _last_open_state(events)
                cause = (f"the local stack stopped while this execution ran (in {last_state or 'its first state'}); "
                         f"its checkpoints are kept: continue with `skymarshal redrive {r['name']}` or "
                         f"`skymarshal replay {r['name']} --from CHECKPOINT`")
                last_id = int(events[-1]["id"]) if events else 0
                events.append({"id": last_id + 1, "previousEventId": last_id, "type": "ExecutionFailed",
                               "timestamp": now, "executionFailedEventDetails": {
                                   "error": INTERRUPTED_ERROR, "cause": cause}})
                status, r["stop_date"], r["error"], r["cause"] = "FAILED", now, INTERRUPTED_ERROR, cause
                interrupted.append(Interrupted(r["arn"], r["name"], last_state))
            execution.events = events
            execution.exec_status = _status(status)
            execution.stop_date = r["stop_date"]
            execution.output = r["output"]
            execution.error, execution.cause = r["error"], r["cause"]
            if r["redrive_count"]:
                execution.redrive_count = r["redrive_count"]
                execution.redrive_date = r["redrive_date"]
            sm.executions.append(execution)
        return interrupted


def _status(value: str) -> Any:
    from moto.stepfunctions.parser.api import ExecutionStatus  # on use: moto is slow to import

    return ExecutionStatus(value)


def _items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for by_range in list(table.items.values()) for item in list(by_range.values())]
    return list(table.items.values())


def _history(backend: Any, execution: Any) -> list[dict[str, Any]]:
    """The execution's events (every attempt, through the backend's GetExecutionHistory); a running worker may
    append while they are read: read again."""
    for _ in range(5):
        try:
            return [dict(e) for e in backend.get_execution_history(execution.exec_arn)["events"]]
        except RuntimeError:  # list changed size during iteration
            time.sleep(0.01)
    return [dict(e) for e in backend.get_execution_history(execution.exec_arn)["events"]]


def _last_open_state(events: list[dict[str, Any]]) -> str | None:
    open_states: list[str] = []
    for e in events:
        entered, exited = e.get("stateEnteredEventDetails"), e.get("stateExitedEventDetails")
        if entered:
            open_states.append(entered.get("name", ""))
        elif exited and exited.get("name") in open_states:
            open_states.remove(exited["name"])
    return open_states[0] if open_states else None
