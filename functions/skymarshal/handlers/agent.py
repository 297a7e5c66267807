"""AgentFunction: one specialist agent assesses (phase 1) or revises (phase 2) every recovery option.

Finished work is never recomputed: Powertools' idempotency utility keys each run on (thread, phase, agent and
the checkpoints it reads) and, on a redrive or a retried task, returns the stored result instead of
re-running the agent.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from snapshot_restore_py import register_after_restore

from skymarshal import aws
from skymarshal.config import policy, settings
from skymarshal.handlers import STORES, initialised
from skymarshal.models import AgentSummary
from skymarshal.observability import Timer, logger, metrics, tracer
from skymarshal.steps import AgentTask, run_agent
from skymarshal.stores import store_from_env


def _mark_reused(response: Any, idempotent_data: DataRecord) -> Any:
    """Called by Powertools only when it returns a stored result: the agent was not run again."""
    response.reused = True
    return response


idempotency = IdempotencyConfig(
    event_key_jmespath=(
        "[thread_id, phase, agent, event.checkpoint_id, snapshot.checkpoint_id, options.checkpoint_id,"
        " peers[*].view.checkpoint_id]"
    ),
    raise_on_no_idempotency_key=True,
    expires_after_seconds=settings().checkpoint_retention_days * 86400,
    response_hook=_mark_reused,
)


def agent_view(task: AgentTask) -> AgentSummary:
    return run_agent(task, store_from_env(), policy())


@cache
def idempotent_agent_view() -> Callable[..., AgentSummary]:
    """`agent_view` under Powertools' idempotency, on the project's DynamoDB client (bounded retries, the stores'
    session). Built on the first invocation, on the client that SnapStart's before-snapshot hook created
    (skymarshal.handlers.prime), or that a restored sandbox made again on the service model already loaded."""
    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=aws.client("dynamodb"))
    return idempotent_function(  # type: ignore[no-any-return]
        data_keyword_argument="task", persistence_store=persistence, config=idempotency,
        output_serializer=PydanticSerializer,
    )(agent_view)


# SnapStart: after skymarshal.aws's hook (registered first, on import) forgot the cached clients, build again.
register_after_restore(idempotent_agent_view.cache_clear)


@logger.inject_lambda_context(correlation_id_path="thread_id", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    task = AgentTask.model_validate(event)
    logger.append_keys(agent=task.agent, phase=task.phase)
    timer = Timer()
    summary = idempotent_agent_view()(task=task)
    metrics.add_dimension(name="agent", value=task.agent)
    metrics.add_metric(name="AgentLatency", unit=MetricUnit.Milliseconds, value=timer.ms)
    metrics.add_metric(name="AgentReused" if summary.reused else "AgentComputed", unit=MetricUnit.Count, value=1)
    logger.info("agent view", extra={"preferred": summary.preferred_option, "reused": summary.reused})
    return summary.model_dump(mode="json")


initialised(snapshot=STORES)  # the last line: see skymarshal.handlers (collector; SnapStart priming)
