"""One local Lambda sandbox: a worker process that runs one function's handler, one invocation at a time.

The embedded runtime (emulator.runtime) keeps a small pool of these per function, as Lambda keeps execution
environments (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html): an invocation gets an
idle warm sandbox or a new one, so the seven agents of a phase run side by side, each in its own interpreter
(no shared interpreter lock, no shared module state: Powertools Logger keys, Metrics and the idempotency context
stay per sandbox, as on AWS). A sandbox is forked from a server process that has imported the handlers once
(the zygote, `python -m skymarshal_local.emulator.sandbox SOCKET`), so a new sandbox costs a fork, not an import.
(Written by hand rather than with multiprocessing's forkserver: that one re-imports the parent's __main__ script
in every child, which for a script that starts a stack starts another stack.)

Protocol over a `multiprocessing.connection.Connection` on a Unix socket: a new sandbox connects to the
runtime's socket and sends its pid; then the runtime sends an `Invocation`, the sandbox answers a `Reply`. What
the handler prints (Powertools JSON logs, EMF metrics) is captured per invocation and sent back, as Lambda sends
it to CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import os
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HANDLER_PACKAGE = "skymarshal.handlers"


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


@dataclass
class Invocation:
    handler: str  # "module.attr", the function's Handler
    environment: dict[str, str]  # the function's whole environment (service + template + local overrides)
    event: Any
    context: dict[str, Any]  # LambdaContext fields; `started` is set in the sandbox
    delay_s: float = 0.0  # an injected slow dependency, inside the function's timeout


@dataclass
class Reply:
    payload: str  # JSON: the handler's result, or {"errorType", "errorMessage", "stackTrace"}
    errored: bool
    logs: str
    stopped: bool = False  # the sandbox ends after this reply (a timeout: Lambda stops the environment)
    cpu_s: float = 0.0  # CPU time (user + system) the sandbox spent on the invocation, for the benchmarks


class _Timedout(BaseException):
    """Raised in the handler's frame when the function's timeout fires (a BaseException: handlers that catch
    Exception do not swallow it)."""


def _time_out(signum: int, frame: Any) -> None:
    raise _Timedout


class _LogStream(io.TextIOBase):
    """sys.stdout and sys.stderr of a sandbox: the current invocation's log buffer. Installed before the handlers
    are imported, so the log handlers they create at import (Powertools Logger) write here too."""

    def __init__(self) -> None:
        self.current = io.StringIO()

    def write(self, text: str) -> int:
        return self.current.write(text)

    def isatty(self) -> bool:
        return False


LOG = _LogStream()


class _Environment:
    """The sandbox's os.environ is exactly the function's environment of the current invocation: a variable set
    for an earlier invocation and absent now (a local override removed) is put back as the process started."""

    def __init__(self) -> None:
        self.base = dict(os.environ)
        self.applied: dict[str, str] = {}

    def apply(self, environment: dict[str, str]) -> None:
        if environment == self.applied:
            return
        from skymarshal_local.localenv import put_back_environ  # after the handlers' imports (see _LogStream)

        put_back_environ({key: self.base.get(key) for key in set(self.applied) - set(environment)})
        os.environ.update(environment)
        self.applied = dict(environment)
        from skymarshal import aws, config  # the handlers' own caches of the environment

        config.reset()
        aws.reset()


def preload() -> list[str]:
    """The handler modules the zygote imports once, before any sandbox is forked from it."""
    import skymarshal.handlers

    return [f"{HANDLER_PACKAGE}.{p.stem}" for p in sorted(Path(skymarshal.handlers.__file__).parent.glob("*.py"))
            if p.stem != "__init__"]


def _error(error_type: str, message: str, trace: str = "") -> str:
    return json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": trace.splitlines()})


def run(invocation: Invocation, environment: _Environment) -> Reply:
    """One invocation: the handler's result, or its error as Lambda reports it, with the CPU time it took."""
    started = time.process_time()
    reply = _run(invocation, environment)
    reply.cpu_s = time.process_time() - started
    return reply


