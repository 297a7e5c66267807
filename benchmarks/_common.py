"""Shared by the embedded-stack benchmarks: start a stack, seed a scenario, count the AWS requests the moto
server receives (by service and operation), time Lambda invocations, write results/NAME.json.

Result format (what benchmarks/run.py prints): {"benchmark": NAME, ..., "rows": [{"measure", "value", "unit",
"target", "ratio", "ok"}]} where ratio = value / target (<= 1 meets the target).
"""

from __future__ import annotations

import json
import platform
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
for extra in (ROOT / "functions", ROOT / "local", ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

SCENARIO = "ey123-technical-delay"

# AWS list prices (us-east-1), used for the cost per decision
PRICE = {
    "sfn_transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_s_arm64": 0.0000133334,
    "ddb_write": 1.25 / 1_000_000,
    "ddb_read": 0.25 / 1_000_000,
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "sns_publish": 0.50 / 1_000_000,
    "sqs_request": 0.40 / 1_000_000,
}
DDB_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class RequestCounter:
    """Counts every request the embedded moto server answers, by (service, operation); DynamoDB write
    requests also by estimated write units (request size / 1 KB, rounded up). Install before the stack starts."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        # CPU time the server's request threads spent answering, by operation: summed wall times would count the
        # waits of overlapping requests (seven agents at once) several times over; CPU time under one interpreter
        # lock is the serial share
        self.seconds: Counter[tuple[str, str]] = Counter()
        self.ddb_write_units = 0
        self._lock = threading.Lock()

    def install(self) -> RequestCounter:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        original = DomainDispatcherApplication.__call__
        counter = self
        credential = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")

        def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
            auth = environ.get("HTTP_AUTHORIZATION", "")
            m = credential.search(auth)
            service = m.group(1) if m else "other"
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            op = target.rsplit(".", 1)[-1] if target else environ.get("REQUEST_METHOD", "")
            size = int(environ.get("CONTENT_LENGTH") or 0)
            with counter._lock:
                counter.counts[(service, op)] += 1
                if service == "dynamodb" and op in DDB_WRITES:
                    counter.ddb_write_units += max(1, -(-size // 1024))
            started = time.thread_time()  # each request runs on a thread of its own (threaded werkzeug server)
            try:
                return original(self, environ, start_response)
            finally:
                with counter._lock:
                    counter.seconds[(service, op)] += time.thread_time() - started

        DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
        return self

    def snapshot(self) -> tuple[Counter[tuple[str, str]], int]:
        with self._lock:
            return Counter(self.counts), self.ddb_write_units

    def seconds_since(self, before: tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]
                      ) -> dict[tuple[str, str], tuple[int, float]]:
        """(requests, server seconds) by (service, operation) since `before` (a `mark()`)."""
        counts, seconds = self.mark()
        return {key: (n - before[0][key], seconds[key] - before[1][key])
                for key, n in counts.items() if n > before[0][key]}

    def mark(self) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
        with self._lock:
            return Counter(self.counts), Counter(self.seconds)

    @staticmethod
    def diff(after: tuple[Counter[tuple[str, str]], int], before: tuple[Counter[tuple[str, str]], int]
             ) -> dict[str, Any]:
        counts = after[0] - before[0]
        by = lambda service, ops=None: sum(v for (s, o), v in counts.items()  # noqa: E731
                                           if s == service and (ops is None or o in ops))
        return {
            "ddb_reads": by("dynamodb", DDB_READS),
            "ddb_writes": by("dynamodb", DDB_WRITES),
            "ddb_write_units_est": after[1] - before[1],
            "s3_puts": by("s3", {"PUT", "POST"}),
            "s3_gets": by("s3", {"GET", "HEAD"}),
            "lambda_invokes": by("lambda", {"POST"}),
            "sns_publishes": by("sns"),
            "sqs_requests": by("sqs"),
            "raw": {f"{s}:{o}": v for (s, o), v in sorted(counts.items())},
        }


class InvocationTimer:
    """Wraps the embedded runtime's invoke: count and wall time per function (logical id)."""

    def __init__(self) -> None:
        self.durations: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def install(self) -> InvocationTimer:
        from skymarshal_local.emulator.runtime import RUNTIME

        original = RUNTIME.invoke
        timer = self

        def invoke(fn: Any, event: Any) -> tuple[str, bool, str]:
            start = time.perf_counter()
            try:
                return original(fn, event)
            finally:
                with timer._lock:
                    timer.durations.append((RUNTIME.logical_names.get(fn.function_name, fn.function_name),
                                            time.perf_counter() - start))

        RUNTIME.invoke = invoke  # type: ignore[method-assign]
        return self

    def mark(self) -> int:
        with self._lock:
            return len(self.durations)

    def since(self, mark: int) -> list[tuple[str, float]]:
        with self._lock:
            return list(self.durations[mark:])

    def wait_for(self, mark: int, function: str, what: str, timeout: float = 300.0, poll: float = 0.02) -> None:
        """Until an invocation of `function` (logical id) has finished since `mark`, without any AWS request;
        past `timeout`, fail naming what was waited for."""
        deadline = time.monotonic() + timeout
        while not any(name == function for name, _ in self.since(mark)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f}s for {what}")
            time.sleep(poll)


def start_stack(**parameters: str) -> Any:
    from skymarshal_local.emulator.stack import EmbeddedStack

    return EmbeddedStack(parameters=parameters).start()


def seed(stack: Any, name: str = SCENARIO) -> Any:
    from skymarshal.domain.operation import OpsDataset
    from skymarshal_local.operations.seed import replace_ops_data

    dataset = OpsDataset.model_validate_json((ROOT / "data" / "scenarios" / f"{name}.json").read_text())
    replace_ops_data(stack.outputs["OpsDataTableName"], dataset)
    return dataset


def target_for(stack: Any) -> Any:
    from skymarshal_local.target import Target

    return Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()


def event(event_id: str, flight_number: str = "EY123", flight_date: str = "2026-12-01") -> dict[str, Any]:
    data = json.loads((ROOT / "events" / f"{SCENARIO}.json").read_text())
    data.update(event_id=event_id, flight_number=flight_number, flight_date=flight_date)
    return data


def row(measure: str, value: float, unit: str, target: float | None = None, lower_is_better: bool = True
        ) -> dict[str, Any]:
    ratio = None
    if target:
        ratio = round(value / target, 3) if lower_is_better else round(target / value, 3) if value else None
    return {"measure": measure, "value": round(value, 6) if isinstance(value, float) else value, "unit": unit,
            "target": target, "ratio": ratio, "ok": None if ratio is None else ratio <= 1.0}


def write(name: str, data: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {"benchmark": name, "python": platform.python_version(), "machine": platform.machine(),
           "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **data, "rows": rows}
    path.write_text(json.dumps(doc, indent=2, default=str))
    for r in rows:
        target = "" if r["target"] is None else f"  target {r['target']} {r['unit']}  ratio {r['ratio']}"
        print(f"{name:10} {r['measure']:48} {r['value']:>12} {r['unit']}{target}")
    return path
