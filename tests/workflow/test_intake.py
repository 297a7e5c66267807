"""The SQS intake on the embedded stack: the queue's event source mapping delivers batches to the real intake
Lambda, which starts one workflow per event, rejects malformed events to the DLQ with the reason and leaves
throttled ones for redelivery; and the outbound ApprovalRequested / DecisionMade events reach a subscriber."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from skymarshal import intake
from skymarshal_local.operations import submit
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow


# ----------------------------------------------------------------------------------------------------
# helpers (also used by test_storm.py)
# ----------------------------------------------------------------------------------------------------
def executions(target: Any, prefix: str) -> Counter[str]:
    """Execution names starting with `prefix`, counted (a second workflow for one event would show as 2)."""
    sfn = target.client("stepfunctions")
    names: Counter[str] = Counter()
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=target.state_machine_arn):
        names.update(e["name"] for e in page["executions"] if e["name"].startswith(prefix))
    return names


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def collect_dead_letters(target: Any, message_ids: set[str], timeout: float = 20) -> dict[str, dict[str, Any]]:
    """The DLQ messages whose source message id is one of `message_ids` (deleted once read)."""
    found: dict[str, dict[str, Any]] = {}
    sqs = target.client("sqs")
    deadline = time.monotonic() + timeout
    while len(found) < len(message_ids) and time.monotonic() < deadline:
        for letter in submit.dead_letters(target, limit=100, hide_seconds=2):
            if letter["source_message_id"] in message_ids:
                found[letter["source_message_id"]] = letter
                sqs.delete_message(QueueUrl=target.outputs["IntakeDeadLetterQueueUrl"],
                                   ReceiptHandle=letter["receipt_handle"])
        if len(found) < len(message_ids):
            time.sleep(0.3)
    return found


def send(target: Any, bodies: list[str]) -> list[str]:
    sent = submit.send_bodies(target, bodies)
    assert all("message_id" in s for s in sent), sent
    return [s["message_id"] for s in sent]


@contextmanager
def throttled_start_execution(names: set[str], times: int | None, runtime: Any) -> Iterator[Counter[str]]:
    """Step Functions answers StartExecution with ThrottlingException for `names` (the first `times` calls, or
    always). The intake Lambda is configured for a single attempt meanwhile, so each throttle is what it sees
    after its client's retries. (Injected in the embedded stack's server: the Lambda runs in a sandbox process.)"""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.responses import StepFunctionResponse

    class ThrottlingException(AWSError):
        TYPE = "ThrottlingException"
        STATUS = 400

    calls: Counter[str] = Counter()
    original = StepFunctionResponse.start_execution

    def start_execution(self: Any) -> Any:
        name = self._get_param("name") or ""
        if name in names:
            calls[name] += 1
            if times is None or calls[name] <= times:
                raise ThrottlingException("Rate exceeded (injected)")
        return original(self)

    StepFunctionResponse.start_execution = start_execution  # type: ignore[method-assign]
    runtime.overrides["AWS_MAX_ATTEMPTS"] = "1"
    try:
        yield calls
    finally:
        StepFunctionResponse.start_execution = original  # type: ignore[method-assign]


def event_body(name: str = "ey123-technical-delay", **overrides: Any) -> tuple[str, str]:
    data = load_event(name, **overrides)
    return data["event_id"], json.dumps(data)


# ----------------------------------------------------------------------------------------------------
def test_the_stack_maps_the_intake_queue_to_the_intake_function_with_partial_batch_failures(stack):
    mappings = stack.delivery.mappings
    assert len(mappings) == 1
    m = mappings[0]
    assert m.queue_arn.endswith(stack.outputs["IntakeQueueUrl"].rsplit("/", 1)[-1])
    assert m.function_arn.endswith(stack.outputs["IntakeFunctionName"])
    assert (m.batch_size, m.report_item_failures) == (10, True)


def test_one_workflow_per_event_duplicates_start_nothing_and_malformed_events_land_in_the_dlq(target, seed):
    seed("ey123-technical-delay")
    event_id, good = event_body()
    changed = json.dumps({**json.loads(good), "delay_minutes": 240})  # re-sent with new facts: same event
    bad = ["{not json", json.dumps({**json.loads(good), "event_id": "not valid!"}),
           json.dumps({**json.loads(good), "flight_number": "EY 123"}), "[]"]
    ids = send(target, [good, good, *bad, changed])

    assert wait_for(lambda: executions(target, event_id), 300) == Counter({event_id: 1})
    letters = collect_dead_letters(target, set(ids[2:6]))
    assert {i: (letters[i]["code"], letters[i]["field"]) for i in ids[2:6]} == {
        ids[2]: (intake.INVALID_JSON, "(body)"),
        ids[3]: (intake.INVALID_EVENT, "event_id"),
        ids[4]: (intake.INVALID_EVENT, "flight_number"),
        ids[5]: (intake.NOT_AN_OBJECT, "(body)"),
    }
    assert letters[ids[4]]["body"] == bad[2]  # the original body, ready to fix and replay
    assert "pattern" in letters[ids[4]]["reason"]
    time.sleep(1.5)
    assert executions(target, event_id) == Counter({event_id: 1})
    arn = target.execution_arn(event_id)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"}, 60)["status"] == "AWAITING_APPROVAL"


def test_a_throttled_start_is_redelivered_and_does_not_hold_back_the_rest_of_the_batch(target, seed, stack,
                                                                                        runtime):
    seed("ey123-technical-delay")
    slow_id, slow = event_body()
    fast_id, fast = event_body()
    with throttled_start_execution({slow_id}, times=1, runtime=runtime) as calls:
        before = stack.delivery.stats["failed"]
        send(target, [slow, fast])
        assert wait_for(lambda: executions(target, fast_id), 300) == Counter({fast_id: 1})
        assert wait_for(lambda: executions(target, slow_id), 300) == Counter({slow_id: 1})
    assert calls[slow_id] == 2  # failed once, redelivered, started
    assert stack.delivery.stats["failed"] > before


def test_a_message_that_keeps_failing_moves_to_the_dlq_after_max_receive_count(target, runtime):
    stuck_id, stuck = event_body()
    with throttled_start_execution({stuck_id}, times=None, runtime=runtime) as calls:
        [message_id] = send(target, [stuck])
        letters = collect_dead_letters(target, {message_id}, timeout=600)
    assert letters[message_id]["code"] == "redriven"
    assert int(letters[message_id]["receive_count"]) >= 3
    assert calls[stuck_id] == 3  # maxReceiveCount in template.yaml
    assert executions(target, stuck_id) == Counter()


def test_fixed_dead_letters_are_replayed_and_start_their_workflow(target, seed):
    seed("ey123-technical-delay")
    event_id, good = event_body()
    broken = json.dumps({**json.loads(good), "station": "auh"})
    [message_id] = send(target, [broken])
    letter = collect_dead_letters(target, {message_id})[message_id]
    assert letter["field"] == "station"
    # read it again (not deleted by replay's caller) and replay the fixed body
    sqs = target.client("sqs")
    sqs.send_message(QueueUrl=target.outputs["IntakeDeadLetterQueueUrl"], MessageBody=broken)
    again = wait_for(lambda: [d for d in submit.dead_letters(target, hide_seconds=5) if d["body"] == broken], 300)
    results = submit.replay(target, {again[0]["receipt_handle"]: good})
    assert results[0]["status"] == "sent"
    assert wait_for(lambda: executions(target, event_id), 300) == Counter({event_id: 1})


def test_approval_requested_and_decision_made_are_published_for_other_systems(target, seed, stack, runtime):
    seed("ey123-technical-delay")
    runtime.overrides["CONSOLE_URL"] = "https://console.example/skymarshal"
    sqs, sns = target.client("sqs"), target.client("sns")
    queue_url = sqs.create_queue(QueueName=f"subscriber-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.outputs["DecisionEventsTopicArn"], Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True)

    event_id, good = event_body()
    send(target, [good])
    assert wait_for(lambda: executions(target, event_id), 300)
    arn = target.execution_arn(event_id)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"}, 60)["status"] == "AWAITING_APPROVAL"
    target.decide(event_id, True, "dm-7", "go")
    assert target.wait(arn, TERMINAL, 60)["status"] == "SUCCEEDED"

    received: list[dict[str, Any]] = []

    def read() -> bool:
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            received.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len([r for r in received if r["thread_id"] == event_id]) >= 2

    assert wait_for(read, 300)
    mine = {r["event_type"]: r for r in received if r["thread_id"] == event_id}
    requested, made = mine["ApprovalRequested"], mine["DecisionMade"]
    assert requested["detail"]["flight"]["flight_number"] == "EY123"
    assert requested["detail"]["summary"]["recommended_option"]
    assert requested["detail"]["console_url"] == f"https://console.example/skymarshal/threads/{event_id}"
    assert made["detail"]["outcome"] == "approved" and made["detail"]["approver_id"] == "dm-7"
    assert made["detail"]["flight"]["flight_date"] == "2026-12-01"
    assert "token" not in json.dumps(received).lower()
