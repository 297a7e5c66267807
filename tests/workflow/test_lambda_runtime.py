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
    """While one invocation imports the handler module, the others wait for it rather than finding the module
    half-imported in sys.modules (an AttributeError that moto turned into an HTML 500)."""
    from skymarshal_local.emulator.runtime import RUNTIME
    from tests.workflow import import_gate

    spec = "tests.workflow.slow_import_handler.handler"
    sys.modules.pop("tests.workflow.slow_import_handler", None)
    getattr(RUNTIME, "_handlers", {}).pop(spec, None)
    import_gate.STARTED.clear()
    import_gate.RELEASE.clear()
    found: list[Any] = []

    def first_call() -> None:
        try:
            found.append(RUNTIME._handler(spec))
        except Exception as exc:  # what a half-imported module gave
            found.append(exc)

    importer = threading.Thread(target=first_call)
    importer.start()
    assert import_gate.STARTED.wait(timeout=120)  # the module is in sys.modules, its body still running
    others = [threading.Thread(target=first_call) for _ in range(6)]
    for t in others:
        t.start()
    time.sleep(0.2)  # lets the six reach the import (the fixed runtime passes whatever this wait is)
    import_gate.RELEASE.set()
    for t in [importer, *others]:
        t.join(timeout=120)
    assert len(found) == 7 and all(callable(f) for f in found), found
    payload, errored, _ = RUNTIME.invoke(fake_function(spec), {"n": 7})
    assert not errored and json.loads(payload)["n"] == 7


def test_a_runtime_failure_is_named_as_the_lambda_service_names_it(stack):
    from skymarshal_local.emulator.runtime import RUNTIME

    payload, errored, _ = RUNTIME.invoke(fake_function("tests.workflow.no_such_module.handler"), {})
    assert errored and json.loads(payload)["errorType"] == "Lambda.ServiceException"
    assert "<html" not in payload.lower()
