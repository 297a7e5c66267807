"""RequestApprovalFunction: record the pending approval so a duty manager can find it by thread id.

Invoked with `.waitForTaskToken`: the workflow waits until SendTaskSuccess/SendTaskFailure or the timeout.
The task token is stored server-side and never logged in full.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from skymarshal.config import policy
from skymarshal.handlers import STORES, initialised
from skymarshal.observability import logger, metrics, tracer
from skymarshal.steps import ApprovalTask, mask_token, request_approval
from skymarshal.stores import store_from_env
from skymarshal.stores.fleet import FleetStore


@logger.inject_lambda_context(correlation_id_path="thread_id", log_event=False,
                               clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ApprovalTask.model_validate(event)
    result = request_approval(task, store_from_env(), FleetStore(), policy())
    metrics.add_metric(name="ApprovalsRequested", unit=MetricUnit.Count, value=1)
    logger.info("approval requested", extra={"token": mask_token(task.task_token),
                                             "expires_at": result["expires_at"]})
    return result


initialised(snapshot=(*STORES, "sns"))  # the last line: see skymarshal.handlers (collector; SnapStart priming)
