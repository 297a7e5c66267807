"""ArbitrateFunction: decide with safety constraints binding; rank solutions; cite the rules; apply the
approval policy."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.config import policy
from skymarshal.handlers import STORES, initialised
from skymarshal.knowledge import guidance_from_env
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps import ArbitrationTask, arbitrate
from skymarshal.stores import store_from_env

guidance = guidance_from_env()


@logger.inject_lambda_context(correlation_id_path="thread_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ArbitrationTask.model_validate(event)
    summary = arbitrate(task, store_from_env(), policy(), guidance)
    metrics.add_metric(name="DecisionsEscalated" if summary.escalated else "DecisionsMade",
                       unit=MetricUnit.Count, value=1)
    logger.info("decision", extra={"recommended": summary.recommended_option, "confidence": summary.confidence,
                                   "approval_required": summary.approval.required})
    return summary.model_dump(mode="json")


initialised(snapshot=STORES)  # the last line: see skymarshal.handlers (collector; SnapStart priming)
