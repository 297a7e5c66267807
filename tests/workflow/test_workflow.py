"""The real ASL, the real handlers, on the embedded stack: one test per path, asserted on execution history."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from skymarshal.models import DisruptionEvent
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow


def start(target: Any, name: str, **overrides: Any) -> tuple[DisruptionEvent, str]:
    event = DisruptionEvent.model_validate(load_event(name, **overrides))
    return event, target.start(event)


def states_entered(target: Any, arn: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in target.history(arn) if "stateEnteredEventDetails" in e]


def output(desc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(desc["output"])


def test_approved_decision_records_the_approver_and_completes_the_thread(target, seed):
    seed("ey123-technical-delay")
    event, arn = start(target, "ey123-technical-delay")
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    assert target.store.get_thread(event.thread_id)["status"] == "awaiting_approval"

    target.decide(event.thread_id, True, "dm-42", "swap approved")
    desc = target.wait(arn, TERMINAL)

    assert desc["status"] == "SUCCEEDED"
    result = output(desc)
    assert result["outcome"] == "approved"
    assert result["approval"]["approver_id"] == "dm-42"
    assert result["approval"]["comments"] == "swap approved"
    # the FDP-breaking delay is never the recommendation; a swap is
    assert result["decision"]["recommended"]["kind"] == "aircraft_swap"
    entered = states_entered(target, arn)
    for state in ("PrepareDisruption", "Phase1_AgentsAssessOptions", "Phase2_AgentsReviseViews",
                  "ArbitrateDecision", "AwaitDutyManagerApproval", "FinalizeDecision"):
        assert state in entered
    assert entered.count("AgentAssessesOptions") == 7 and entered.count("AgentRevisesView") == 7
    assert target.store.get_thread(event.thread_id)["status"] == "completed"


def test_rejected_decision_ends_rejected_with_the_comment(target, seed):
    seed("ey456-crew-sickness")
    event, arn = start(target, "ey456-crew-sickness")
    target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})

    target.decide(event.thread_id, False, "dm-7", "reserve captain is needed elsewhere")
    desc = target.wait(arn, TERMINAL)

    assert desc["status"] == "SUCCEEDED"
    result = output(desc)
    assert result["outcome"] == "rejected"
    assert result["approval"] == {**result["approval"], "approver_id": "dm-7",
                                  "comments": "reserve captain is needed elsewhere", "decision": "rejected"}
    assert target.store.get_thread(event.thread_id)["status"] == "rejected"


def test_rejection_through_plain_send_task_failure_is_recorded(target, seed):
    seed("ey456-crew-sickness")
    event, arn = start(target, "ey456-crew-sickness")
    target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})
    token = target.store.get_approval(event.thread_id)["task_token"]

    target.client("stepfunctions").send_task_failure(taskToken=token, error="DecisionRejected",
                                                     cause="not with this crew")
    desc = target.wait(arn, TERMINAL)

    assert output(desc)["outcome"] == "rejected"
    assert output(desc)["approval"]["comments"] == "not with this crew"
    assert "DecisionRejectedByDutyManager" in states_entered(target, arn)


def test_unanswered_approval_times_out_into_escalation(target, seed, runtime):
    runtime.overrides["APPROVAL_TIMEOUT_SECONDS"] = "2"
    seed("ey321-weather-delay")
    event, arn = start(target, "ey321-weather-delay")

    desc = target.wait(arn, TERMINAL, timeout=600)

    assert desc["status"] == "SUCCEEDED"
    assert output(desc)["outcome"] == "approval_timed_out"
    assert "ApprovalTimedOut" in states_entered(target, arn)
    assert target.store.get_thread(event.thread_id)["status"] == "escalated"
    assert target.store.get_approval(event.thread_id)["approval_status"] == "expired"


def test_safety_agent_failure_fails_the_execution_and_marks_the_thread_failed(target, seed, runtime):
    def crew_compliance_breaks(function: str, payload: dict) -> Exception | None:
        if function == "AgentFunction" and payload.get("agent") == "crew_compliance":
            return RuntimeError("roster service unreachable")
        return None

    runtime.faults.append(crew_compliance_breaks)
    seed("ey123-technical-delay")
    event, arn = start(target, "ey123-technical-delay")

    desc = target.wait(arn, TERMINAL)

    assert desc["status"] == "FAILED"
    history = target.history(arn)
    failed = next(e for e in history if e["type"] == "ExecutionFailed")
    assert failed["executionFailedEventDetails"]["error"] == "RuntimeError"
    assert "roster service unreachable" in failed["executionFailedEventDetails"]["cause"]
    # it failed in the last-chance Map, not in the phase's Map (which no agent failure can abort)
    assert "Phase1_SafetyAgentsComplete" in states_entered(target, arn)
    assert not any(e["type"] == "MapStateFailed" and "Phase1_AgentsAssessOptions" in json.dumps(e, default=str)
                   for e in history)
    deadline = time.monotonic() + 120  # the status-change event reaches ExecutionStatusFunction asynchronously
    while (target.store.get_thread(event.thread_id) or {}).get("status") != "failed":
        assert time.monotonic() < deadline, target.store.get_thread(event.thread_id)
        time.sleep(0.05)
    thread = target.store.get_thread(event.thread_id)
    assert thread["failure"].startswith("execution failed in crew_compliance (phase 1): RuntimeError")
    assert "roster service unreachable" in thread["failure"]
    steps = [(c["step"], c.get("agent")) for c in target.store.history(event.thread_id)]
    assert ("agent_error", "crew_compliance") in steps


def test_business_agent_failure_degrades_but_the_decision_is_made(target, seed, runtime):
    def finance_breaks(function: str, payload: dict) -> Exception | None:
        if function == "AgentFunction" and payload.get("agent") == "finance":
            return RuntimeError("cost model unavailable")
        return None

    runtime.faults.append(finance_breaks)
    seed("ey123-technical-delay")
    event, arn = start(target, "ey123-technical-delay")
    target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})
    target.decide(event.thread_id, True, "dm-42", "")

    desc = target.wait(arn, TERMINAL)

    assert desc["status"] == "SUCCEEDED"
    decision = output(desc)["decision"]
    assert "finance" in decision["unavailable_agents"]
    assert decision["recommended"] is not None
    entered = states_entered(target, arn)
    assert "RecordAgentFailure" in entered and "SafetyAgentAssessesAgain" not in entered


def test_an_event_id_starts_one_workflow_only(target, seed):
    seed("ey123-technical-delay")
    event, arn = start(target, "ey123-technical-delay")

    assert target.start(event) == arn  # a re-sent event: same execution (StartExecution is idempotent)
    target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})
    executions = target.client("stepfunctions").list_executions(stateMachineArn=target.state_machine_arn)
    assert [e["name"] for e in executions["executions"]].count(event.event_id) == 1


def test_malformed_event_started_with_the_raw_api_fails_naming_the_field(target, seed):
    seed("ey123-technical-delay")
    bad = load_event("ey123-technical-delay", flight_number="not a flight")
    sfn = target.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=target.state_machine_arn, name=bad["event_id"],
                              input=json.dumps(bad))["executionArn"]

    desc = target.wait(arn, TERMINAL)

    assert desc["status"] == "FAILED"
    failed = next(e for e in target.history(arn) if e["type"] == "ExecutionFailed")
    assert failed["executionFailedEventDetails"]["error"] == "InvalidDisruptionEvent"
    assert "flight_number" in failed["executionFailedEventDetails"]["cause"]


def test_task_token_never_appears_in_handler_logs(target, seed, runtime, caplog):
    caplog.set_level("INFO")
    seed("ey456-crew-sickness")
    event, arn = start(target, "ey456-crew-sickness")
    target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})
    token = target.store.get_approval(event.thread_id)["task_token"]
    target.decide(event.thread_id, True, "dm-1", "")
    target.wait(arn, TERMINAL)

    records = [json.dumps(vars(r), default=str) for r in caplog.records]
    logs = "".join(text for _, text in runtime.logs) + "".join(records)
    assert "approval requested" in logs
    assert token not in logs
    history = json.dumps(target.store.history(event.thread_id, with_payloads=True))
    assert token not in history
