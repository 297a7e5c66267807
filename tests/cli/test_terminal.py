"""What the terminal says: the decision's why, counts that match the rows shown, human times, piped output kept
whole, `start` twice, the dead-letter queue listed without hiding it, and no library warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from skymarshal_local.cli import app, render

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "local")])}
runner = CliRunner()


def solution(rank: int, option_id: str, kind: str, description: str, score: float, cost: float) -> dict[str, Any]:
    return {"rank": rank, "option_id": option_id, "kind": kind, "description": description, "score": score,
            "scores": {"safety": 0.12, "cost": 1.0}, "cost_eur": cost, "plan": []}


def decision_result(constraints: int = 13, distinct_rules: int = 3) -> dict[str, Any]:
    rules = [f"RULE-{i}" for i in range(distinct_rules)]
    return {
        "thread_id": "t1", "outcome": "approved",
        "decision": {
            "thread_id": "t1", "flight_number": "EY123", "flight_date": "2026-12-01",
            "recommended": solution(1, "OPT-3", "aircraft_swap", "Swap to A6-BLG (B789, 299 seats)", 0.905, 12988),
            "alternatives": [
                solution(2, "OPT-4", "aircraft_swap", "Swap to A6-BLB (B789, 299 seats)", 0.83, 12988),
                solution(3, "OPT-2", "crew_change", "Delay 180 min with reserve crew RC-CPT1 for C123A", 0.347,
                         165690),
            ],
            "binding_constraints": [
                {"agent": "crew_compliance", "option_id": "OPT-1", "rule": rules[i % distinct_rules],
                 "description": "x", "limit": 720, "actual": 860, "margin": -140, "unit": "min"}
                for i in range(constraints)],
            "citations": [], "confidence": 0.84, "escalated": False, "escalation_reasons": [],
            "weights": {"safety": 0.4, "cost": 0.6},
            "rationale": "Recommend OPT-3 (aircraft_swap): the one-sentence why.",
        },
        "approval": {"decision": "approved", "approver_id": "dm-42", "decided_at": "2026-11-30T21:53:33.932731Z",
                     "comments": ""},
    }


def printed(draw: Any, *args: Any) -> str:
    with render.console.capture() as capture:
        draw(*args)
    return capture.get()


def test_the_decision_says_why_names_every_alternative_and_explains_score_and_confidence():
    text = printed(render.print_decision, decision_result())

    assert "Why: Recommend OPT-3 (aircraft_swap): the one-sentence why." in text
    assert "Swap to A6-BLB" in text and "RC-CPT1 for C123A" in text  # each alternative's tail or crew
    assert "score 0.905 of 1 (the weighted sum" in text
    assert "confidence 0.84 (high: " in text and "escalated" in text
    assert "30 Nov 21:53Z" in text and "21:53:33.932731" not in text


def test_binding_constraint_counts_agree_with_the_rows_and_the_count_column_is_labelled():
    text = printed(render.print_decision, decision_result(constraints=13, distinct_rules=3))
    assert "13 findings in 3 rows" in text
    assert "findings" in text.split("RULE-0")[0].splitlines()[-3]  # the column header
    assert "┃ × ┃" not in text

    many = printed(lambda: render.console.print(render.binding_constraints_table(
        decision_result(constraints=40, distinct_rules=20)["decision"]["binding_constraints"])))
    assert "40 findings in 20 rows, 15 shown" in many


def test_the_pending_panel_and_thread_tables_show_human_times_never_raw_epochs_or_microseconds():
    expires = datetime.now(UTC) + timedelta(minutes=52, seconds=30)
    approval = {"summary": {"recommended_kind": "aircraft_swap", "recommended_option": "OPT-3", "description": "d",
                            "cost_eur": 1, "confidence": 0.4, "binding_constraints": 7},
                "approval_expires_at": expires.isoformat()}

    class Store:
        def get_approval(self, thread_id: str) -> dict[str, Any]:
            return approval

    class FakeTarget:
        store = Store()

    text = printed(render.print_pending, FakeTarget(), "t1")
    assert f"expires {expires:%d %b %H:%M}Z (in 52 min)" in text
    assert "confidence 0.40 (low" in text

    thread = {"created_at": "2026-11-30T21:53:33.932731+00:00", "expires_at": 1796075613, "status": "approved"}
    text = printed(render.print_thread, "t1", thread)
    assert "30 Nov 21:53Z" in text and ".932731" not in text and "1796075613" not in text


def test_status_fits_80_columns_and_piped_output_keeps_an_arn_whole():
    arn = "arn:aws:states:us-east-1:123456789012:execution:SkyMarshalDisruptionStateMachine-abc:" + "x" * 60
    script = (
        "from rich.console import Console\n"
        "from skymarshal_local.cli import render\n"
        f"render.print_thread('t1', {{'execution_arn': {arn!r}}})\n"
        "render.console = Console(width=80)\n"
        "render.print_threads([{'thread_id': 'ey123-technical-delay', 'status': 'awaiting_approval',"
        " 'flight_number': 'EY123', 'flight_date': '2026-12-01', 'updated_at': '2026-11-30T21:53:33.932731+00:00',"
        " 'approval_expires_at': '2099-11-30T22:53:33.932731+00:00'}])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert arn in out.stdout  # not wrapped mid-ARN when piped
    table = out.stdout.split("Threads", 1)[1]
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "ey123-technical-delay" in table and "expires in" in table and ".932731" not in table


def test_a_handler_that_publishes_no_metric_prints_no_warning():
    script = (
        "from skymarshal.observability import metrics\n"
        "@metrics.log_metrics\n"
        "def handler(event, context):\n"
        "    return 1\n"
        "handler({}, None)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert "No application metrics" not in out.stderr and "Warning" not in out.stderr


# ------------------------------------------------------------------------------------------------
# Against the embedded stack
# ------------------------------------------------------------------------------------------------
@pytest.mark.workflow
def test_start_for_an_event_already_started_says_so_and_exits_0(stack, seed, tmp_path):
    seed("ey123-technical-delay")
    event = json.loads((ROOT / "events" / "ey123-technical-delay.json").read_text())
    event["event_id"] = f"ey123-again-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))

    def start() -> subprocess.CompletedProcess[str]:  # its own process: the stack's handlers print to stdout here
        return subprocess.run([sys.executable, "-m", "skymarshal_local.cli", "start", str(path), "--endpoint-url",
                               stack.endpoint_url], capture_output=True, text=True, env=ENV, timeout=300,
                              stdin=subprocess.DEVNULL)

    first, again = start(), start()

    assert first.returncode == 0, first.stderr
    assert f"started thread {event['event_id']}" in first.stdout
    assert again.returncode == 0, again.stderr
    assert f"already started, thread {event['event_id']}" in again.stdout


@pytest.mark.workflow
def test_dlq_lists_without_hiding_and_replay_reports_bad_files_and_invalid_bodies(stack, target, tmp_path):
    sqs = target.client("sqs")
    url = stack.outputs["IntakeDeadLetterQueueUrl"]
    broken = json.dumps({"event_id": f"broken-{uuid.uuid4().hex[:8]}", "station": "auh"})
    sqs.send_message(QueueUrl=url, MessageBody=broken)
    endpoint = ["--endpoint-url", stack.endpoint_url]

    def listed() -> list[dict[str, Any]]:
        # stdout alone: the shared stack's background work (status-change deliveries) may warn on stderr meanwhile
        result = runner.invoke(app, ["dlq", "--json", *endpoint])
        assert result.exit_code == 0, result.output
        return [d for d in json.loads(result.stdout) if d["body"] == broken]

    assert len(listed()) == 1
    again = listed()  # the first listing did not hide it
    assert len(again) == 1
    table = runner.invoke(app, ["dlq", *endpoint])
    assert table.exit_code == 0 and "Dead letters" in table.output
    assert len(listed()) == 1

    missing = runner.invoke(app, ["dlq", "--replay", str(tmp_path / "nope.json"), *endpoint])
    assert missing.exit_code == 1 and "nope.json: no such file" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    malformed = tmp_path / "bad.json"
    malformed.write_text("{not json")
    bad = runner.invoke(app, ["dlq", "--replay", str(malformed), *endpoint])
    assert bad.exit_code == 1 and "bad.json: not JSON" in bad.output and "Traceback" not in bad.output

    receipt = listed()[0]["receipt_handle"]
    still_invalid = tmp_path / "fix.json"
    still_invalid.write_text(json.dumps({receipt: json.loads(broken)}))  # a JSON object body is accepted
    result = runner.invoke(app, ["dlq", "--replay", str(still_invalid), *endpoint])
    assert result.exit_code == 1, result.output
    # the JSON document the command printed (a background Lambda's log line may follow it in the same stream)
    listed_back, _ = json.JSONDecoder().raw_decode(result.stdout.strip())
    assert listed_back[0]["status"] == "invalid", result.output
    assert len(listed()) == 1  # still there, for the next fix
