"""The embedded Lambda runtime: moto's Lambda backend runs the real handler code, in this process.

moto's `LambdaFunction._invoke_lambda` would start a Docker container; here it imports the function's handler
from `functions/` and calls it with the function's environment (from the deployed template). A handler
exception becomes `{"errorType", "errorMessage"}` with errored=True, exactly what Step Functions turns into the
error name that Retry/Catch match. A handler running past the function's Timeout returns `Sandbox.Timedout`,
as AWS does.

Written by hand because no library runs Python Lambda handlers in-process behind moto's Lambda API.
Tests inject faults and count invocations through `Runtime.faults` / `Runtime.invocations`.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skymarshal import aws, config
from skymarshal_local.localenv import FUNCTIONS_DIR

MAX_QUEUE_WAIT_S = 900  # Lambda's longest timeout: an invocation waits at most this long for its "container"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_s: float
    started: float = field(default_factory=time.monotonic)
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


class _RoutedStdout(io.TextIOBase):
    """sys.stdout that sends what a Lambda handler prints (Powertools JSON logs, EMF metrics) to that
    invocation's log buffer, as Lambda sends it to CloudWatch Logs, and everything else to the terminal."""

    def __init__(self, terminal: Any) -> None:
        self.terminal = terminal
        self.local = threading.local()

    def _out(self) -> Any:
        """Where everything but a Lambda's output goes: the stream this router displaced (the terminal, pytest's
        capture, a CLI test runner's buffer), or the process's stdout once that stream has been closed."""
        if getattr(self.terminal, "closed", False):
            self.terminal = sys.__stdout__
        return self.terminal

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        return (buffer if buffer is not None else self._out()).write(text)  # type: ignore[no-any-return]

    def flush(self) -> None:
        self._out().flush()

    def isatty(self) -> bool:
        return bool(self._out().isatty())


# A fault: given (function logical name, event) return an exception to raise, a delay, or None.
Fault = Callable[[str, dict[str, Any]], BaseException | float | None]


