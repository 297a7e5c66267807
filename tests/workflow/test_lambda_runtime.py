"""The embedded Lambda runtime behaves as Lambda does: concurrent invocations of one function run side by side in
execution environments of their own, a warm one is reused, a timeout stops its environment, and every failure
carries the name AWS gives it.

AWS references: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html (each concurrent invocation
runs in an execution environment of its own; one environment runs one invocation at a time and is reused),
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (the environment is stopped at a
timeout), https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html (service errors
reach the state machine as `Lambda.<code>`; the ASL retries them).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import TERMINAL
from tests.workflow.test_workflow import start

pytestmark = pytest.mark.workflow

PROBE = "tests.workflow.probe_handler.handler"


def fake_function(handler: str = PROBE, name: str = "probe", timeout: float = 120) -> Any:
    return SimpleNamespace(function_name=name, handler=handler, environment_vars={}, memory_size=128,
                           function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}", timeout=timeout)


def call(runtime: Any, event: dict[str, Any], **function: Any) -> tuple[dict[str, Any], bool]:
    payload, errored, _ = runtime.invoke(fake_function(**function), event)
    return json.loads(payload), errored


def test_concurrent_invocations_of_one_function_run_side_by_side_in_sandboxes_of_their_own(stack, runtime,
                                                                                          tmp_path):
    """Seven invocations, each waiting for all seven to have started: they only all finish together if they run
    at the same time (one at a time, each would wait for the others in vain until its deadline)."""
    with ThreadPoolExecutor(7) as pool:
        answers = list(pool.map(lambda _: call(runtime, {"gather": str(tmp_path), "expect": 7}), range(7)))

    assert all(not errored for _, errored in answers), answers
    assert all(answer["together"] for answer, _ in answers), answers
    assert len({answer["pid"] for answer, _ in answers}) == 7  # seven environments, one invocation each


def test_a_warm_sandbox_is_reused_with_its_module_state(stack, runtime):
    first, _ = call(runtime, {}, name="probe-warm")
    second, _ = call(runtime, {}, name="probe-warm")
    assert (second["pid"], second["module_loaded_at"]) == (first["pid"], first["module_loaded_at"])


def test_each_invocation_sees_exactly_its_functions_environment(stack, runtime):
    """A local override removed since the last invocation is gone from the warm sandbox too."""
    runtime.overrides["PROBE_VAR"] = "set"
    seen, _ = call(runtime, {}, name="probe-env")
    del runtime.overrides["PROBE_VAR"]
    then, _ = call(runtime, {}, name="probe-env")
    assert (seen["probe_var"], then["probe_var"], then["pid"]) == ("set", None, seen["pid"])


def test_a_timeout_stops_the_sandbox_and_the_next_invocation_starts_a_fresh_one(stack, runtime):
    before, _ = call(runtime, {}, name="probe-timeout", timeout=1)
    answer, errored = call(runtime, {"sleep": 60}, name="probe-timeout", timeout=1)
    assert errored and answer["errorType"] == "Sandbox.Timedout"
    assert answer["errorMessage"] == "Task timed out after 1.00 seconds"
    after, errored = call(runtime, {}, name="probe-timeout", timeout=120)
    assert not errored and after["pid"] != before["pid"]


def test_a_sandbox_that_dies_fails_its_invocation_as_unknown_and_the_function_recovers(stack, runtime):
    answer, errored = call(runtime, {"exit": True}, name="probe-exit")
    assert errored and answer["errorType"] == "Lambda.Unknown"
    assert not call(runtime, {}, name="probe-exit")[1]


def test_a_handler_that_cannot_be_imported_fails_as_lambda_names_it(stack, runtime):
    answer, errored = call(runtime, {}, handler="tests.workflow.no_such_module.handler", name="probe-import")
    assert errored and answer["errorType"] == "Runtime.ImportModuleError"
    assert "tests.workflow.no_such_module" in answer["errorMessage"]


def test_concurrent_first_invocations_of_a_cold_stack_all_get_the_handlers_answer(stack, runtime):
    """Every sandbox and the zygote stopped: seven agents invoked at once through the Lambda API. Each answer is
    the handler's own (its validation error for an empty event), never a half-imported module's error, a
    service error, or moto's HTML error page."""
    runtime.close()
    lam = stack.client("lambda")
    function = next(p for p, logical in runtime.logical_names.items() if logical == "AgentFunction")

    def invoke(_: int) -> tuple[str | None, dict[str, Any]]:
        result = lam.invoke(FunctionName=function, Payload=b"{}")
        return result.get("FunctionError"), json.loads(result["Payload"].read())

    with ThreadPoolExecutor(7) as pool:
        answers = list(pool.map(invoke, range(7)))

    assert all(error for error, _ in answers), answers
    error_types = {payload["errorType"] for _, payload in answers}
    assert len(error_types) == 1, answers
    assert error_types.pop() not in ("AttributeError", "Lambda.ServiceException", "Lambda.Unknown", "Exception")


def test_a_transient_lambda_service_error_is_named_as_on_aws_and_retried(target, seed, runtime):
    """The Lambda service fails one Prepare invocation: the state machine sees `Lambda.ServiceException`, its
    Retry re-invokes, and the run goes on to the duty manager."""
    from skymarshal_local.emulator.runtime import ServiceError

    failed_once: list[bool] = []

    def lambda_service_hiccup(function: str, event: dict[str, Any]) -> ServiceError | None:
        if function == "PrepareFunction" and not failed_once:
            failed_once.append(True)
            return ServiceError("ServiceException", "Lambda is having a moment (injected)")
        return None

    runtime.faults.append(lambda_service_hiccup)
    seed("ey123-technical-delay")
    _, arn = start(target, "ey123-technical-delay")

    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"
    failures = [e["lambdaFunctionFailedEventDetails"] for e in target.history(arn)
                if e["type"] == "LambdaFunctionFailed"]
    assert [f["error"] for f in failures] == ["Lambda.ServiceException"]
    assert "<" not in failures[0].get("cause", "")  # a message, not an HTML page
    assert runtime.invocations[("PrepareFunction", "", 0)] == 2
