"""The operator CLI: refuses bad input before anything starts; runs end to end with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skymarshal.models import ALL_AGENTS
from skymarshal_local.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_malformed_event_is_refused_before_any_execution_naming_the_field(tmp_path):
    event = json.loads((ROOT / "events" / "ey123-technical-delay.json").read_text())
    event["flight_number"] = "EY 123"
    del event["reported_at"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(event))

    result = runner.invoke(app, ["run", str(path), "--approve"])

    assert result.exit_code == 2
    assert "flight_number" in result.output and "reported_at" in result.output
    assert "Starting the embedded stack" not in result.output


def test_delay_event_without_delay_minutes_is_refused(tmp_path):
    event = json.loads((ROOT / "events" / "ey321-weather-delay.json").read_text())
    del event["delay_minutes"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(event))

    result = runner.invoke(app, ["start", str(path), "--endpoint-url", "http://127.0.0.1:9"])

    assert result.exit_code == 2
    assert "delay_minutes is required" in result.output


def test_reject_needs_a_comment():
    result = runner.invoke(app, ["reject", "T1", "--approver", "dm", "--comment", " "])
    assert result.exit_code == 2
    assert "--comment is required" in result.output


def test_schema_ops_data_prints_the_import_document_schema():
    result = runner.invoke(app, ["schema", "ops-data"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"airports", "aircraft", "flights", "crew", "bookings", "cargo"} <= set(schema["properties"])


def run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """`run` in its own process: its own state directory, and no `skymarshal serve` to find (port 9 is refused)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "local")]),
            "SKYMARSHAL_STATE_DIR": str(tmp_path / "state"), "SKYMARSHAL_ENDPOINT_URL": "http://127.0.0.1:9", **extra}


@pytest.mark.workflow
def test_run_keeps_the_thread_in_its_state_directory_for_the_next_process(tmp_path):
    from skymarshal_local.emulator.statedir import StateDir

    result = subprocess.run(
        [sys.executable, "-m", "skymarshal_local.cli", "run", str(ROOT / "events" / "ey456-crew-sickness.json"),
         "--approve", "--approver", "dm-42", "--json"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=run_env(tmp_path))
    assert result.returncode == 0, result.stderr
    thread_id = json.loads(result.stdout)["thread_id"]

    state = StateDir(tmp_path / "state")
    records = state._read("stepfunctions.pickle", [])
    assert [r["status"] for r in records if r["name"] == thread_id] == ["SUCCEEDED"]
    tables = {p.stem: p.read_bytes() for p in (tmp_path / "state" / "dynamodb").glob("*CheckpointTable*")}
    assert tables and all(thread_id.encode() in data for data in tables.values())


@pytest.mark.workflow
def test_run_json_prints_one_decision_document(tmp_path):
    # its own process: the embedded stack (moto) is process-global
    result = subprocess.run(
        [sys.executable, "-m", "skymarshal_local.cli", "run", str(ROOT / "events" / "ey456-crew-sickness.json"),
         "--approve", "--approver", "dm-42", "--comment", "ok", "--json"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=run_env(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "approved"
    assert doc["approval"]["approver_id"] == "dm-42"
    assert doc["decision"]["recommended"]["kind"] == "crew_change"
    assert doc["thread_id"] and doc["execution_arn"].startswith("arn:aws:states:")


@pytest.mark.workflow
@pytest.mark.parametrize("injection, invoked", [
    ("crew_compliance", {"crew_compliance:1": 1} | {f"{a}:2": 1 for a in ALL_AGENTS}),
    ("regulatory:2", {"regulatory:2": 1}),
])
def test_run_with_an_injected_safety_failure_redrives_only_that_agent(tmp_path, injection, invoked):
    """The README's recovery story: the failed agent alone is computed again (and, after a phase-1 failure,
    phase 2 runs for the first time), and the decision is the decision of a run without the failure."""
    cli = [sys.executable, "-m", "skymarshal_local.cli", "run", str(ROOT / "events" / "ey123-technical-delay.json"),
           "--approve", "--approver", "dm-42", "--json"]
    plain = subprocess.run(cli, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
                           env=run_env(tmp_path / "plain"))
    failed = subprocess.run([*cli, "--inject-failure", injection], capture_output=True, text=True, timeout=900,
                            stdin=subprocess.DEVNULL, env=run_env(tmp_path / "failed"))
    assert plain.returncode == 0 and failed.returncode == 0, failed.stderr
    baseline, result = json.loads(plain.stdout), json.loads(failed.stdout)
    agent, _, phase = injection.partition(":")
    assert result["redrive"]["failed"] == {"agent": agent, "phase": int(phase or 1), "error": "RuntimeError"}
    assert result["redrive"]["computed_twice"] == []
    assert result["redrive"]["invoked_in_redrive"] == invoked
    assert result["outcome"] == "approved"
    for key in ("recommended", "alternatives", "binding_constraints", "confidence"):
        assert result["decision"][key] == baseline["decision"][key]


@pytest.mark.workflow
def test_run_with_an_injected_safety_failure_tells_the_recovery_story(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skymarshal_local.cli", "run", str(ROOT / "events" / "ey123-technical-delay.json"),
         "--inject-failure", "crew_compliance", "--approve", "--approver", "dm-42"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, env=run_env(tmp_path, COLUMNS="200"),
    )

    assert result.returncode == 0, result.stderr
    assert "FAILED RuntimeError: " in result.stdout and "injected outage of crew_compliance" in result.stdout
    assert "no agent computed twice" in result.stdout
    assert "outcome: approved" in result.stdout


@pytest.mark.workflow
def test_stop_ends_a_pending_decision_at_once_with_the_reason_in_its_history(stack, target, seed):
    from skymarshal.models import DisruptionEvent
    from tests.conftest import TERMINAL, load_event

    seed("ey123-technical-delay")
    event = DisruptionEvent.model_validate(load_event("ey123-technical-delay"))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    endpoint = ["--endpoint-url", stack.endpoint_url]

    blank = runner.invoke(app, ["stop", event.thread_id, "--reason", "  ", *endpoint])
    assert blank.exit_code != 0 and "reason" in blank.stderr
    result = runner.invoke(app, ["stop", event.thread_id, "--reason", "duplicate of report 7", "--json", *endpoint])
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["status"], out["execution_arn"], out["thread_id"]) == ("ABORTED", arn, event.thread_id)
    aborted = target.history(arn)[-1]
    assert aborted["type"] == "ExecutionAborted"
    assert aborted["executionAbortedEventDetails"] == {"error": "StoppedByOperator", "cause": "duplicate of report 7"}
    # the thread fails through the status-change event (EventBridge -> Lambda) and quotes the operator's reason
    deadline = time.monotonic() + 120
    while (target.store.get_thread(event.thread_id) or {}).get("status") != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    thread = target.store.get_thread(event.thread_id)
    assert thread["failure"] == "execution was stopped: StoppedByOperator: duplicate of report 7"
    again = runner.invoke(app, ["stop", arn, "--reason", "twice", *endpoint])
    assert again.exit_code != 0 and "it is ABORTED, not RUNNING" in again.stderr
