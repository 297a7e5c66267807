"""Intake rules, pure (no boto3): parse an SQS message body into a DisruptionEvent, name its execution, and
describe why a message is refused, as the message attributes it carries into the dead-letter queue.

A message is either
- accepted: a valid DisruptionEvent; its execution is named after `event_id`, so a duplicate delivery or a
  re-sent event never starts a second workflow (StartExecution answers ExecutionAlreadyExists);
- rejected: it can never succeed as sent (not JSON, not an object, a field fails validation). Retrying it is
  pointless, so the intake Lambda sends it to the dead-letter queue at once with a `Rejection` as attributes.
Anything else that goes wrong (throttling, a dependency down) is transient and the message is redelivered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from skymarshal.models import DisruptionEvent, describe_validation_error, field_path

MAX_BODY_BYTES = 64 * 1024  # far above a real event (~1 KB); refuse anything bigger without parsing it

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
TOO_LARGE = "too_large"  # over MAX_BODY_BYTES
INVALID_EVENT = "invalid_event"  # a field is missing, unknown or fails validation (field + reason)
REJECTION_CODES = (INVALID_JSON, NOT_AN_OBJECT, TOO_LARGE, INVALID_EVENT)


@dataclass(frozen=True)
class Rejection(Exception):
    """Why a message can never become a workflow. `field` is the dotted path of the first bad field
    ('(body)' when the body itself is the problem); `reason` lists every problem found."""

    code: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}: {self.field}: {self.reason}"


def parse_message(body: str | bytes | None) -> DisruptionEvent:
    """The event in an SQS message body, or `Rejection`."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_BODY_BYTES:
        raise Rejection(TOO_LARGE, "(body)", f"{len(raw)} bytes, over the {MAX_BODY_BYTES}-byte limit")
    try:
        data: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejection(INVALID_JSON, "(body)", f"not a JSON document: {exc}"[:500]) from None
    if not isinstance(data, dict):
        raise Rejection(NOT_AN_OBJECT, "(body)", f"expected a JSON object, got {type(data).__name__}")
    try:
        return DisruptionEvent.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = field_path(errors[0]) if errors else "(event)"
        raise Rejection(INVALID_EVENT, first, describe_validation_error(exc)[:1000]) from None


def execution_name(event: DisruptionEvent) -> str:
    """The Step Functions execution name: the event id itself (1-64 of [A-Za-z0-9_-], within the 80-character
    name limit). The same rule as `skymarshal start`, so the CLI and the queue deduplicate together."""
    return event.event_id


def execution_input(event: DisruptionEvent) -> str:
    """The StartExecution input: the validated event, normalised (what `skymarshal start` sends too)."""
    return event.model_dump_json(exclude_none=True)


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
