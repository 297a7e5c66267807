"""A handler module that takes a moment to import (as the real ones do, ~1 s cold): the window in which a
concurrent first invocation used to find it half-imported. Used by test_lambda_runtime.py."""

import threading

IMPORT_STARTED = threading.Event()
RELEASE_IMPORT = threading.Event()
IMPORT_STARTED.set()
RELEASE_IMPORT.wait(timeout=120)  # the test holds the import open until every invocation has arrived


def handler(event: dict, context: object) -> dict:
    return {"ok": True, "n": event.get("n")}
