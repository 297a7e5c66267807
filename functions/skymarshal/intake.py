"""Intake rules, pure (no boto3): parse an SQS message body into a DisruptionEvent, name its execution, and
describe why a message is refused, as the message attributes it carries into the dead-letter queue.

A message is either
- accepted: a valid DisruptionEvent about a flight in the operational data (`admit`); its execution is named
  after `event_id`, so a duplicate delivery or a re-sent event never starts a second workflow (StartExecution
  answers ExecutionAlreadyExists);
- rejected: it can never succeed as sent (not JSON, nested too deeply, not an object, a field fails
  validation, an unknown flight, content the flight contradicts, a reused event id with other content).
  Retrying it is pointless, so the intake Lambda sends it to the dead-letter queue at once with a `Rejection`
  as attributes.
Anything else that goes wrong (throttling, a dependency down) is transient and the message is redelivered.

The same rules serve `skymarshal run/start/submit` (one place): what the intake refuses, they refuse before
anything starts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from skymarshal.domain.operation import OpsReader
from skymarshal.domain.operation.records import flight_key
from skymarshal.domain.policy import Policy
from skymarshal.models import DisruptionEvent, describe_validation_error, field_path

MAX_BODY_BYTES = 64 * 1024  # far above a real event (~1 KB); refuse anything bigger without parsing it
MAX_JSON_DEPTH = 8  # an event is an object holding a list (depth 2): anything nested deeper is not an event
# Step Functions: "The maximum input or output size for a task, state, or execution is 256 KiB of data as a
# UTF-8 encoded string" (Step Functions service quotas). Checked before StartExecution.
MAX_EXECUTION_INPUT_BYTES = 256 * 1024

# Message attributes of a dead-lettered message (SQS allows 10 per message; these are 7).
ATTR_CODE = "skymarshal-error-code"
ATTR_FIELD = "skymarshal-error-field"
ATTR_REASON = "skymarshal-error-reason"
ATTR_MESSAGE_ID = "skymarshal-source-message-id"
ATTR_SOURCE = "skymarshal-source-queue"
ATTR_RECEIVE_COUNT = "skymarshal-receive-count"
ATTR_REJECTED_AT = "skymarshal-rejected-at"

# Rejection codes: the first reason found, in this order.
INVALID_JSON = "invalid_json"  # the body is not JSON (or not UTF-8)
NOT_AN_OBJECT = "not_an_object"  # JSON, but not an object ({...})
TOO_LARGE = "too_large"  # over MAX_BODY_BYTES, or an execution input over MAX_EXECUTION_INPUT_BYTES
TOO_DEEP = "too_deep"  # JSON nested deeper than MAX_JSON_DEPTH
INVALID_EVENT = "invalid_event"  # a field is missing, unknown or fails validation (field + reason)
UNKNOWN_FLIGHT = "unknown_flight"  # flight_number/flight_date is not in the operational data
CONTRADICTS_OPERATION = "contradicts_operation"  # station, crew or reported_at impossible for that flight
CONFLICTING_DUPLICATE = "conflicting_duplicate"  # the event_id was used before with other content
REJECTION_CODES = (INVALID_JSON, NOT_AN_OBJECT, TOO_LARGE, TOO_DEEP, INVALID_EVENT, UNKNOWN_FLIGHT,
                   CONTRADICTS_OPERATION, CONFLICTING_DUPLICATE)


@dataclass(frozen=True)
class Rejection(Exception):
    """Why a message can never become a workflow. `field` is the dotted path of the first bad field
    ('(body)' when the body itself is the problem); `reason` lists every problem found."""

    code: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.field}: {self.reason}"


def json_depth(value: Any) -> int:
    """How deeply a decoded JSON value nests objects and lists (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_depth(data: Any, where: str = "(body)") -> None:
    """Refuse a document nested deeper than MAX_JSON_DEPTH (a Rejection naming `where`)."""
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise Rejection(TOO_DEEP, where, f"JSON nested {depth} levels deep, over the limit of {MAX_JSON_DEPTH}")


def decode_json(raw: str | bytes) -> Any:
    """Decode a JSON document, refusing one that is not JSON or is nested deeper than MAX_JSON_DEPTH."""
    try:
        data: Any = json.loads(raw)
    except RecursionError:
        raise Rejection(TOO_DEEP, "(body)", f"JSON nested too deeply (limit {MAX_JSON_DEPTH} levels)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejection(INVALID_JSON, "(body)", f"not a JSON document: {exc}"[:500]) from None
    check_depth(data)
    return data


def parse_message(body: str | bytes | None) -> DisruptionEvent:
    """The event in an SQS message body, or `Rejection`."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_BODY_BYTES:
        raise Rejection(TOO_LARGE, "(body)", f"{len(raw)} bytes, over the {MAX_BODY_BYTES}-byte limit")
    return parse_document(decode_json(raw))


def parse_document(data: Any) -> DisruptionEvent:
    """The event in a decoded JSON document, or `Rejection` naming the first bad field."""
    if not isinstance(data, dict):
        raise Rejection(NOT_AN_OBJECT, "(body)", f"expected a JSON object, got {type(data).__name__}")
    check_depth(data)
    try:
        return DisruptionEvent.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = field_path(errors[0]) if errors else "(event)"
        raise Rejection(INVALID_EVENT, first, describe_validation_error(exc)[:1000]) from None


def admit(event: DisruptionEvent, reader: OpsReader, policy: Policy, now: datetime | None = None) -> None:
    """Refuse (`Rejection`) an event whose content the operational data makes impossible: an unknown flight
    (`flight_number`), a `station` that is not the flight's origin, `affected_crew_ids` not rostered on the
    flight, a `reported_at` outside the policy window around the flight's day or in the future beyond the
    clock-skew tolerance. Reads the flight by key only."""
    key = flight_key(event.flight_number, event.flight_date)
    flight = reader.get_flight(event.flight_number, event.flight_date)
    if flight is None:
        raise Rejection(UNKNOWN_FLIGHT, "flight_number",
                        f"flight {key} (flight_number {event.flight_number}, flight_date "
                        f"{event.flight_date.isoformat()}) is not in the operational data")
    if event.station is not None and event.station != flight.origin:
        raise Rejection(CONTRADICTS_OPERATION, "station",
                        f"{event.station} is not the origin of {key} ({flight.origin})")
    rostered = set(flight.cockpit_crew) | set(flight.cabin_crew)
    strangers = [c for c in event.affected_crew_ids if c not in rostered]
    if strangers:
        raise Rejection(CONTRADICTS_OPERATION, "affected_crew_ids",
                        f"{', '.join(strangers)} not rostered on {key}")
    day = datetime.combine(event.flight_date, datetime.min.time(), tzinfo=UTC)
    earliest = day - timedelta(days=policy.reported_at_days_before_flight)
    latest = day + timedelta(days=1 + policy.reported_at_days_after_flight)
    reported = event.reported_at.astimezone(UTC)
    if not earliest <= reported < latest:
        raise Rejection(CONTRADICTS_OPERATION, "reported_at",
                        f"{event.reported_at.isoformat()} is outside {earliest.isoformat()} .. {latest.isoformat()}"
                        f" (the flight's day, {policy.reported_at_days_before_flight} day(s) before and"
                        f" {policy.reported_at_days_after_flight} after: policy)")
    skew = timedelta(minutes=policy.reported_at_future_tolerance_minutes)
    now = now or datetime.now(UTC)
    if reported > now + skew:
        raise Rejection(CONTRADICTS_OPERATION, "reported_at",
                        f"{event.reported_at.isoformat()} is in the future (now {now.isoformat(timespec='seconds')},"
                        f" tolerance {policy.reported_at_future_tolerance_minutes} min: policy)")


def execution_name(event: DisruptionEvent) -> str:
    """The Step Functions execution name: the event id itself (1-64 of [A-Za-z0-9_-], within the 80-character
    name limit). The same rule as `skymarshal start`, so the CLI and the queue deduplicate together."""
    return event.event_id


def execution_input(event: DisruptionEvent) -> str:
    """The StartExecution input: the validated event, normalised (what `skymarshal start` sends too); refused
    (TOO_LARGE) over Step Functions' 256 KiB input limit, before anything starts."""
    text = event.model_dump_json(exclude_none=True)
    size = len(text.encode())
    if size > MAX_EXECUTION_INPUT_BYTES:
        raise Rejection(TOO_LARGE, "(event)", f"execution input of {size} bytes, over Step Functions' limit of"
                                              f" {MAX_EXECUTION_INPUT_BYTES} bytes (256 KiB)")
    return text


def digest(execution_input_text: str) -> str:
    """The content digest of an execution input (sha256 over its canonical JSON), to tell a duplicate delivery
    (same digest) from an event id reused for other content (a conflicting duplicate)."""
    try:
        canonical = json.dumps(json.loads(execution_input_text), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = execution_input_text
    return hashlib.sha256(canonical.encode()).hexdigest()


def conflicting_duplicate(event: DisruptionEvent, sent: str, existing: str) -> Rejection | None:
    """The Rejection for an event id already used by an execution with other content (both digests in the
    reason), or None when the content is the same (a duplicate delivery: nothing to do)."""
    new, old = digest(sent), digest(existing)
    if new == old:
        return None
    return Rejection(CONFLICTING_DUPLICATE, "event_id",
                     f"event_id {event.event_id} already started a workflow with other content"
                     f" (existing sha256 {old}, this message sha256 {new}); the first workflow is untouched")


def dead_letter_attributes(
    rejection: Rejection, message_id: str, source_queue: str = "", receive_count: str | int = "1",
    now: datetime | None = None,
) -> dict[str, dict[str, str]]:
    """SQS MessageAttributes for a rejected message sent to the dead-letter queue (the body is sent unchanged,
    so a fixed message can be replayed as is)."""
    values = {
        ATTR_CODE: rejection.code,
        ATTR_FIELD: rejection.field,
        ATTR_REASON: rejection.reason,
        ATTR_MESSAGE_ID: message_id,
        ATTR_SOURCE: source_queue,
        ATTR_RECEIVE_COUNT: str(receive_count),
        ATTR_REJECTED_AT: (now or datetime.now(UTC)).isoformat(timespec="seconds"),
    }
    return {k: {"DataType": "String", "StringValue": v[:1024]} for k, v in values.items() if v}


def rejection_from_attributes(attributes: dict[str, Any]) -> Rejection | None:
    """Read a Rejection back from a dead-lettered message's attributes (ReceiveMessage or Lambda record shape);
    None for a message the redrive policy moved (it failed transiently maxReceiveCount times: no reason)."""

    def value(name: str) -> str | None:
        attr = attributes.get(name)
        if not attr:
            return None
        return str(attr.get("StringValue", attr.get("stringValue", "")))

    code = value(ATTR_CODE)
    if code is None:
        return None
    return Rejection(code, value(ATTR_FIELD) or "", value(ATTR_REASON) or "")
