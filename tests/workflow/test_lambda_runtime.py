"""The local Lambda runtime under concurrent first invocations (issue: a half-imported handler module gave an
AttributeError, which moto turned into an HTML 500 that Step Functions named `Exception`)."""

from __future__ import annotations

import json
import sys
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = pytest.mark.workflow


def fake_function(handler: str) -> Any:
    return SimpleNamespace(function_name="slow-import", handler=handler, environment_vars={}, memory_size=128,
                           function_arn="arn:aws:lambda:us-east-1:123456789012:function:slow-import", timeout=120)


def test_concurrent_first_invocations_all_reach_the_handler(stack):
    from skymarshal_local.emulator.runtime import RUNTIME

    sys.modules.pop("tests.workflow.slow_import_handler", None)
    fn = fake_function("tests.workflow.slow_import_handler.handler")
    results: list[tuple[str, bool, str]] = []
    threads = [threading.Thread(target=lambda n=n: results.append(RUNTIME.invoke(fn, {"n": n}))) for n in range(7)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while "tests.workflow.slow_import_handler" not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.01)
    module = sys.modules["tests.workflow.slow_import_handler"]
    module.IMPORT_STARTED.wait(timeout=120)
    time.sleep(0.2)  # not a margin: lets the other six threads reach the half-imported module before release
    module.RELEASE_IMPORT.set()
    for t in threads:
        t.join(timeout=120)
    assert sorted(json.loads(payload)["n"] for payload, errored, _ in results if not errored) == list(range(7)), results


def test_a_runtime_failure_is_named_as_the_lambda_service_names_it(stack):
    from skymarshal_local.emulator.runtime import RUNTIME

    payload, errored, _ = RUNTIME.invoke(fake_function("tests.workflow.no_such_module.handler"), {})
    assert errored and json.loads(payload)["errorType"] == "Lambda.ServiceException"
    assert "<html" not in payload.lower()
