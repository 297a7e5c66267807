"""RedriveExecution answered by the embedded stack, as AWS answers it.

moto 5.2.5 does not implement RedriveExecution (`NotImplementedError`). `install()` (called by the embedded
stack before its server starts) teaches moto's Step Functions endpoint to answer it, so
`aws stepfunctions redrive-execution --execution-arn ARN --endpoint-url http://127.0.0.1:PORT` and boto3's
`redrive_execution` work locally exactly as they are called on AWS. `skymarshal redrive` calls that API
(skymarshal_local.operations.redrive), on AWS and locally alike.

How a local redrive works
-------------------------
- Only a STANDARD execution whose status is FAILED, TIMED_OUT or ABORTED can be redriven; anything else gets
  the AWS error `ExecutionNotRedrivable` (so does an execution that stopped more than 14 days ago, or one
  redriven 1000 times). An unknown ARN gets `ExecutionDoesNotExist`. The response is `{"redriveDate": ...}`.
  The `clientToken` parameter is honoured: the same token again returns the first answer without redriving.
- The new attempt keeps the execution's name and ARN and replaces the failed attempt behind that ARN:
  DescribeExecution reports the new attempt's status plus `redriveCount`, `redriveDate`, `redriveStatus` and
  the original input; GetExecutionHistory returns every event of the earlier attempt(s), an `ExecutionRedriven`
  event (`executionRedrivenEventDetails.redriveCount`), then the new attempt's events, numbered consecutively;
  `$$.Execution.Id` is the original ARN, so the thread record, approval and task token keep pointing at it.
- Like AWS, the new attempt starts at the unsuccessful state: the top-level state that was entered and never
  exited in the last attempt, with the input it was entered with (read from the execution history), using
  the definition the first attempt ran with. States that had succeeded are not run again.
- Inside a failed Map (the agents' phases), every iteration runs again; each agent task is keyed by Powertools
  idempotency on (thread, phase, agent, the event/snapshot/options checkpoint ids, the peers' view ids) and
  returns its stored AgentSummary with `reused: true` without running the agent, so only the agent that failed
  computes again. If PrepareDisruption itself is redriven it returns the thread's existing `start`,
  `snapshot` and `options` checkpoints rather than new ones (so those keys still match).
- The thread goes from `failed` back to `active` when `operations.redrive.redrive()` redrives it
  (compare-and-swap), and in any case when the redriven run reaches arbitration (or PrepareDisruption), on AWS
  and locally.

How that differs from AWS
-------------------------
1. Inline Map: AWS re-runs only the iterations that failed or were aborted; locally every iteration of the
   failed Map runs again, so finished agents are *invoked* again and answer from their idempotency record in
   milliseconds (`reused: true`). Lambda invocation counts therefore differ (AWS: only the failed agent;
   local: all seven agents of that phase); agent *computations* (agent_complete checkpoints) are the same.
2. The redriven attempt is a new run of the interpreter starting at the failed top-level state with that
   state's recorded input; `$$.Execution.Input` inside it is that state input, not the original execution
   input (the workflow does not read it). `$$.Execution.StartTime` and `startDate` stay the original's.
3. Execution history: equivalent merged history (ExecutionRedriven between attempts, consecutive ids), but
   the re-run Map's succeeded iterations appear again in the second attempt.
4. Limits: status, STANDARD type, the 14-day window (from the stop date) and the 1000-redrive cap are
   checked; AWS's other refusals (history over 25,000 events, failures from definition or data-size errors such
   as `States.DataLimitExceeded`) are not.
5. State is in memory only: the embedded stack keeps executions, tables and buckets in its process, so a
   redrive must happen in the same `skymarshal serve` / test process; there is no restart-and-redrive locally.
6. `ListExecutions` lists the newest attempt only, without `redriveCount`/`redriveDate`.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import threading
from typing import Any

REDRIVE_WINDOW = datetime.timedelta(days=14)
MAX_REDRIVES = 1000
REDRIVABLE = {"FAILED", "TIMED_OUT", "ABORTED"}
_LOCK = threading.Lock()
# moto is imported inside the functions below: it is slow to import and only the started stack needs it.


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def _errors() -> tuple[type[Exception], type[Exception]]:
    from moto.core.exceptions import AWSError  # on use: moto is slow to import

    class ExecutionNotRedrivable(AWSError):
        TYPE = "ExecutionNotRedrivable"
        STATUS = 400

    class ExecutionDoesNotExist(AWSError):
        TYPE = "ExecutionDoesNotExist"
        STATUS = 400

    return ExecutionNotRedrivable, ExecutionDoesNotExist


def _find(backend: Any, execution_arn: str) -> tuple[Any, Any]:
    for sm in backend.state_machines:
        for execution in sm.executions:
            if execution.execution_arn == execution_arn:
                return sm, execution
    return None, None


def redrive_in_backend(backend: Any, execution_arn: str, client_token: str | None = None) -> dict[str, Any]:
    """RedriveExecution against moto's (executing) Step Functions backend. See the module docstring."""
    from moto.stepfunctions.parser.backend.execution import Execution  # on use: moto is slow to import

    not_redrivable, does_not_exist = _errors()
    with _LOCK:
        sm, old = _find(backend, execution_arn)
        if old is None:
            raise does_not_exist(f"Execution Does Not Exist: '{execution_arn}'")
        if client_token and getattr(old, "redrive_client_token", None) == client_token:
            return {"redriveDate": old.redrive_date}
        reason = not_redrivable_reason(old)
        if reason:
            raise not_redrivable(reason)
        now = _now()
        state_machine, state_input, resumed_at = _resume_at_failed_state(old)
        new: Any = Execution(
            name=old.name,
            sm_type=old.sm_type,
            role_arn=old.role_arn,
            exec_arn=old.exec_arn,
            account_id=old.account_id,
            region_name=old.region_name,
            state_machine=state_machine,  # the definition snapshot the first attempt ran with
            start_date=old.start_date,  # AWS keeps the original start date; redriveDate says when
            cloud_watch_logging_session=None,
            input_data=state_input,
            trace_header=old.trace_header,
            activity_store={},
        )
        new.redrive_count = getattr(old, "redrive_count", 0) + 1
        new.redrive_date = now
        new.redrive_client_token = client_token
        new.redriven_from_state = resumed_at
        new.previous_attempts = [*getattr(old, "previous_attempts", []), old]
        sm.executions[sm.executions.index(old)] = new
        new.start()
        # DescribeExecution shows the execution's own input, as on AWS (the worker already has the state input)
        new.input_data, new.execution_input = old.input_data, old.execution_input
    return {"redriveDate": now}


