"""RecordAgentFailureFunction: checkpoint an agent's failure; a business agent degrades to 'unavailable'."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.handlers import STORES, initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps import AgentFailureTask, record_agent_failure
from skymarshal.stores import store_from_env


@logger.inject_lambda_context(correlation_id_path="thread_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = AgentFailureTask.model_validate(event)
    result = record_agent_failure(task, store_from_env())
    metrics.add_dimension(name="agent", value=task.agent)
    metrics.add_metric(name="AgentErrors", unit=MetricUnit.Count, value=1)
    logger.warning("agent failed", extra={"agent": task.agent, "phase": task.phase, "error": task.error})
    return result.model_dump(mode="json")


initialised(snapshot=STORES)  # the last line: see skymarshal.handlers (collector; SnapStart priming)