class Runtime:
    """Runs handlers for the embedded stack. One per process (moto's backend is process-global)."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.invocations: Counter[tuple[str, str, int]] = Counter()
        self._env_lock = threading.Lock()
        self._import_lock = threading.Lock()
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="lambda")
        self.logical_names: dict[str, str] = {}  # physical function name -> template logical id
        self.overrides: dict[str, str] = {}  # local settings that win over the template's (log level, ...)
        # What the Lambda service itself puts in every function's environment (region, credentials) and, locally,
        # the stack's endpoint: a handler talks to its own stack whatever the host process has pointed
        # AWS_ENDPOINT_URL at since (a CLI command run in-process against another endpoint).
        self.service_environment: dict[str, str] = {}
        # One invocation at a time per function, as in one Lambda container: handlers keep module-level
        # state (Powertools Logger keys, Metrics, idempotency context) that is per-container on AWS.
        self._function_locks: dict[str, threading.Lock] = {}
        self.logs: list[tuple[str, str]] = []  # (function logical id, what the invocation printed)
        self.log_file: Path | None = None
        # Its terminal is the process's real stdout: the current sys.stdout may be a proxy that writes back into
        # sys.stdout (Rich's Live/Status), which would loop through this router.
        self._stdout = _RoutedStdout(sys.__stdout__)
        self._route_stdout()
        if str(FUNCTIONS_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTIONS_DIR))

    def apply_environment(self, variables: dict[str, str]) -> None:
        """Every function shares the Globals environment, so it is applied to the process once, and again
        whenever anything in the process has changed one of those variables since."""
        with self._env_lock:
            changed = {k: v for k, v in variables.items() if os.environ.get(k) != v}
            if not changed:
                return
            os.environ.update(changed)
            config.reset()
            aws.reset()

    def _route_stdout(self) -> None:
        """(Re)install the router: a display or test runner that swapped stdout may have installed its own."""
        current = sys.stdout
        if current is self._stdout:
            return
        # whoever swapped stdout in (a test runner, a CLI test's buffer) keeps receiving everything that is not a
        # Lambda's output, and nothing writes to it once it is closed
        self._stdout.terminal = current
        sys.stdout = self._stdout

    def reset_counters(self) -> None:
        self.invocations.clear()

    def invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """moto calls this instead of starting a container: (payload JSON, errored, logs). It never raises:
        moto would turn an exception into an HTML 500 page that Step Functions names `Exception`, which no Retry
        covers. A failure of the runtime itself is the Lambda service's failure: `Lambda.ServiceException`
        (retried by the ASL as on AWS); a handler's failure carries the handler's exception class."""
        try:
            return self._invoke(fn, event)
        except Exception as exc:  # the runtime's own failure, never the handler's (caught in _invoke)
            message = f"local Lambda runtime failed: {type(exc).__name__}: {exc}"
            return json.dumps({"errorType": "Lambda.ServiceException", "errorMessage": message}), True, ""

    def _invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        event = event or {}
        self._route_stdout()
        self.apply_environment({**self.service_environment,
                                **{k: str(v) for k, v in (fn.environment_vars or {}).items()}, **self.overrides})
        logical = self.logical_names.get(fn.function_name, fn.function_name)
        key = (logical, str(event.get("agent", "")), int(event.get("phase", 0) or 0))
        self.invocations[key] += 1
        delay = 0.0
        for fault in list(self.faults):
            outcome = fault(logical, event)
            if isinstance(outcome, BaseException):
                return _error(outcome), True, ""
            if isinstance(outcome, (int, float)) and outcome:
                delay += float(outcome)
        context = LambdaContext(
            function_name=fn.function_name,
            memory_limit_in_mb=int(fn.memory_size or 128),
            invoked_function_arn=fn.function_arn,
            aws_request_id=str(uuid.uuid4()),
            timeout_s=float(fn.timeout or 3),
        )
        handler = self._handler(fn.handler)
        lock = self._function_locks.setdefault(logical, threading.Lock())
        started = threading.Event()

        def run() -> Any:
            with lock:
                context.started = time.monotonic()  # the timeout counts from here, not from the queue
                started.set()
                self._stdout.local.buffer = buffer = io.StringIO()
                try:
                    if delay:
                        time.sleep(delay)  # an injected slow dependency, inside the function's timeout
                    return handler(event, context)
                finally:
                    self._stdout.local.buffer = None
                    self._keep_log(logical, buffer.getvalue())

        future = self._pool.submit(run)
        if not started.wait(timeout=MAX_QUEUE_WAIT_S):
            return _error(RuntimeError(f"{logical}: no free container for {MAX_QUEUE_WAIT_S}s")), True, ""
        try:
            result = future.result(timeout=context.timeout_s)
        except concurrent.futures.TimeoutError:
            # Lambda would kill the container; a thread cannot be killed, so the next invocation gets a fresh
            # "container" (lock) instead of waiting behind the abandoned one.
            with self._env_lock:
                if self._function_locks.get(logical) is lock:
                    self._function_locks[logical] = threading.Lock()
            message = f"Task timed out after {context.timeout_s:.2f} seconds"
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}), True, ""
        except Exception as exc:
            return _error(exc), True, traceback.format_exc()
        return json.dumps(result), False, ""

    def _keep_log(self, logical: str, text: str) -> None:
        if not text:
            return
        self.logs.append((logical, text))
        del self.logs[:-2000]
        if self.log_file is not None:
            with self.log_file.open("a") as f:
                f.write(text)

    def _handler(self, spec: str) -> Callable[[dict[str, Any], Any], Any]:
        """The handler, imported once. Checked against the handlers fully imported, never `sys.modules`: a
        module is in sys.modules while its import is still running, so a concurrent first invocation would
        find it half-imported (AttributeError)."""
        handler = self._handlers.get(spec)
        if handler is None:
            with self._import_lock:  # its loggers bind to the router installed by invoke()
                handler = self._handlers.get(spec)
                if handler is None:
                    module_name, _, attr = spec.rpartition(".")
                    handler = getattr(importlib.import_module(module_name), attr)
                    self._handlers[spec] = handler
        return handler


def _error(exc: BaseException) -> str:
    return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})


RUNTIME = Runtime()
