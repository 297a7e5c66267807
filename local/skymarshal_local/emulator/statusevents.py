"""Step Functions "Execution Status Change" events on EventBridge, and EventBridge rules that invoke Lambda.

On AWS a STANDARD execution sends an event to the default event bus whenever its status changes (RUNNING,
SUCCEEDED, FAILED, TIMED_OUT, ABORTED; a redrive sends RUNNING again), with the DescribeExecution fields as
`detail` (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html), and a rule whose target is a
Lambda function invokes it asynchronously, retrying failed deliveries
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html). moto does neither: its
Step Functions engine sends no events, and its rules deliver to logs, SQS and other buses only. `install()`
supplies both, so the template's rule and its Lambda run locally exactly as deployed.
Written by hand: moto has no hook for either.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import threading
import time
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.events.models import Rule, events_backends
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

from skymarshal_local.emulator import redrive

LOG = logging.getLogger(__name__)
DETAIL_TYPE = "Step Functions Execution Status Change"
# An asynchronous invocation whose function fails is retried twice by Lambda
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)
DELIVERY_ATTEMPTS = 3
FIRST_BACKOFF_S = 0.5


def _epoch_ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, datetime.datetime) else None


def _detail(execution: Any) -> dict[str, Any]:
    status = execution.status
    reason = redrive.not_redrivable_reason(execution) if status in redrive.REDRIVABLE else "Execution is RUNNING"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine.arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(execution.stop_date) if status != "RUNNING" else None,
        "input": execution.execution_input,
        "output": json.dumps(execution.output) if status == "SUCCEEDED" else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if status == "SUCCEEDED" else None,
        "error": execution.error if status != "RUNNING" else None,
        "cause": execution.cause if status != "RUNNING" else None,
        "redriveCount": int(getattr(execution, "redrive_count", 0)),
        "redriveDate": _epoch_ms(getattr(execution, "redrive_date", None)),
        "redriveStatus": "NOT_REDRIVABLE" if reason else "REDRIVABLE",
        "redriveStatusReason": reason,
    }


def publish(execution: Any) -> None:
    """Send the execution's current status to the default bus of its account and region."""
    if str(getattr(execution, "sm_type", "STANDARD")).upper().endswith("EXPRESS"):
        return  # Express workflows do not emit status-change events
    backend = events_backends[execution.account_id][execution.region_name]
    backend.put_events([{"Source": "aws.states", "DetailType": DETAIL_TYPE, "Resources": [execution.exec_arn],
                         "Detail": json.dumps(_detail(execution), default=str)}])


def _on_start(original: Any) -> Any:
    @functools.wraps(original)
    def start(self: Execution) -> None:
        original(self)
        publish(self)

    return start


def _on_end(original: Any) -> Any:
    @functools.wraps(original)
    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original(self)
        execution = self.execution
        if execution.status == "SUCCEEDED":
            redrive.forget(execution.exec_arn)  # a succeeded execution is never redriven
        publish(execution)

    return terminated


def _deliver(account_id: str, function_arn: str, event: dict[str, Any]) -> None:
    """An asynchronous invocation, retried with backoff when the function fails."""
    body = json.dumps(event, default=str)
    for attempt in range(DELIVERY_ATTEMPTS):
        headers: dict[str, str] = {}
        try:
            result = lambda_backend(account_id, function_arn.split(":")[3]).invoke(
                function_name=function_arn, qualifier=None, body=body,
                headers={"x-amz-invocation-type": "Event"}, response_headers=headers)
            if "x-amz-function-error" not in headers:
                return
            LOG.warning("%s failed on event %s (attempt %d): %s", function_arn, event.get("id"), attempt + 1,
                        str(result)[:500])
        except Exception as exc:  # any failed delivery is retried, as on AWS
            LOG.warning("delivery to %s failed (attempt %d): %s", function_arn, attempt + 1, exc)
        time.sleep(FIRST_BACKOFF_S * 2**attempt)
    LOG.error("gave up delivering event %s to %s", event.get("id"), function_arn)


def _lambda_targets(original: Any) -> Any:
    @functools.wraps(original)
    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression and not self.event_pattern._pattern:
            return None  # a schedule rule matches no event (moto's empty pattern would match them all)
        lambdas = [t for t in self.targets if ":lambda:" in t["Arn"]]
        if not lambdas:
            return original(self, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):
            return None
        others = [t for t in self.targets if t not in lambdas]
        if others:
            saved, self.targets = self.targets, others
            try:
                original(self, original_event, transform_input)
            finally:
                self.targets = saved
        for target in lambdas:
            threading.Thread(target=_deliver, args=(self.account_id, target["Arn"], dict(original_event)),
                             daemon=True, name="eventbridge-delivery").start()
        return None

    return send_to_targets


@functools.lru_cache(maxsize=1)
def install() -> None:
    Execution.start = _on_start(Execution.start)  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = _on_end(  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication.terminated)
    Rule.send_to_targets = _lambda_targets(Rule.send_to_targets)  # type: ignore[method-assign]