def _run(invocation: Invocation, environment: _Environment) -> Reply:
    LOG.current = io.StringIO()
    environment.apply(invocation.environment)
    context = LambdaContext(**invocation.context)
    module_name, _, attr = invocation.handler.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # Lambda's name for a handler that cannot be loaded
        message = f"Unable to import module '{module_name}': {exc}"
        print(f"[ERROR] Runtime.ImportModuleError: {message}", file=LOG)
        return Reply(_error("Runtime.ImportModuleError", message), True, LOG.current.getvalue())
    # the function's timeout, counted from here as Lambda counts it; the runtime's own deadline (slightly later)
    # only stops a sandbox that does not answer at all
    signal.setitimer(signal.ITIMER_REAL, max(context.timeout_s, 0.001))
    try:
        if invocation.delay_s:
            time.sleep(invocation.delay_s)
        result = handler(invocation.event, context)
    except _Timedout:
        message = f"Task timed out after {context.timeout_s:.2f} seconds"
        print(f"Status: timeout {message}", file=LOG)
        return Reply(_error("Sandbox.Timedout", message), True, LOG.current.getvalue(), stopped=True)
    except Exception as exc:  # the handler's exception class is the error name Step Functions matches
        trace = traceback.format_exc()
        print(trace, file=LOG)
        return Reply(_error(type(exc).__name__, str(exc), trace), True, LOG.current.getvalue())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        payload = json.dumps(result)
    except (TypeError, ValueError) as exc:
        return Reply(_error("Runtime.MarshalError", f"Unable to marshal response: {exc}"), True,
                     LOG.current.getvalue())
    return Reply(payload, False, LOG.current.getvalue())


def connect(address: str) -> Connection:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(address)
    return Connection(sock.detach())


def serve(connection: Connection) -> None:
    """The sandbox's loop: one invocation at a time until the runtime closes the connection or kills it."""
    environment = _Environment()
    signal.signal(signal.SIGALRM, _time_out)
    connection.send(os.getpid())
    while True:
        try:
            invocation = connection.recv()
        except (EOFError, OSError):
            return
        reply = run(invocation, environment)
        connection.send(reply)
        if reply.stopped:
            return


def before_snapshot() -> None:
    """SnapStart's before-snapshot hooks (snapshot_restore_py), in the reverse order of their registration, as
    Lambda runs them (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html). One that
    fails raises: on AWS it fails the version's snapshot."""
    from snapshot_restore_py import get_before_snapshot

    for hook, args, kwargs in reversed(get_before_snapshot()):
        hook(*args, **kwargs)


def after_restore() -> None:
    """SnapStart's after-restore hooks, in the order of their registration (same page)."""
    from snapshot_restore_py import get_after_restore

    for hook, args, kwargs in get_after_restore():
        hook(*args, **kwargs)


def zygote(address: str) -> None:
    """Import the handlers once, then fork one sandbox per line read from stdin; exit when stdin closes (the
    runtime's process ended). The zygote is the initialised process a SnapStart snapshot is taken of, so it runs
    the before-snapshot hooks after the imports; each forked sandbox is a restore and runs the after-restore hooks
    before its first invocation. One zygote imports every handler, so locally the functions without SnapStart
    start primed too."""
    sys.stdout = sys.stderr = LOG  # both go to the function's log stream, as Lambda sends them to CloudWatch
    for module in preload():
        # a handler that cannot be imported fails its own invocations (Runtime.ImportModuleError), not the zygote
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    before_snapshot()
    gc.freeze()  # what the hooks built lives as long as the sandboxes (see skymarshal.handlers)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sandboxes are reaped by the kernel
    for _line in sys.stdin:
        if os.fork() == 0:
            try:
                sys.stdin.close()
                after_restore()
                serve(connect(address))
            finally:
                os._exit(0)


if __name__ == "__main__":
    # by its import name, not as __main__: what the sandboxes pickle (Reply) must unpickle in the runtime
    from skymarshal_local.emulator import sandbox

    sandbox.zygote(sys.argv[1])
