"""FinalizeFunction: record the outcome and the approver, close the thread; returns the decision record."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal import aws
from skymarshal.config import policy
from skymarshal.handlers import STORES, initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps import FinalizeTask, finalize, pseudonym
from skymarshal.stores import store_from_env
from skymarshal.stores.fleet import FleetStore


@logger.inject_lambda_context(correlation_id_path="thread_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = FinalizeTask.model_validate(event)
    result = finalize(task, store_from_env(), FleetStore(), policy(), aws.client("stepfunctions"))
    metrics.add_dimension(name="outcome", value=result.outcome)
    metrics.add_metric(name="DecisionOutcome", unit=MetricUnit.Count, value=1)
    logger.info("finalized", extra={"outcome": result.outcome,
                                    "approver": pseudonym(result.approval.approver_id)})
    return result.model_dump(mode="json")


initialised(snapshot=(*STORES, "sns", "stepfunctions"))  # the last line: see skymarshal.handlers
