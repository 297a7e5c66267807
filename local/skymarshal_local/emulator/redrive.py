"""RedriveExecution inside moto's Step Functions engine, rule by rule as the AWS documentation describes it.

moto 5.2.5 answers RedriveExecution with `NotImplementedError`, and its inline Map does not stop the sibling
iterations of a failed one. `install()` supplies both, following "Redriving executions" in the AWS Step
Functions Developer Guide (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html) and
the RedriveExecution API reference (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):

- only a STANDARD execution that is FAILED, TIMED_OUT or ABORTED, stopped less than 14 days ago and redriven
  fewer than 1,000 times can be redriven (`ExecutionNotRedrivable` otherwise; `ExecutionDoesNotExist` for an
  unknown ARN); the same `clientToken` twice redrives once;
- the execution keeps its ARN, name, start date and input (`$$.Execution.Input` too); DescribeExecution reports
  `redriveCount` and `redriveDate`; the history gets an `ExecutionRedriven` event between the attempts;
- the redriven attempt "continues the failed execution from the unsuccessful step": the top-level state that
  was entered and never left, with the input it was entered with; states that succeeded are not run again;
  a Fail state re-entered fails again;
- for an inline Map or a Parallel state, it "reschedules and redrives only the iterations and branches that
  failed or aborted"; each of those continues from the state that failed (or was running) inside it, with that
  state's input; iterations that succeeded keep their output and are not run again;
- a failed iteration of an inline Map makes the Map fail and aborts the iterations still running
  (`MapIterationAborted`), as on AWS ("If any iteration fails, the Map state fails and all iterations are
  stopped"; moto lets them run on).

How: every attempt records, while it runs, which state each scope (the top level, each Map iteration, each
Parallel branch, keyed by their path of (state name, index)) entered last with which input, and how it ended
(the output of a succeeded iteration or branch). A redrive turns the last attempt's record into the plan of the
next attempt, which the patched engine consults where a scope starts. Written by hand: no library implements
RedriveExecution for a local ASL engine, and moto's engine has no hook for it.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    inline_iteration_component,
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branch_worker, branches_decl
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

REDRIVE_WINDOW = datetime.timedelta(days=14)
MAX_REDRIVES = 1000
REDRIVABLE = {"FAILED", "TIMED_OUT", "ABORTED"}
_LOCK = threading.RLock()

Path = tuple[tuple[str, int], ...]


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


class ExecutionDoesNotExist(AWSError):
    TYPE = "ExecutionDoesNotExist"
    STATUS = 400


@dataclass
class Scope:
    """How one scope (an iteration, a branch, the top level) ended, or where it is while it runs."""

    status: str  # running | succeeded | failed | aborted
    output: Any = None
    env: Any = None  # while running: its frame, whose last entered state is where a redrive resumes

    def resume_point(self) -> tuple[str, Any] | None:
        entered = getattr(self.env, "_sm_entered", None)
        return (entered[0], copy.deepcopy(entered[1])) if entered else None


@dataclass
class Attempt:
    """What one attempt of an execution did, scope by scope; the plan of the next attempt after a redrive."""

    scopes: dict[Path, Scope] = field(default_factory=dict)
    resume: dict[Path, tuple[str, Any] | None] = field(default_factory=dict)  # filled when it becomes a plan

    def as_plan(self) -> Attempt:
        plan = Attempt()
        for path, scope in self.scopes.items():
            if scope.status == "succeeded":
                plan.scopes[path] = Scope("succeeded", copy.deepcopy(scope.output))
            else:  # failed, aborted, or still running when the execution ended: continue it where it was
                plan.scopes[path] = Scope(scope.status)
                plan.resume[path] = scope.resume_point()
        return plan


_ATTEMPTS: dict[str, Attempt] = {}  # execution ARN -> the attempt running (or last run) behind it
_PLANS: dict[str, Attempt] = {}  # execution ARN -> the plan its current (redriven) attempt follows


def _arn(env: Environment) -> str:
    return str(env.states.context_object.context_object_data["Execution"]["Id"])


def _path(env: Environment) -> Path:
    return getattr(env, "_sm_path", ())


# ----------------------------------------------------------------------------------------------
# Recording: where each scope is, and how it ended
# ----------------------------------------------------------------------------------------------
def _note_state_entered(original: Any) -> Any:
    @functools.wraps(original)
    def _eval_body(self: CommonStateField, env: Environment) -> None:
        # get_input() returns a copy of the state's input (moto's States._extract)
        env._sm_entered = (self.name, env.states.get_input())  # type: ignore[attr-defined]
        original(self, env)

    return _eval_body


def _frames_inherit_path(original: Any) -> Any:
    """A frame (iteration, branch) knows its scope path and the state that opened it."""

    @functools.wraps(original)
    def as_inner_frame_of(cls: Any, env: Environment, *args: Any, **kwargs: Any) -> Environment:
        frame = original.__func__(cls, env, *args, **kwargs)
        frame._sm_path = _path(env)
        entered = getattr(env, "_sm_entered", None)
        frame._sm_owner = entered[0] if entered else getattr(env, "_sm_owner", None)
        return frame

    return classmethod(as_inner_frame_of)


class _ResumeAt:
    """A program that starts at `state` with `state_input` instead of at StartAt with the scope's input."""

    def __init__(self, program: Any, state: str, state_input: Any) -> None:
        self._program = copy.copy(program)
        self._program.start_at = StartAt(state)
        self._input = state_input

    def eval(self, env: Environment) -> None:
        env.states.reset(input_value=copy.deepcopy(self._input))
        self._program.eval(env)


