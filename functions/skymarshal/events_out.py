"""Outbound events for other systems: "ApprovalRequested" and "DecisionMade", published to the SNS topic
in EVENTS_TOPIC_ARN (template.yaml: DecisionEventsTopic), with the message attribute `event_type` so a
subscriber can filter (SNS subscription filter policy {"event_type": ["DecisionMade"]}).

Message body (JSON): {"event_type", "version": 1, "thread_id", "occurred_at", "detail": {...}}; the detail of
ApprovalRequested starts with the duty manager's briefing ({"text", "source": "model"|"template"}).
The task token never leaves the checkpoint store. Without EVENTS_TOPIC_ARN (unit tests, a library caller)
nothing is published. A publish failure after botocore's bounded retries is logged, counted
(OutboundEventFailed) and does not fail the step: the decision itself is already checkpointed.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from skymarshal import aws
from skymarshal.config import settings
from skymarshal.models import json_default
from skymarshal.observability import metrics

APPROVAL_REQUESTED = "ApprovalRequested"
DECISION_MADE = "DecisionMade"
VERSION = 1

log = logging.getLogger(__name__)


def topic_arn() -> str:
    return settings().events_topic_arn


def console_link(thread_id: str) -> str | None:
    base = settings().console_url.rstrip("/")
    return f"{base}/threads/{thread_id}" if base else None


def envelope(event_type: str, thread_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "version": VERSION,
        "thread_id": thread_id,
        "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detail": detail,
    }


def publish(event_type: str, thread_id: str, detail: dict[str, Any]) -> str | None:
    """Publish one outbound event; returns the SNS MessageId, or None when not configured or it failed."""
    arn = topic_arn()
    if not arn:
        return None
    body = json.dumps(envelope(event_type, thread_id, detail), default=json_default)
    try:
        response = aws.client("sns").publish(
            TopicArn=arn,
            Message=body,
            Subject=f"SkyMarshal {event_type} {thread_id}"[:100],
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": event_type},
                "thread_id": {"DataType": "String", "StringValue": thread_id},
            },
        )
    except Exception as exc:
        log.error("outbound event %s for %s not published: %s", event_type, thread_id, exc)
        _count_failure()
        return None
    return str(response.get("MessageId"))


def _count_failure() -> None:
    with contextlib.suppress(Exception):  # counting must not fail the step either
        metrics.add_metric(name="OutboundEventFailed", unit=MetricUnit.Count, value=1)


def approval_requested(thread_id: str, flight_number: str, summary: dict[str, Any], expires_at: str,
                       execution_arn: str, briefing: Any = None) -> str | None:
    """A duty manager must approve or reject `thread_id` before `expires_at`. The briefing (a
    `models.Briefing`: the guarded model text or the template's) heads the detail."""
    detail: dict[str, Any] = {
        "briefing": None if briefing is None else {"text": briefing.text, "source": briefing.source},
        "flight": {"flight_number": flight_number},
        "summary": {k: summary.get(k) for k in (
            "recommended_option", "recommended_kind", "description", "cost_eur", "confidence", "escalated",
            "binding_constraints")},
        "approval_reasons": (summary.get("approval") or {}).get("reasons", []),
        "expires_at": expires_at,
        "execution_arn": execution_arn,
    }
    link = console_link(thread_id)
    if link:
        detail["console_url"] = link
    return publish(APPROVAL_REQUESTED, thread_id, detail)


def decision_made(result: Any) -> str | None:
    """The workflow ended with an outcome (approved, rejected, auto_approved, approval_timed_out)."""
    decision = result.decision
    rec = decision.recommended
    detail: dict[str, Any] = {
        "flight": {"flight_number": decision.flight_number, "flight_date": decision.flight_date.isoformat()},
        "outcome": result.outcome,
        "recommended": None if rec is None else {
            "option_id": rec.option_id, "kind": rec.kind, "description": rec.description, "cost_eur": rec.cost_eur,
            "new_departure_utc": rec.new_departure_utc, "new_arrival_utc": rec.new_arrival_utc,
        },
        "confidence": decision.confidence,
        "escalated": decision.escalated,
        "approver_id": result.approval.approver_id,
        "comments": result.approval.comments,
        "decided_at": result.approval.decided_at,
        "execution_arn": result.execution_arn,
    }
    link = console_link(result.thread_id)
    if link:
        detail["console_url"] = link
    return publish(DECISION_MADE, result.thread_id, detail)
