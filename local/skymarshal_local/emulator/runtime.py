"""The embedded Lambda runtime: moto's Lambda Invoke runs the real handler, in a warm local sandbox.

moto's `LambdaFunction._invoke_lambda` would start a Docker container; here an invocation runs in a sandbox
process of that function (emulator.sandbox), as Lambda runs it in an execution environment of its own
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html): invocations of one function run side by
side, each sandbox runs one invocation at a time and keeps its warm state (imported modules, clients) for the
next. Each gets the function's own environment (the template's variables, the service's region and
credentials, the stack's endpoint), timeout and memory setting.

Every failure carries the name AWS gives it, so the state machine's Retry and Catch act as on AWS:
- the handler raised: a function error whose errorType is the exception's class name;
- the handler's module cannot be imported: `Runtime.ImportModuleError`; a result that is not JSON:
  `Runtime.MarshalError`;
- past the function's Timeout: the sandbox is stopped and the invocation fails with `Sandbox.Timedout`;
- the sandbox died without answering: `Lambda.Unknown`; no sandbox free within `MAX_QUEUE_WAIT_S`:
  `Lambda.TooManyRequestsException`; anything else going wrong in the runtime itself:
  `Lambda.ServiceException` (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
Nothing in this seam lets a Python exception reach moto's server, whose answer would be an HTML page that Step
Functions could only call `Exception`, which no Retry covers.

Written by hand because no library runs Python Lambda handlers behind moto's Lambda API.
Tests inject faults and count invocations through `Runtime.faults` / `Runtime.invocations`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from skymarshal import aws, config
from skymarshal_local.emulator import iam, sandbox
from skymarshal_local.localenv import FUNCTIONS_DIR

MAX_QUEUE_WAIT_S = 900.0  # Lambda's longest timeout: an invocation waits at most this long for a free sandbox
# Sandboxes per function: this machine's concurrency for one function (AWS's is the account's, 1,000 by
# default). The seven agents of a phase run side by side; more concurrent invocations queue for a free one.
SANDBOXES_PER_FUNCTION = int(os.environ.get("SKYMARSHAL_LOCAL_SANDBOXES", "8"))
SANDBOX_START_S = 300.0  # the zygote's first start imports every handler: generous on a busy 2-core machine
IPC_GRACE_S = 1.0  # the pipe round trip on a busy machine, on top of the function's timeout


class ServiceError(Exception):
    """An error of the Lambda service itself (not the function's): the state machine sees `Lambda.<code>`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# A fault: given (function logical name, event) return an exception for the handler to raise (a ServiceError:
# the Lambda service fails the invocation), a delay in seconds, or None.
Fault = Callable[[str, dict[str, Any]], BaseException | float | None]


class _Zygote:
    """The process that has imported the handlers once and forks a sandbox on request (emulator.sandbox)."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.directory = tempfile.mkdtemp(prefix="skymarshal-sandboxes-")  # private (0700): only we connect
        self.address = os.path.join(self.directory, "runtime.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.address)
        self.listener.listen(64)
        self.listener.settimeout(SANDBOX_START_S)
        self.lock = threading.Lock()
        pythonpath = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skymarshal_local.emulator.sandbox", self.address],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, **environment, "PYTHONPATH": pythonpath},
        )

    def fork(self) -> _Sandbox:
        with self.lock:  # one request, one connection: the next accept is this request's sandbox
            if self.process.poll() is not None:
                raise RuntimeError(f"the sandbox zygote exited with code {self.process.returncode}")
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            try:
                sock, _ = self.listener.accept()
            except TimeoutError as exc:
                raise RuntimeError(f"no new sandbox connected within {SANDBOX_START_S:.0f}s") from exc
        sock.setblocking(True)
        connection = Connection(sock.detach())
        if not connection.poll(SANDBOX_START_S):
            connection.close()
            raise RuntimeError(f"a new sandbox did not say hello within {SANDBOX_START_S:.0f}s")
        return _Sandbox(connection, int(connection.recv()))

    def close(self) -> None:
        self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.listener.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class _Sandbox:
    """The runtime's handle on one sandbox process."""

    def __init__(self, connection: Connection, pid: int) -> None:
        self.connection, self.pid = connection, pid

    def call(self, invocation: sandbox.Invocation, timeout_s: float) -> sandbox.Reply | None:
        """The reply, or None when the sandbox did not answer within the timeout."""
        self.connection.send(invocation)
        if not self.connection.poll(timeout_s):
            return None
        reply: sandbox.Reply = self.connection.recv()
        return reply

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()


class _Pool:
    """A function's sandboxes: an idle warm one if there is one, else a new one, up to `size`."""

    def __init__(self, size: int, new: Callable[[], _Sandbox]) -> None:
        self.size, self.new = size, new
        self.idle: list[_Sandbox] = []
        self.busy = 0
        self.changed = threading.Condition()

    def acquire(self, wait_s: float) -> _Sandbox | None:
        deadline = time.monotonic() + wait_s
        with self.changed:
            while not self.idle and self.busy >= self.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)
            self.busy += 1
            if self.idle:
                return self.idle.pop()  # the most recently used: the warmest
        try:
            return self.new()
        except BaseException:
            self.release(None)
            raise

    def release(self, box: _Sandbox | None) -> None:
        """Give a sandbox back (None: it was stopped or never started)."""
        with self.changed:
            self.busy -= 1
            if box is not None:
                self.idle.append(box)
            self.changed.notify()

    def close(self) -> None:
        with self.changed:
            boxes, self.idle = self.idle, []
        for box in boxes:
            box.kill()


