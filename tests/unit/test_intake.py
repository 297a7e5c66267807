"""Intake rules (skymarshal.intake) and the intake handler's per-message outcomes, with stub AWS clients."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from skymarshal import intake
from skymarshal.domain.operation import InMemoryOpsReader, OpsDataset
from skymarshal.domain.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
EVENT = json.loads((ROOT / "events" / "ey123-technical-delay.json").read_text())
OPS = InMemoryOpsReader(OpsDataset.model_validate_json(
    (ROOT / "data" / "scenarios" / "ey123-technical-delay.json").read_text()))


def body(**overrides: Any) -> str:
    return json.dumps({**EVENT, **overrides})


# ----------------------------------------------------------------------------------------------------
# parse, name, reasons
# ----------------------------------------------------------------------------------------------------
def test_a_valid_body_is_the_event_and_its_execution_name_is_the_event_id():
    event = intake.parse_message(body(event_id="storm-0001"))
    assert event.flight_number == "EY123"
    assert intake.execution_name(event) == "storm-0001"
    assert json.loads(intake.execution_input(event))["event_id"] == "storm-0001"


@pytest.mark.parametrize(("raw", "code", "field", "words"), [
    ("{not json", intake.INVALID_JSON, "(body)", "not a JSON document"),
    (b"\xff\xfe", intake.INVALID_JSON, "(body)", "not a JSON document"),
    ("", intake.INVALID_JSON, "(body)", "not a JSON document"),
    ("[1, 2]", intake.NOT_AN_OBJECT, "(body)", "got list"),
    ("x" * (intake.MAX_BODY_BYTES + 1), intake.TOO_LARGE, "(body)", "over the"),
    (body(flight_number="ey 123"), intake.INVALID_EVENT, "flight_number", "pattern"),
    (body(event_id="has space"), intake.INVALID_EVENT, "event_id", "pattern"),
    (body(delay_minutes=None), intake.INVALID_EVENT, "(event)", "delay_minutes is required"),
    (body(reported_at="2026-12-01T05:45:00"), intake.INVALID_EVENT, "reported_at", "timezone"),
    (body(colour="red"), intake.INVALID_EVENT, "colour", "Extra inputs"),
])
def test_a_malformed_body_is_rejected_with_the_field_and_the_reason(raw, code, field, words):
    with pytest.raises(intake.Rejection) as caught:
        intake.parse_message(raw)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert words in caught.value.reason


def test_every_bad_field_is_in_the_reason():
    with pytest.raises(intake.Rejection) as caught:
        intake.parse_message(body(flight_number="??", station="auh"))
    assert "flight_number" in caught.value.reason and "station" in caught.value.reason


def test_dead_letter_attributes_round_trip_and_fit_sqs_limits():
    rejection = intake.Rejection(intake.INVALID_EVENT, "station", "x" * 5000)
    attrs = intake.dead_letter_attributes(rejection, "m-1", "intake-q", 2)
    assert len(attrs) <= 10
    assert all(len(a["StringValue"]) <= 1024 for a in attrs.values())
    assert attrs[intake.ATTR_MESSAGE_ID]["StringValue"] == "m-1"
    back = intake.rejection_from_attributes(attrs)
    assert back is not None and (back.code, back.field) == (intake.INVALID_EVENT, "station")
    lambda_shape = {k: {"stringValue": v["StringValue"], "dataType": "String"} for k, v in attrs.items()}
    assert intake.rejection_from_attributes(lambda_shape) == back
    assert intake.rejection_from_attributes({}) is None


# ----------------------------------------------------------------------------------------------------
# The handler: one outcome per message, partial batch failures
# ----------------------------------------------------------------------------------------------------
class _Exceptions:
    class ExecutionAlreadyExists(Exception):
        pass


@dataclass
class StubSfn:
    existing: set[str]
    throttle: set[str]
    exceptions: Any = _Exceptions
    started: list[str] | None = None
    inputs: dict[str, str] = field(default_factory=dict)

    def describe_execution(self, executionArn: str) -> dict[str, str]:
        return {"input": self.inputs.get(executionArn.rsplit(":", 1)[-1], "")}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
        if name in self.throttle:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                              "StartExecution")
        if name in self.existing:
            raise self.exceptions.ExecutionAlreadyExists(name)
        self.existing.add(name)
        self.inputs[name] = input
        (self.started if self.started is not None else []).append(name)
        return {"executionArn": f"{stateMachineArn}:{name}"}


@dataclass
class StubSqs:
    sent: list[dict[str, Any]]
    fail: bool = False

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        if self.fail:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")
        self.sent.append(kwargs)
        return {"MessageId": f"dlq-{len(self.sent)}"}


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": f"m-{i}", "receiptHandle": f"r-{i}", "body": b,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:intake-q",
        "awsRegion": "us-east-1"} for i, b in enumerate(bodies)]}


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STATE_MACHINE_ARN", "arn:aws:states:us-east-1:1:stateMachine:sm")
    monkeypatch.setenv("INTAKE_DLQ_URL", "https://sqs.example/1/dlq")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Test")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    from skymarshal.handlers import intake as module

    stubs = SimpleNamespace(sfn=StubSfn(existing={"dup"}, throttle={"slow"}, started=[]), sqs=StubSqs(sent=[]))
    monkeypatch.setattr(module.aws, "client", lambda service: stubs.sfn if service == "stepfunctions" else stubs.sqs)
    monkeypatch.setattr(module, "DynamoOpsReader", lambda: OPS)
    stubs.sfn.inputs["dup"] = body(event_id="dup")
    context = SimpleNamespace(function_name="intake", memory_limit_in_mb=512, aws_request_id="req",
                              invoked_function_arn="arn:aws:lambda:us-east-1:1:function:intake")
    return SimpleNamespace(run=lambda event: module.lambda_handler(event, context), stubs=stubs)


def test_a_mixed_batch_starts_the_valid_rejects_the_malformed_and_retries_only_the_throttled(handler):
    response = handler.run(sqs_event(
        body(event_id="new-1"), body(event_id="dup"), "{broken", body(event_id="slow"), body(event_id="new-2"),
        body(flight_number="nope"),
    ))
    # only the throttled message is reported: SQS redelivers it, everything else leaves the queue
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-3"}]}
    assert handler.stubs.sfn.started == ["new-1", "new-2"]  # the duplicate started nothing
    assert [m["MessageBody"] for m in handler.stubs.sqs.sent] == ["{broken", body(flight_number="nope")]
    reasons = [m["MessageAttributes"][intake.ATTR_CODE]["StringValue"] for m in handler.stubs.sqs.sent]
    assert reasons == [intake.INVALID_JSON, intake.INVALID_EVENT]
    assert handler.stubs.sqs.sent[1]["MessageAttributes"][intake.ATTR_FIELD]["StringValue"] == "flight_number"
    assert handler.stubs.sqs.sent[0]["MessageAttributes"][intake.ATTR_MESSAGE_ID]["StringValue"] == "m-2"


def test_a_malformed_message_is_retried_when_the_dead_letter_queue_cannot_take_it(handler):
    handler.stubs.sqs.fail = True
    assert handler.run(sqs_event("{broken", body(event_id="ok-1"))) == {
        "batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert handler.stubs.sfn.started == ["ok-1"]


def test_an_all_failed_batch_is_reported_not_raised(handler):
    assert handler.run(sqs_event(body(event_id="slow"))) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


# ----------------------------------------------------------------------------------------------------
# hardening: strict input, impossible content, one workflow per event (issue 13)
# ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("field_name", "value"), [
    ("delay_minutes", True),  # was a 1-minute delay
    ("delay_minutes", "180"),
    ("delay_minutes", " 180 "),
    ("delay_minutes", 180.0),
    ("flight_date", 1796083200),  # an epoch number
    ("flight_date", " 2026-12-01"),
    ("reported_at", 1796093100),
    ("event_id", 123),
])
def test_a_wrongly_typed_field_is_refused_not_converted(field_name, value):
    with pytest.raises(intake.Rejection) as refused:
        intake.parse_message(body(**{field_name: value}))
    assert (refused.value.code, refused.value.field) == (intake.INVALID_EVENT, field_name)


@pytest.mark.parametrize("raw", [
    json.dumps({**EVENT, "cause": [[[[[[[[["deep"]]]]]]]]]}),
    '{"event_id": ' + "[" * 20_000 + "]" * 20_000 + "}",  # deeper than Python's recursion limit
])
def test_json_nested_too_deeply_is_refused_with_a_clear_reason(raw):
    with pytest.raises(intake.Rejection) as refused:
        intake.parse_message(raw)
    assert refused.value.code == intake.TOO_DEEP
    assert "nested" in refused.value.reason


def test_an_execution_input_over_256_kib_is_refused_before_starting():
    event = intake.DisruptionEvent.model_validate({**EVENT, "disruption_type": "crew_sickness",
                                                   "affected_crew_ids": [f"CREW{i:06d}" for i in range(30_000)]})
    with pytest.raises(intake.Rejection) as refused:
        intake.execution_input(event)
    assert refused.value.code == intake.TOO_LARGE
    assert "262144" in refused.value.reason


NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("overrides", "code", "field_name", "words"), [
    ({"flight_number": "EY999"}, intake.UNKNOWN_FLIGHT, "flight_number", "EY999/2026-12-01"),
    ({"flight_date": "2026-11-30"}, intake.UNKNOWN_FLIGHT, "flight_number", "flight_date 2026-11-30"),
    ({"station": "FRA"}, intake.CONTRADICTS_OPERATION, "station", "not the origin"),
    ({"affected_crew_ids": ["C123A", "X999"]}, intake.CONTRADICTS_OPERATION, "affected_crew_ids", "X999"),
    ({"reported_at": "2099-01-01T00:00:00Z"}, intake.CONTRADICTS_OPERATION, "reported_at", "outside"),
    ({"reported_at": "2026-11-20T00:00:00Z"}, intake.CONTRADICTS_OPERATION, "reported_at", "outside"),
    ({"reported_at": "2026-12-02T12:00:00Z"}, intake.CONTRADICTS_OPERATION, "reported_at", "future"),
])
def test_an_event_the_operational_data_contradicts_is_refused(overrides, code, field_name, words):
    event = intake.parse_message(body(**overrides))
    with pytest.raises(intake.Rejection) as refused:
        intake.admit(event, OPS, Policy(), now=NOW)
    assert (refused.value.code, refused.value.field) == (code, field_name)
    assert words in refused.value.reason


def test_the_reported_at_window_is_policy():
    event = intake.parse_message(body(reported_at="2026-11-20T00:00:00Z"))
    intake.admit(event, OPS, Policy(reported_at_days_before_flight=14), now=NOW)


def test_an_unknown_flight_goes_to_the_dead_letter_queue_and_starts_nothing(handler):
    assert handler.run(sqs_event(body(event_id="ghost", flight_number="EY999"))) == {"batchItemFailures": []}
    assert handler.stubs.sfn.started == []
    attrs = handler.stubs.sqs.sent[0]["MessageAttributes"]
    assert attrs[intake.ATTR_CODE]["StringValue"] == intake.UNKNOWN_FLIGHT
    assert attrs[intake.ATTR_FIELD]["StringValue"] == "flight_number"


def test_a_reused_event_id_with_other_content_is_a_conflicting_duplicate(handler):
    first = handler.stubs.sfn.inputs["dup"]
    assert handler.run(sqs_event(body(event_id="dup", delay_minutes=30))) == {"batchItemFailures": []}
    assert handler.stubs.sfn.started == [] and handler.stubs.sfn.inputs["dup"] == first  # untouched
    attrs = handler.stubs.sqs.sent[0]["MessageAttributes"]
    assert attrs[intake.ATTR_CODE]["StringValue"] == intake.CONFLICTING_DUPLICATE
    reason = attrs[intake.ATTR_REASON]["StringValue"]
    assert intake.digest(first) in reason
    assert intake.digest(intake.execution_input(intake.parse_message(body(event_id="dup", delay_minutes=30)))) \
        in reason


def test_a_duplicate_delivery_with_the_same_content_is_not_dead_lettered(handler):
    assert handler.run(sqs_event(body(event_id="dup"))) == {"batchItemFailures": []}
    assert handler.stubs.sqs.sent == [] and handler.stubs.sfn.started == []


def test_intake_log_lines_never_carry_another_invocations_keys(handler, capsys):
    from skymarshal.observability import logger

    logger.append_keys(agent="crew_compliance", correlation_id="someone-else")  # left by another handler
    handler.run(sqs_event(body(event_id="new-9")))
    lines = [line for line in capsys.readouterr().out.splitlines() if "workflow started" in line]
    assert lines and "crew_compliance" not in lines[0] and "someone-else" not in lines[0]
