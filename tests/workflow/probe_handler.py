"""A handler for tests/workflow/test_lambda_runtime.py: it tells which sandbox ran it and what it saw.

`{"gather": DIR, "expect": N}`: leave a mark in DIR, then wait (at most a minute) until N invocations have left
theirs; answers whether they all arrived while this one was still running. `{"sleep": S}`: sleep S seconds.
`{"exit": true}`: the sandbox process dies mid-invocation. Always answers its pid and PROBE_VAR.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

STARTED = time.time()  # module state: kept for the sandbox's life (warm), per sandbox


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("exit"):
        os._exit(3)
    if event.get("sleep"):
        time.sleep(float(event["sleep"]))
    together = None
    if event.get("gather"):
        directory = Path(event["gather"])
        (directory / uuid.uuid4().hex).touch()
        deadline = time.monotonic() + 60
        while len(list(directory.iterdir())) < int(event["expect"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        together = len(list(directory.iterdir())) >= int(event["expect"])
    return {"pid": os.getpid(), "probe_var": os.environ.get("PROBE_VAR"), "together": together,
            "module_loaded_at": STARTED, "remaining_ms": context.get_remaining_time_in_millis()}