def _resume_at_failed_state(old: Any) -> tuple[Any, str, str]:
    """(state machine to run, its input, the top-level state it starts at): the top-level state that was
    entered and never exited in the last attempt, with the input it was entered with; else StartAt."""
    definition = json.loads(old.state_machine.definition)
    top = set(definition.get("States", {}))
    open_states: dict[str, str] = {}
    for event in old.to_history_output()["events"]:
        entered, exited = event.get("stateEnteredEventDetails"), event.get("stateExitedEventDetails")
        if entered and entered.get("name") in top:
            open_states[entered["name"]] = entered.get("input", "{}")
        elif exited and exited.get("name") in top:
            open_states.pop(exited["name"], None)
    if not open_states:
        return old.state_machine, old.execution_input, definition["StartAt"]
    name, state_input = list(open_states.items())[-1]
    if name == definition["StartAt"]:
        return old.state_machine, old.execution_input, name
    clone = copy.deepcopy(old.state_machine, {id(old.state_machine.executions): [],
                                              id(getattr(old.state_machine, "backend", None)): getattr(
                                                  old.state_machine, "backend", None)})
    clone.definition = json.dumps({**definition, "StartAt": name})
    return clone, state_input, name


def not_redrivable_reason(execution: Any) -> str | None:
    status = execution.status
    if str(getattr(execution, "sm_type", "STANDARD")).upper().endswith("EXPRESS"):
        return "Execution of an EXPRESS state machine cannot be redriven"
    if status not in REDRIVABLE:
        return f"Execution with status {status} cannot be redriven; only FAILED, TIMED_OUT or ABORTED executions can"
    if execution.stop_date and _now() - execution.stop_date > REDRIVE_WINDOW:
        return "Execution stopped more than 14 days ago cannot be redriven"
    if getattr(execution, "redrive_count", 0) >= MAX_REDRIVES:
        return f"Execution has been redriven {MAX_REDRIVES} times"
    return None


def merged_history(execution: Any) -> list[dict[str, Any]]:
    """Every attempt's events, an ExecutionRedriven event between attempts, ids renumbered."""
    attempts = [*getattr(execution, "previous_attempts", []), execution]
    events: list[dict[str, Any]] = []
    for n, attempt in enumerate(attempts):
        offset = len(events)
        if n:
            offset += 1
            events.append({
                "id": offset, "previousEventId": offset - 1, "type": "ExecutionRedriven",
                "timestamp": getattr(attempt, "redrive_date", attempt.start_date),
                "executionRedrivenEventDetails": {"redriveCount": n},
            })
        for event in attempt.to_history_output()["events"]:
            event = dict(event)
            event["id"] = int(event["id"]) + offset
            if "previousEventId" in event:
                event["previousEventId"] = int(event["previousEventId"]) + offset  # 0 -> the redriven event
            events.append(event)
    return events


@functools.lru_cache(maxsize=1)
def install() -> None:
    """Teach moto's Step Functions endpoint RedriveExecution (+ redrive fields in Describe/History)."""
    from moto.core.responses import ActionResult  # on use: moto is slow to import
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # on use: moto is slow to import
    from moto.stepfunctions.responses import StepFunctionResponse  # on use: moto is slow to import

    def redrive_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        result = redrive_in_backend(self.stepfunction_backend, arn, self._get_param("clientToken"))
        return ActionResult(result)

    StepFunctionResponse.redrive_execution = redrive_execution  # type: ignore[attr-defined]

    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        arn = self._get_param("executionArn")
        execution = self.stepfunction_backend.describe_execution(arn)
        body: dict[str, Any] = dict(result.result)  # type: ignore[call-overload]
        if getattr(execution, "redrive_count", 0):
            body["redriveCount"] = execution.redrive_count
            body["redriveDate"] = execution.redrive_date
        if execution.status in REDRIVABLE or execution.status in ("SUCCEEDED", "RUNNING"):
            reason = not_redrivable_reason(execution)
            body["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
            if reason:
                body["redriveStatusReason"] = reason
        return ActionResult(body)

    StepFunctionResponse.describe_execution = describe_execution  # type: ignore[method-assign]

    original_history = StepFunctionsParserBackend.get_execution_history

    def get_execution_history(self: Any, execution_arn: str) -> Any:
        execution = self.describe_execution(execution_arn=execution_arn)
        if not getattr(execution, "previous_attempts", None):
            return original_history(self, execution_arn)
        return {"events": merged_history(execution)}

    StepFunctionsParserBackend.get_execution_history = get_execution_history  # type: ignore[method-assign]
