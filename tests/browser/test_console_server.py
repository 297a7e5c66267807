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


def test_the_console_reaches_its_own_stack_after_the_process_pointed_elsewhere(stack: Any, runtime: Any,
                                                                               monkeypatch: Any) -> None:
    """A CLI command run in the same process against another endpoint (a `serve` that has since stopped) repoints
    AWS_ENDPOINT_URL. The stack's functions still talk to their own stack, as a Lambda function's environment is
    its own: before the fix the approval API answered 502 (connection refused on the other, dead port)."""
    from skymarshal_local.emulator.console_server import ConsoleServer
    from skymarshal_local.emulator.stack import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with ConsoleServer(stack.endpoint_url, stack.stack_name, port=0, approver="dm-y") as server, \
            urllib.request.urlopen(f"{server.url}/approvals", timeout=30) as response:
        assert response.status == 200
        assert json.loads(response.read())["approver"] == "dm-y"

