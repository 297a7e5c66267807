"""ExecutionStatusFunction: an execution's end is reflected on its thread (EventBridge rule on the state
machine's "Step Functions Execution Status Change" events; see skymarshal.steps.lifecycle)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.handlers import initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps.lifecycle import ExecutionStatusChange, record_execution_status
from skymarshal.stores import store_from_env


class StatusChangeEvent(EventBridgeModel):
    detail: ExecutionStatusChange


def _fleet_store() -> Any:
    """Imported on use: only an unfinished end releases holds (most events are an execution's start)."""
    from skymarshal.stores.fleet import FleetStore

    return FleetStore()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=StatusChangeEvent)
def lambda_handler(event: StatusChangeEvent, context: LambdaContext) -> dict[str, Any]:
    result = record_execution_status(event.detail, store_from_env(), _fleet_store)
    if result["action"] == "failed":
        metrics.add_metric(name="ExecutionsEndedUnfinished", unit=MetricUnit.Count, value=1)
    logger.info("execution status change", extra={"status": event.detail.status, **result})
    return result


initialised()  # the last line: see skymarshal.handlers (the collector paused during the import)