class Runtime:
    """Runs handlers for the embedded stack. One per process (moto's backend is process-global)."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.invocations: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()
        self.logical_names: dict[str, str] = {}  # physical function name -> template logical id
        self.overrides: dict[str, str] = {}  # local settings that win over the template's (log level, ...)
        # What the Lambda service itself puts in every function's environment (region, credentials) and, locally,
        # the stack's endpoint: a handler talks to its own stack whatever the host process has pointed
        # AWS_ENDPOINT_URL at since (a CLI command run in-process against another endpoint).
        self.service_environment: dict[str, str] = {}
        self.sandboxes_per_function = SANDBOXES_PER_FUNCTION
        self._pools: dict[str, _Pool] = {}
        self._zygote: _Zygote | None = None
        self.logs: list[tuple[str, str]] = []  # (function logical id, what the invocation printed)
        # CPU seconds the sandboxes spent per function (logical id), summed over invocations: the benchmarks'
        # account of where a decision's processor time goes
        self.cpu_seconds: Counter[str] = Counter()
        self.log_file: Path | None = None
        if str(FUNCTIONS_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTIONS_DIR))

    def apply_environment(self, variables: dict[str, str]) -> None:
        """The Globals environment is applied to this process too: the operator side reads the same Settings
        (table and bucket names) as the functions."""
        with self._lock:
            changed = {k: v for k, v in variables.items() if os.environ.get(k) != v}
            if not changed:
                return
            os.environ.update(changed)
            config.reset()
            aws.reset()

    def reset_counters(self) -> None:
        self.invocations.clear()

    def invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """moto calls this instead of starting a container: (payload JSON, errored, logs). It never raises (see
        the module's docstring): a failure of the runtime itself is the Lambda service's failure."""
        try:
            return self._invoke(fn, event)
        except ServiceError as exc:
            return _error(f"Lambda.{exc.code}", str(exc)), True, ""
        except Exception as exc:  # the runtime's own failure, never the handler's (that one is the sandbox's)
            message = f"local Lambda runtime failed: {type(exc).__name__}: {exc}"
            return _error("Lambda.ServiceException", message), True, ""

    def _invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        event = event or {}
        variables = {**{k: str(v) for k, v in (fn.environment_vars or {}).items()}, **self.overrides}
        self.apply_environment(variables)
        logical = self.logical_names.get(fn.function_name, fn.function_name)
        fields = event if isinstance(event, dict) else {}
        key = (logical, str(fields.get("agent", "")), int(fields.get("phase", 0) or 0))
        self.invocations[key] += 1
        delay = 0.0
        for fault in list(self.faults):
            outcome = fault(logical, fields)
            if isinstance(outcome, ServiceError):
                raise outcome
            if isinstance(outcome, BaseException):
                return _error(type(outcome).__name__, str(outcome)), True, ""
            if isinstance(outcome, (int, float)) and outcome:
                delay += float(outcome)
        timeout_s = float(fn.timeout or 3)
        invocation = sandbox.Invocation(
            # the role's credentials, as Lambda puts them in the environment: the key names the function, whose
            # calls the endpoint authorises against its role (skymarshal_local.emulator.iam)
            handler=fn.handler, environment={**self.service_environment, **variables,
                                             "AWS_ACCESS_KEY_ID": iam.access_key(logical)}, event=event, delay_s=delay,
            context={"function_name": fn.function_name, "memory_limit_in_mb": int(fn.memory_size or 128),
                     "invoked_function_arn": fn.function_arn, "aws_request_id": str(uuid.uuid4()),
                     "timeout_s": timeout_s},
        )
        pool = self._pool(logical)
        box = pool.acquire(MAX_QUEUE_WAIT_S)
        if box is None:
            raise ServiceError("TooManyRequestsException",
                               f"Rate Exceeded: no free {logical} sandbox for {MAX_QUEUE_WAIT_S:.0f}s")
        try:
            reply = box.call(invocation, timeout_s + IPC_GRACE_S)
        except (EOFError, OSError):
            self._discard(pool, box)
            return _error("Lambda.Unknown", f"{logical}: the sandbox exited without a reply"), True, ""
        except BaseException:
            self._discard(pool, box)
            raise
        if reply is None:  # no answer at all, even to the sandbox's own timeout: stop it
            self._discard(pool, box)
            return _error("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds"), True, ""
        with self._lock:
            self.cpu_seconds[logical] += reply.cpu_s
        if reply.stopped:  # Lambda stops the execution environment at the timeout: the next call starts cold
            self._discard(pool, box)
            self._keep_log(logical, reply.logs)
            return reply.payload, True, reply.logs
        pool.release(box)
        self._keep_log(logical, reply.logs)
        return reply.payload, reply.errored, reply.logs if reply.errored else ""

    @staticmethod
    def _discard(pool: _Pool, box: _Sandbox) -> None:
        box.kill()
        pool.release(None)

    def _pool(self, logical: str) -> _Pool:
        with self._lock:
            if self._zygote is None:
                # started on the first invocation: the stack's environment (endpoint, Globals) is known by then
                self._zygote = _Zygote(self.service_environment)
                atexit.register(self.close)
            if logical not in self._pools:
                self._pools[logical] = _Pool(self.sandboxes_per_function, self._zygote.fork)
            return self._pools[logical]

    def busy(self, logical: str) -> int:
        """How many of the function's sandboxes are running an invocation now."""
        pool = self._pools.get(logical)
        return pool.busy if pool is not None else 0

    def running(self) -> int:
        """How many invocations are running now, over all functions."""
        return sum(self.busy(logical) for logical in list(self._pools))

    def close(self) -> None:
        """Stop the idle sandboxes and the zygote (a busy sandbox ends when its connection closes): the next
        invocation starts cold."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
            zygote, self._zygote = self._zygote, None
        for pool in pools:
            pool.close()
        if zygote is not None:
            zygote.close()

    def _keep_log(self, logical: str, text: str) -> None:
        if not text:
            return
        self.logs.append((logical, text))
        del self.logs[:-2000]
        if self.log_file is not None:
            with self.log_file.open("a") as f:
                f.write(text)


def _error(error_type: str, message: str) -> str:
    return json.dumps({"errorType": error_type, "errorMessage": message})


RUNTIME = Runtime()