def _scope(env: Environment, path: Path) -> tuple[Attempt | None, Attempt | None]:
    arn = _arn(env)
    with _LOCK:
        return _ATTEMPTS.get(arn), _PLANS.get(arn)


def _planned(plan: Attempt | None, path: Path) -> tuple[Scope | None, tuple[str, Any] | None]:
    if plan is None:
        return None, None
    with _LOCK:
        scope = plan.scopes.pop(path, None)  # consumed once: a Map visited again runs afresh
        return scope, plan.resume.pop(path, None)


def _ended(env: Environment, failed: bool) -> str:
    state = env.program_state()
    if isinstance(state, ProgramStopped):
        return "aborted"
    return "failed" if failed or isinstance(state, ProgramError) else "succeeded"


def _map_iteration(original: Any) -> Any:
    """Inline Map iteration: skip it if it succeeded in the attempt being redriven, continue it where it failed
    or was aborted, and record how it ends."""

    @functools.wraps(original)
    def _eval_job(self: Any, env: Environment, job: Any) -> None:
        path = (*_path(env), (str(getattr(env, "_sm_owner", self._work_name)), int(job.job_index)))
        env._sm_path = path  # type: ignore[attr-defined]
        attempt, plan = _scope(env, path)
        planned, resume = _planned(plan, path)
        if planned is not None and planned.status == "succeeded":
            job.job_output = planned.output  # not rescheduled: no events, the output it had
            if attempt is not None:
                attempt.scopes[path] = Scope("succeeded", planned.output)
            return
        if resume is not None:
            job.job_program = _ResumeAt(job.job_program, *resume)
        if attempt is not None:
            attempt.scopes[path] = Scope("running", env=env)
        original(self, env, job)
        if attempt is not None:
            failed = isinstance(job.job_output, Exception)
            status = _ended(env, failed)
            attempt.scopes[path] = Scope(status, output=None if failed else copy.deepcopy(job.job_output), env=env)

    return _eval_job


def _map_aborts_siblings(original: Any) -> Any:
    """When one iteration fails, the Map fails and the iterations still running are stopped (aborted)."""

    @functools.wraps(original)
    def _eval_body(self: Any, env: Environment) -> None:
        try:
            original(self, env)
        except Exception:
            now = datetime.datetime.now(tz=datetime.UTC)
            for frame in list(env._frames):
                frame.set_stop(stop_date=now, cause="Another iteration of the Map state failed.", error=None)
            raise

    return _eval_body


def _parallel_indexes(original: Any) -> Any:
    @functools.wraps(original)
    def _eval_body(self: Any, env: Environment) -> None:
        for index, program in enumerate(self.programs):
            program._sm_branch_index = index
        original(self, env)

    return _eval_body


