"""`skymarshal serve` as an operator runs it: a real day loaded before it says ready, a failure that ends the
process, and state that survives a kill (SIGKILL, not a clean stop). Each test runs serve in its own process
(moto is process-global) with its own state directory; every wait is on an event with a generous deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skymarshal import aws
from skymarshal_local.emulator.stack import free_port
from skymarshal_local.localenv import put_back_environ
from skymarshal_local.target import Target, TargetError
from tests.conftest import TERMINAL
from tests.workflow.test_storm import storm_events

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 900  # seconds: a generous bound for a busy 2-core machine, never a speed target
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "local")]),
       "COLUMNS": "200"}


def wait_for(check: Callable[[], Any], what: str, deadline: float = DEADLINE, every: float = 0.5) -> Any:
    until = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > until:
            raise AssertionError(f"still waiting for {what} after {deadline:.0f}s")
        time.sleep(every)


class Serve:
    """One `skymarshal serve` process, its output in files (a full pipe must never block it)."""

    def __init__(self, tmp: Path, state_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tmp.mkdir(parents=True, exist_ok=True)
        self.out, self.err = tmp / f"serve-{self.port}.out", tmp / f"serve-{self.port}.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skymarshal_local.cli", "serve", "--port", str(self.port), "--console-port", "0",
             "--state-dir", str(state_dir), *args],
            stdout=self.out.open("w"), stderr=self.err.open("w"), stdin=subprocess.DEVNULL, env=ENV,
        )

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def wait_ready(self) -> Target:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.output()}")
            return "ready" in self.out.read_text()

        wait_for(ready, "serve to say ready")
        return Target(endpoint_url=self.url).activate()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)


@pytest.fixture
def serves(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(state_dir: Path, *args: str) -> Serve:
        serve = Serve(tmp_path / "logs", state_dir, *args)
        started.append(serve)
        return serve

    # Target.activate() points this process's AWS clients at each serve: point them back afterwards, so the
    # tests that run next in this process talk to their own stack, not to a stopped serve's port
    saved = {key: os.environ.get(key) for key in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")}
    yield start
    for serve in started:
        serve.stop()
    put_back_environ(saved)
    aws.reset()


def reaches_decision(target: Target, thread_id: str) -> str | None:
    """The execution's status once it awaits the duty manager or has ended; None while it runs or before it
    exists (the intake starts it)."""
    try:
        return str(target.wait(target.execution_arn(thread_id), TERMINAL | {"AWAITING_APPROVAL"},
                               timeout=0)["status"])
    except TargetError:
        return None
    except target.client("stepfunctions").exceptions.ExecutionDoesNotExist:
        return None


def test_serve_loads_a_real_day_before_it_says_ready_and_a_storm_of_15_events_all_reach_a_decision(
        tmp_path, serves):
    from skymarshal_local.datagen import generate_day, write_dataset

    day = generate_day(scale=0.3)
    path = write_dataset(day, tmp_path / "day.json")
    serve = serves(tmp_path / "state", "--ops-data", str(path), "--no-scenarios")
    target = serve.wait_ready()
    assert str(path) in serve.output()

    events = storm_events(day, "day03", 15)
    files = []
    for event in events:
        files.append(tmp_path / f"{event['event_id']}.json")
        files[-1].write_text(json.dumps(event))
    submitted = subprocess.run(
        [sys.executable, "-m", "skymarshal_local.cli", "submit", *map(str, files), "--endpoint-url", serve.url],
        capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=DEADLINE)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr

    statuses = {e["event_id"]: wait_for(lambda e=e: reaches_decision(target, e["event_id"]),
                                        f"{e['event_id']} to reach a decision") for e in events}
    assert set(statuses.values()) <= {"AWAITING_APPROVAL", "SUCCEEDED"}, statuses
    assert "Traceback" not in serve.output()


def test_a_loading_failure_ends_serve_with_one_line_and_a_non_zero_exit(tmp_path, serves):
    state = tmp_path / "state"
    (state / "dynamodb").mkdir(parents=True)
    (state / "manifest.json").write_text(json.dumps({"format": 1, "captured_at": 0}))
    # a damaged snapshot of the ops-data table: restoring it fails while serve loads
    (state / "dynamodb" / "skymarshal-local-OpsDataTable-E1356882D6FC.pickle").write_bytes(b"not a pickle")
    serve = serves(state)

    code = serve.proc.wait(timeout=DEADLINE)

    assert code != 0
    errors = serve.err.read_text().strip().splitlines()
    assert errors and errors[0].startswith("error: serve stopped:"), serve.output()
    assert "Traceback" not in serve.output() and "ready" not in serve.out.read_text()


def test_serve_killed_while_a_decision_awaits_approval_loses_nothing_and_the_workflow_goes_on(tmp_path, serves):
    state = tmp_path / "state"
    event = json.loads((ROOT / "events" / "ey123-technical-delay.json").read_text())
    first = serves(state)
    target = first.wait_ready()
    arn = target.start(target_event(event))
    wait_for(lambda: reaches_decision(target, event["event_id"]) == "AWAITING_APPROVAL", "the approval request")
    before = target.store.history(event["event_id"])
    pending = target.store.get_approval(event["event_id"])
    asked = time.time()
    wait_for(lambda: json.loads((state / "manifest.json").read_text())["captured_at"] > asked,
             "the state directory to hold the pending approval")

    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=60)
    second = serves(state)
    target = second.wait_ready()

    # nothing lost: the thread, every checkpoint, the approval (asked again on the same thread and execution)
    thread = target.store.get_thread(event["event_id"])
    assert thread is not None and thread["execution_arn"] == arn
    after = target.store.history(event["event_id"])
    assert [c["checkpoint_id"] for c in before] == [c["checkpoint_id"] for c in after][:len(before)]
    wait_for(lambda: reaches_decision(target, event["event_id"]) == "AWAITING_APPROVAL",
             "the restarted stack to wait for the approval again")
    approval = target.store.get_approval(event["event_id"])
    assert approval["approval_status"] == "pending" and approval["execution_arn"] == pending["execution_arn"]
    history = target.history(arn)
    stopped = [e for e in history if e["type"] == "ExecutionFailed"]
    assert stopped and stopped[0]["executionFailedEventDetails"]["error"] == "LocalStackStopped"
    assert "interrupted by the last stop" in second.output()

    # the workflow goes on: the duty manager approves, the decision is final
    target.decide(event["event_id"], True, "dm-restart", "approved after the restart")
    desc = target.wait(arn, TERMINAL, timeout=DEADLINE)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"])["outcome"] == "approved"


def target_event(event: dict[str, Any]) -> Any:
    from skymarshal.steps import parse_event

    return parse_event(event)
