"""A handler module that takes a moment to import (as the real ones do, ~1 s cold): the window in which a
concurrent first invocation used to find it half-imported. Used by test_lambda_runtime.py."""

from tests.workflow import import_gate

import_gate.STARTED.set()
import_gate.RELEASE.wait(timeout=120)  # the test holds the import open while the other invocations arrive


def handler(event: dict, context: object) -> dict:
    return {"ok": True, "n": event.get("n")}