def _parallel_branch(original: Any) -> Any:
    """Parallel branch: as a Map iteration (skip if it succeeded, continue where it failed, record)."""

    @functools.wraps(original)
    def _thread_routine(self: Any) -> None:
        env = self.env
        path = (*_path(env), (str(getattr(env, "_sm_owner", "Parallel")), int(self._program._sm_branch_index)))
        env._sm_path = path
        attempt, plan = _scope(env, path)
        planned, resume = _planned(plan, path)
        if planned is not None and planned.status == "succeeded":
            env.states.reset(input_value=copy.deepcopy(planned.output))
            if attempt is not None:
                attempt.scopes[path] = Scope("succeeded", planned.output)
            self._branch_worker_comm.on_terminated(env=env)
            return
        if resume is not None:
            self._program = _ResumeAt(self._program, *resume)
        if attempt is not None:
            attempt.scopes[path] = Scope("running", env=env)
        original(self)
        if attempt is not None:
            status = _ended(env, False)
            output = copy.deepcopy(env.states.get_input()) if status == "succeeded" else None
            attempt.scopes[path] = Scope(status, output=output, env=env)

    return _thread_routine


def _top_level(original: Any) -> Any:
    """A redriven attempt starts at the top-level state that did not succeed, with the input it had."""

    @functools.wraps(original)
    def _get_evaluation_entrypoint(self: ExecutionWorker) -> Any:
        program = original(self)
        arn = str(self._evaluation_details.execution_details.arn)
        with _LOCK:
            attempt = _ATTEMPTS[arn] = Attempt()
            plan = _PLANS.get(arn)
            resume = plan.resume.pop((), None) if plan else None
        attempt.scopes[()] = Scope("running", env=None)
        self._sm_attempt = attempt
        return _ResumeAt(program, *resume) if resume else program

    return _get_evaluation_entrypoint


def _top_level_env(original: Any) -> Any:
    @functools.wraps(original)
    def _get_evaluation_environment(self: ExecutionWorker) -> Environment:
        env = original(self)
        attempt = getattr(self, "_sm_attempt", None)
        if attempt is not None:
            attempt.scopes[()] = Scope("running", env=env)
        return env

    return _get_evaluation_environment


# ----------------------------------------------------------------------------------------------
# The RedriveExecution API
# ----------------------------------------------------------------------------------------------
def now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def not_redrivable_reason(execution: Any) -> str | None:
    status = execution.status
    if str(getattr(execution, "sm_type", "STANDARD")).upper().endswith("EXPRESS"):
        return "Execution of an EXPRESS state machine cannot be redriven"
    if status not in REDRIVABLE:
        return f"Execution with status {status} cannot be redriven; only FAILED, TIMED_OUT or ABORTED executions can"
    if execution.stop_date and now() - execution.stop_date > REDRIVE_WINDOW:
        return "Execution stopped more than 14 days ago cannot be redriven"
    if getattr(execution, "redrive_count", 0) >= MAX_REDRIVES:
        return f"Execution has been redriven {MAX_REDRIVES} times"
    return None


def _find(backend: Any, execution_arn: str) -> tuple[Any, Any]:
    for sm in backend.state_machines:
        for execution in sm.executions:
            if execution.execution_arn == execution_arn:
                return sm, execution
    return None, None


def redrive_in_backend(backend: Any, execution_arn: str, client_token: str | None = None) -> dict[str, Any]:
    """RedriveExecution against moto's executing Step Functions backend."""
    with _LOCK:
        sm, old = _find(backend, execution_arn)
        if old is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution_arn}'")
        if client_token and getattr(old, "redrive_client_token", None) == client_token:
            return {"redriveDate": old.redrive_date}
        reason = not_redrivable_reason(old)
        if reason:
            raise ExecutionNotRedrivable(reason)
        last = _ATTEMPTS.get(execution_arn)
        _PLANS[execution_arn] = last.as_plan() if last is not None else _plan_from_history(old)
        redrive_date = now()
        new: Any = Execution(
            name=old.name,
            sm_type=old.sm_type,
            role_arn=old.role_arn,
            exec_arn=old.exec_arn,
            account_id=old.account_id,
            region_name=old.region_name,
            state_machine=old.state_machine,  # the definition the first attempt ran with
            start_date=old.start_date,  # AWS keeps the original start date; redriveDate says when
            cloud_watch_logging_session=None,
            input_data=old.execution_input,
            trace_header=old.trace_header,
            activity_store={},
        )
        new.redrive_count = getattr(old, "redrive_count", 0) + 1
        new.redrive_date = redrive_date
        new.redrive_client_token = client_token
        new.previous_attempts = [*getattr(old, "previous_attempts", []), old]
        sm.executions[sm.executions.index(old)] = new
        new.start()
    return {"redriveDate": redrive_date}


