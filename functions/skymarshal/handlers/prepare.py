"""PrepareFunction: validate the event, snapshot the operation, generate the options, checkpoint 'start'."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.config import policy, settings
from skymarshal.handlers import STORES, initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.steps import PrepareTask, prepare
from skymarshal.stores import store_from_env
from skymarshal.stores.fleet import FleetStore


@logger.inject_lambda_context(correlation_id_path="event.event_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = PrepareTask.model_validate(event)
    s = settings()
    prepared = prepare(task, store_from_env(), DynamoOpsReader(), policy(), s.approval_timeout_seconds,
                             holds=FleetStore(), briefing_enabled=bool(s.briefing_model_id))
    metrics.add_metric(name="DisruptionsStarted", unit=MetricUnit.Count, value=1)
    logger.info("prepared", extra={"options": prepared.option_ids})
    return prepared.model_dump(mode="json")


initialised(snapshot=STORES)  # the last line: see skymarshal.handlers (collector; SnapStart priming)
