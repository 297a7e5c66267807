"""BriefingFunction: a foundation model explains the decision to the duty manager; the guard keeps it honest.

Runs only when the template parameter BriefingModelId is set (the state machine skips it otherwise); any model
failure falls back to the template briefing inside the step, so the workflow goes on either way."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.briefing import writer_from_env
from skymarshal.handlers import STORES, initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps import BriefingTask, write_briefing
from skymarshal.stores import store_from_env


@logger.inject_lambda_context(correlation_id_path="thread_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    task = BriefingTask.model_validate(event)
    ref = write_briefing(task, store_from_env(), writer_from_env())
    return ref.model_dump(mode="json") if ref else None


initialised(snapshot=STORES)  # the last line: see skymarshal.handlers (collector; SnapStart priming)