def _plan_from_history(execution: Any) -> Attempt:
    """For an execution whose attempt this process did not run (restored from a state directory after a
    restart): resume at the top-level state entered and never left, with the input it was entered with, read
    from the execution history. Its Map iterations are unknown here, so a Map re-runs all of them (the agents
    answer from their idempotency records: nothing finished is computed again)."""
    top_level = set(json.loads(execution.state_machine.definition).get("States", {}))
    open_states: dict[str, Any] = {}
    for event in execution.to_history_output()["events"]:
        entered, exited = event.get("stateEnteredEventDetails"), event.get("stateExitedEventDetails")
        if entered and entered.get("name") in top_level:
            open_states[entered["name"]] = json.loads(entered.get("input") or "{}")
        elif exited and exited.get("name") in top_level:
            open_states.pop(exited["name"], None)
    plan = Attempt()
    if open_states:
        name, state_input = list(open_states.items())[-1]
        plan.resume[()] = (name, state_input)
    return plan


def merged_history(execution: Any) -> list[dict[str, Any]]:
    """Every attempt's events, an ExecutionRedriven event between attempts (in place of the later attempts'
    ExecutionStarted), ids renumbered consecutively."""
    attempts = [*getattr(execution, "previous_attempts", []), execution]
    events: list[dict[str, Any]] = []
    for n, attempt in enumerate(attempts):
        renumber: dict[int, int] = {0: len(events)}
        for event in attempt.to_history_output()["events"]:
            event = dict(event)
            old_id = int(event["id"])
            if n and event["type"] == "ExecutionStarted":
                event = {"type": "ExecutionRedriven", "timestamp": getattr(attempt, "redrive_date", None),
                         "executionRedrivenEventDetails": {"redriveCount": n}}
            event["id"] = renumber[old_id] = len(events) + 1
            if n and event["type"] == "ExecutionRedriven":
                event["previousEventId"] = len(events)
            elif "previousEventId" in event:
                event["previousEventId"] = renumber.get(int(event["previousEventId"]), len(events))
            events.append(event)
    return events


def forget(execution_arn: str) -> None:
    """A succeeded execution can never be redriven: drop its records."""
    with _LOCK:
        _ATTEMPTS.pop(execution_arn, None)
        _PLANS.pop(execution_arn, None)


@functools.lru_cache(maxsize=1)
def install_engine() -> None:
    """Patch moto's ASL interpreter: record every scope, follow a redrive plan, abort a failed Map's siblings."""
    CommonStateField._eval_body = _note_state_entered(CommonStateField._eval_body)  # type: ignore[method-assign]
    Environment.as_inner_frame_of = _frames_inherit_path(Environment.as_inner_frame_of)  # type: ignore[method-assign]
    worker = iteration_worker.IterationWorker
    worker._eval_job = _map_iteration(worker._eval_job)  # type: ignore[method-assign]
    inline = inline_iteration_component.InlineIterationComponent
    inline._eval_body = _map_aborts_siblings(inline._eval_body)  # type: ignore[method-assign]
    branches = branches_decl.BranchesDecl
    branches._eval_body = _parallel_indexes(branches._eval_body)  # type: ignore[method-assign]
    branch = branch_worker.BranchWorker
    branch._thread_routine = _parallel_branch(branch._thread_routine)  # type: ignore[method-assign]
    ExecutionWorker._get_evaluation_entrypoint = _top_level(  # type: ignore[method-assign]
        ExecutionWorker._get_evaluation_entrypoint)
    ExecutionWorker._get_evaluation_environment = _top_level_env(  # type: ignore[method-assign]
        ExecutionWorker._get_evaluation_environment)


@functools.lru_cache(maxsize=1)
def install() -> None:
    """RedriveExecution on moto's Step Functions endpoint (+ redrive fields in DescribeExecution and the merged
    history in GetExecutionHistory), over the patched engine."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    install_engine()

    def redrive_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        return ActionResult(redrive_in_backend(self.stepfunction_backend, arn, self._get_param("clientToken")))

    StepFunctionResponse.redrive_execution = redrive_execution  # type: ignore[attr-defined]
    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        body: dict[str, Any] = dict(original_describe(self).result)  # type: ignore[call-overload]
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if getattr(execution, "redrive_count", 0):
            body["redriveCount"] = execution.redrive_count
            body["redriveDate"] = execution.redrive_date
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
