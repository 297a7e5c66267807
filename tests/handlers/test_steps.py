"""Step inputs and outputs as the handlers see them: validation messages, approval outcomes, token masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skymarshal.errors import InvalidDisruptionEvent
from skymarshal.models import PrepareTask
from skymarshal.steps import approval_record, mask_token, parse_event, prepare

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_every_sample_event_is_valid(path):
    event = parse_event(json.loads(path.read_text()))
    assert event.thread_id == event.event_id


def test_invalid_event_names_every_bad_field_and_reason():
    raw = json.loads((EVENTS / "ey123-technical-delay.json").read_text())
    raw.update(flight_number="ey123", reported_at="2026-12-01T05:45:00", surprise=1)
    with pytest.raises(InvalidDisruptionEvent) as exc:
        parse_event(raw)
    message = str(exc.value)
    assert "flight_number: String should match pattern" in message
    assert "reported_at: Input should have timezone info" in message
    assert "surprise: Extra inputs are not permitted" in message


def test_crew_sickness_without_crew_is_refused():
    raw = json.loads((EVENTS / "ey456-crew-sickness.json").read_text())
    raw["affected_crew_ids"] = []
    with pytest.raises(InvalidDisruptionEvent, match="affected_crew_ids is required"):
        parse_event(raw)


def test_task_success_output_becomes_an_approval_with_the_approver():
    record = approval_record({"approved": True, "approver_id": "dm-42", "comments": " ok "})
    assert (record.decision, record.approver_id, record.comments) == ("approved", "dm-42", "ok")
    assert record.decided_at is not None


@pytest.mark.parametrize(("answer", "words"), [
    ({"approved": True}, "approver_id: Field required"),  # aws stepfunctions send-task-success, no approver
    ({"approved": False, "approver_id": "dm-42", "comments": ""}, "comments are required"),
    ({"outcome": "rejected"}, "without a cause"),  # send-task-failure --error DecisionRejected, no --cause
    ({"outcome": "rejected", "comments": None}, "without a cause"),
])
def test_a_malformed_answer_escalates_with_the_reason_instead_of_failing(answer, words):
    record = approval_record(answer)
    assert record.decision == "approval_invalid"
    assert record.approver_id is None
    assert words in record.comments


def test_an_execution_not_named_after_its_event_is_refused_before_anything_is_recorded():
    raw = json.loads((EVENTS / "ey123-technical-delay.json").read_text())
    with pytest.raises(InvalidDisruptionEvent, match="execution is named 'other'"):
        prepare(PrepareTask(event=raw, execution_arn="arn:aws:states:us-east-1:1:execution:sm:other"),
                None, None, None, 60)  # type: ignore[arg-type]  # refused before the store is touched


@pytest.mark.parametrize("outcome", ["auto_approved", "approval_timed_out"])
def test_workflow_outcomes_pass_through(outcome):
    assert approval_record({"outcome": outcome}).decision == outcome


def test_a_rejection_sent_as_task_failure_keeps_its_cause_as_the_comment():
    record = approval_record({"outcome": "rejected", "comments": "crew not legal"})
    assert (record.decision, record.comments) == ("rejected", "crew not legal")


def test_masked_token_keeps_only_a_prefix():
    token = "AAAAQKx7" + "z" * 600
    masked = mask_token(token)
    assert token not in masked and masked.startswith("AAAAQK") and "608" in masked
