"""`skymarshal serve`'s console server without a browser: it serves over HTTP and leaves the shared runtime as it
found it (approval requests must not keep linking to a console that has stopped)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.workflow


def test_console_url_is_set_while_serving_and_restored_on_stop(stack: Any, runtime: Any) -> None:
    from skymarshal_local.emulator.console_server import ConsoleServer

    runtime.overrides.pop("CONSOLE_URL", None)
    with ConsoleServer(stack.endpoint_url, stack.stack_name, port=0, approver="dm-x") as server:
        assert runtime.overrides["CONSOLE_URL"] == server.console_url
        with urllib.request.urlopen(f"{server.url}/approvals", timeout=30) as response:
            body = json.loads(response.read())
        assert body["approver"] == "dm-x"
        with urllib.request.urlopen(server.console_url, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/html")
    assert "CONSOLE_URL" not in runtime.overrides


def test_a_previous_console_url_comes_back_on_stop(stack: Any, runtime: Any) -> None:
    from skymarshal_local.emulator.console_server import ConsoleServer

    runtime.overrides["CONSOLE_URL"] = "https://console.example/skymarshal"
    server = ConsoleServer(stack.endpoint_url, stack.stack_name, port=0).start()
    assert runtime.overrides["CONSOLE_URL"] == server.console_url
    server.stop()
    server.stop()  # twice is harmless
    assert runtime.overrides["CONSOLE_URL"] == "https://console.example/skymarshal"
