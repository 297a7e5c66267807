"""`skymarshal submit` and the dead-letter queue tools: send disruption events to the intake queue (local or
AWS), list what the intake refused with the reason, and replay fixed messages.

The queue URLs come from the target's stack Outputs (IntakeQueueUrl, IntakeDeadLetterQueueUrl).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skymarshal import intake
from skymarshal_local.target import InvalidEventFile, Target, TargetError


def event_bodies(path: Path) -> list[str]:
    """The message bodies in a file: one event object, a JSON list of events, or an SQS envelope
    ({"Records": [{"body": ...}]}, e.g. from `sam local generate-event sqs receive-message`)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TargetError(f"{path}: cannot read a JSON event: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        return [str(r.get("body", "")) for r in data["Records"]]
    if isinstance(data, list):
        return [json.dumps(item) for item in data]
    return [json.dumps(data)]


def send_bodies(target: Target, bodies: Iterable[str]) -> list[dict[str, Any]]:
    """Send raw message bodies (SendMessageBatch, 10 at a time); one {"message_id"} or {"error"} per body."""
    sqs = target.client("sqs")
    url = _queue(target, "IntakeQueueUrl")
    items = list(bodies)
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), 10):
        chunk = items[start:start + 10]
        response = sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)])
        ok = {e["Id"]: e["MessageId"] for e in response.get("Successful", [])}
        failed = {e["Id"]: e.get("Message", e.get("Code", "failed")) for e in response.get("Failed", [])}
        for i in range(len(chunk)):
            results.append({"message_id": ok[str(i)]} if str(i) in ok else {"error": failed.get(str(i), "failed")})
    return results


def submit(target: Target, paths: list[Path], validate: bool = True) -> list[dict[str, Any]]:
    """Send every event in `paths` to the intake queue. With `validate` (default) an event that the intake
    would refuse (malformed, unknown flight, contradicted by the operational data) is not sent and its reason
    is returned; `validate=False` sends it anyway (it then lands in
    the dead-letter queue with the same reason). One result per event:
    {"path", "event_id", "status": "sent"|"invalid"|"error", "message_id" | "reason"}."""
    pending: list[tuple[dict[str, Any], str]] = []
    results: list[dict[str, Any]] = []
    for path in paths:
        for body in event_bodies(Path(path)):
            result: dict[str, Any] = {"path": str(path), "event_id": None}
            try:
                event = intake.parse_message(body)
                result["event_id"] = event.event_id
                if validate:
                    target.admit(event)  # an unknown flight or an impossible event is not sent
            except intake.Rejection as rejection:
                if validate:
                    results.append({**result, "status": "invalid", "reason": str(rejection)})
                    continue
            except InvalidEventFile as refused:
                results.append({**result, "status": "invalid", "reason": str(refused)})
                continue
            pending.append((result, body))
            results.append(result)
    for (result, _), sent in zip(pending, send_bodies(target, [b for _, b in pending]), strict=True):
        if "message_id" in sent:
            result.update(status="sent", message_id=sent["message_id"])
        else:
            result.update(status="error", reason=sent["error"])
    return results


# ----------------------------------------------------------------------------------------------------
# Dead-letter queue: see what was refused and why, replay after fixing
# ----------------------------------------------------------------------------------------------------
def dead_letters(target: Target, limit: int = 100, delete: bool = False,
                 hide_seconds: int = 30) -> list[dict[str, Any]]:
    """Read up to `limit` messages from the dead-letter queue: {"message_id", "body", "code", "field",
    "reason", "source_message_id", "receipt_handle"}. A message moved by the redrive policy (it failed
    transiently maxReceiveCount times) has code "redriven" and no field. Without `delete` this is a peek: the
    messages are hidden for `hide_seconds` while they are read (so none is listed twice), then made visible
    again (ChangeMessageVisibility 0), so the next listing, or another reader, sees them at once; the receipt
    handles returned are the newest, so `replay` can delete the originals."""
    sqs = target.client("sqs")
    url = _queue(target, "IntakeDeadLetterQueueUrl")
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit - len(found)),
                                  VisibilityTimeout=hide_seconds, WaitTimeSeconds=0,
                                  MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        if not got:
            break
        for m in got:
            attrs = m.get("MessageAttributes") or {}
            rejection = intake.rejection_from_attributes(attrs)
            source = attrs.get(intake.ATTR_MESSAGE_ID, {}).get("StringValue") or m["MessageId"]
            found.append({
                "message_id": m["MessageId"], "body": m.get("Body", ""),
                "code": rejection.code if rejection else "redriven",
                "field": rejection.field if rejection else "",
                "reason": rejection.reason if rejection else "failed maxReceiveCount times (transient errors)",
                "source_message_id": source, "receipt_handle": m["ReceiptHandle"],
                "receive_count": (m.get("Attributes") or {}).get("ApproximateReceiveCount"),
            })
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    if not delete:
        for letter in found:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=letter["receipt_handle"], VisibilityTimeout=0)
    return found


def read_fixes(path: Path) -> dict[str, str]:
    """A `dlq --replay` file: {receipt_handle: fixed body}, each body a JSON object (the event) or a string (the
    message body as sent). A missing or malformed file is one TargetError naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise TargetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: cannot read it: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise TargetError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict) or not data:
        raise TargetError(f"{path}: expected a JSON object {{receipt_handle: fixed body}} with at least one entry")
    fixes: dict[str, str] = {}
    for receipt, body in data.items():
        if isinstance(body, dict):
            body = json.dumps(body)
        if not isinstance(body, str):
            raise TargetError(f"{path}: the body for receipt handle {receipt[:16]}… must be a JSON object or a "
                              f"string, not {type(body).__name__}")
        fixes[receipt] = body
    return fixes


def replay(target: Target, bodies_by_receipt: dict[str, str]) -> list[dict[str, Any]]:
    """Send fixed bodies back to the intake queue and delete their originals from the DLQ (receipt handles
    from `dead_letters`). A body still invalid is not sent and its original stays in the DLQ."""
    sqs = target.client("sqs")
    dlq = _queue(target, "IntakeDeadLetterQueueUrl")
    results = []
    for receipt, body in bodies_by_receipt.items():
        try:
            event_id = intake.parse_message(body).event_id
        except intake.Rejection as rejection:
            results.append({"status": "invalid", "reason": str(rejection)})
            continue
        sent = send_bodies(target, [body])[0]
        if "message_id" in sent:
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=receipt)
            results.append({"status": "sent", "event_id": event_id, "message_id": sent["message_id"]})
        else:
            results.append({"status": "error", "event_id": event_id, "reason": sent["error"]})
    return results


def _queue(target: Target, output: str) -> str:
    try:
        return target.outputs[output]
    except KeyError as exc:
        raise TargetError(f"the stack has no output {output} (deploy the current template.yaml)") from exc
