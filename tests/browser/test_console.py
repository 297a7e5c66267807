"""The duty-manager console in headless Chromium, on the embedded stack: approve and reject end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skymarshal.models import DisruptionEvent
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
APPROVER = "dm-browser-test"
SHOTS = Path("/tmp")

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
if not CHROMIUM.exists() and not shutil.which("chromium"):
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def console(stack: Any) -> Any:
    from skymarshal_local.emulator.console_server import ConsoleServer

    server = ConsoleServer(stack.endpoint_url, stack.stack_name, port=0, approver=APPROVER).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Any:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _pending_thread(target: Any, seed: Any, scenario: str) -> tuple[DisruptionEvent, str]:
    seed(scenario)
    event = DisruptionEvent.model_validate(load_event(scenario))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    return event, arn


def test_duty_manager_approves_in_the_console_and_the_run_records_them(target, seed, console, browser):
    event, arn = _pending_thread(target, seed, "ey123-technical-delay")
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(console.url + "/")
    link = page.locator(f'#pending-list a[data-thread="{event.thread_id}"]')
    link.wait_for()
    assert "waiting" in link.inner_text()
    page.screenshot(path=str(SHOTS / "skymarshal-console-pending.png"), full_page=False)
    link.focus()
    page.keyboard.press("Enter")  # keyboard: a real link
    page.locator("#approve").wait_for()
    assert "Recommended" in page.locator(".card.recommended").inner_text()
    assert page.locator("table.binding tbody tr").count() >= 1
    page.screenshot(path=str(SHOTS / "skymarshal-console-thread.png"), full_page=True)
    page.fill("#comment", "swap approved from the console")
    page.click("#approve")
    page.locator("#workflow-outcome").wait_for(timeout=60_000)
    assert page.locator("#workflow-outcome").inner_text() == "approved"
    page.screenshot(path=str(SHOTS / "skymarshal-console-approved.png"), full_page=False)
    page.close()

    desc = target.wait(arn, TERMINAL)
    assert desc["status"] == "SUCCEEDED"
    result = json.loads(desc["output"])
    assert result["outcome"] == "approved"
    assert result["approval"]["approver_id"] == APPROVER
    assert result["approval"]["comments"] == "swap approved from the console"


def test_duty_manager_rejects_with_a_comment_on_a_tablet(target, seed, console, browser):
    event, arn = _pending_thread(target, seed, "ey456-crew-sickness")
    page = browser.new_page(viewport={"width": 820, "height": 1180})  # tablet, portrait
    page.goto(f"{console.url}/console/threads/{event.thread_id}")
    page.locator("#reject").wait_for()
    page.click("#reject")  # no comment: refused in the page, nothing sent
    assert "comment is required" in page.locator("#form-error").inner_text()
    page.fill("#comment", "reserve captain is needed on EY457")
    page.click("#reject")
    page.locator("#workflow-outcome").wait_for(timeout=60_000)
    assert page.locator("#workflow-outcome").inner_text() == "rejected"
    page.screenshot(path=str(SHOTS / "skymarshal-console-rejected-tablet.png"), full_page=False)
    page.close()

    desc = target.wait(arn, TERMINAL)
    result = json.loads(desc["output"])
    assert desc["status"] == "SUCCEEDED" and result["outcome"] == "rejected"
    assert result["approval"]["approver_id"] == APPROVER
    assert result["approval"]["comments"] == "reserve captain is needed on EY457"
