"""IntakeFunction: SQS -> one workflow per disruption event (Powertools batch processing, partial failures).

Per message:
- valid event about a known flight -> StartExecution named after event_id; ExecutionAlreadyExists with the same
  content (a duplicate delivery, a re-sent event) is success: the workflow already exists, never a second one;
  with other content it is a `conflicting_duplicate` (both digests) for the dead-letter queue, and the first
  workflow is untouched;
- malformed (not JSON, bad field, unknown flight, content the flight contradicts, ...) -> sent to the
  dead-letter queue now, body unchanged, with the reason as message attributes
  (skymarshal-error-code/-field/-reason, ...), and reported as processed so it leaves the queue instead of
  being retried forever; nothing is started;
- anything else (throttling, StartExecution quota, a dependency down) -> a batch item failure: SQS redelivers
  it after the visibility timeout, and after maxReceiveCount the queue's redrive policy moves it to the DLQ.
Only failed messages are reported, so nothing valid in the same batch is held back or started twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal import aws, intake
from skymarshal.config import policy, settings
from skymarshal.handlers import initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.opsdata import DynamoOpsReader

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method(capture_response=False)
def record_handler(record: SQSRecord) -> str:
    try:
        event = intake.parse_message(record.body)
        intake.admit(event, DynamoOpsReader(), policy())
        started = start(event)
    except intake.Rejection as rejection:
        dead_letter(record, rejection)
        return "rejected"
    if not started:
        metrics.add_metric(name="IntakeDuplicates", unit=MetricUnit.Count, value=1)
        logger.info("duplicate event: its workflow already exists", extra={"event_id": event.event_id})
        return "duplicate"
    metrics.add_metric(name="IntakeStarted", unit=MetricUnit.Count, value=1)
    logger.info("workflow started", extra={"event_id": event.event_id, "flight": event.flight_number})
    return "started"


def start(event: intake.DisruptionEvent) -> bool:
    """StartExecution named after the event id: True if started, False for a duplicate delivery (same content
    as the existing execution); a reused event id with other content raises the conflicting_duplicate
    Rejection (on AWS, ExecutionAlreadyExists means the name exists and the input differs, or it is closed)."""
    sfn = aws.client("stepfunctions")
    name, text = intake.execution_name(event), intake.execution_input(event)
    state_machine = settings().state_machine_arn
    try:
        sfn.start_execution(stateMachineArn=state_machine, name=name, input=text)
    except sfn.exceptions.ExecutionAlreadyExists:
        arn = state_machine.replace(":stateMachine:", ":execution:") + f":{name}"
        existing = sfn.describe_execution(executionArn=arn).get("input") or ""
        conflict = intake.conflicting_duplicate(event, text, existing)
        if conflict is not None:
            raise conflict from None
        return False
    return True


def dead_letter(record: SQSRecord, rejection: intake.Rejection) -> None:
    """Send the original body to the DLQ with the reason; if this send fails the record fails (redelivered)."""
    queue = (record.event_source_arn or "").rsplit(":", 1)[-1]
    aws.client("sqs").send_message(
        QueueUrl=settings().intake_dlq_url,
        MessageBody=record.body or "",
        MessageAttributes=intake.dead_letter_attributes(
            rejection, record.message_id, queue, record.attributes.approximate_receive_count or "1"
        ),
    )
    metrics.add_metric(name="IntakeRejected", unit=MetricUnit.Count, value=1)
    logger.warning("event rejected to the dead-letter queue",
                   extra={"message_id": record.message_id, "code": rejection.code, "field": rejection.field,
                          "reason": rejection.reason})


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    failures = len(response.get("batchItemFailures", []))
    if failures:
        metrics.add_metric(name="IntakeRetried", unit=MetricUnit.Count, value=failures)
    return dict(response)


initialised()  # the last line: see skymarshal.handlers (the collector paused during the import)
