"""Shared fixtures. Workflow tests run the real ASL and the real handlers on the embedded stack (moto)."""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
for sub in ("functions", "local"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))

EVENTS = ROOT / "events"
SCENARIOS = ROOT / "data" / "scenarios"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    from skymarshal_local.emulator.stack import EmbeddedStack

    s = EmbeddedStack(parameters={"ApprovalTimeoutSeconds": "3600"}).start()
    yield s
    s.stop()


@pytest.fixture
def runtime(stack: Any) -> Iterator[Any]:
    """The embedded Lambda runtime: inject faults, count invocations; cleaned after each test."""
    from skymarshal_local.emulator.runtime import RUNTIME

    RUNTIME.reset_counters()
    saved = dict(RUNTIME.overrides)
    yield RUNTIME
    RUNTIME.faults.clear()
    RUNTIME.overrides = saved


@pytest.fixture
def target(stack: Any) -> Any:
    from skymarshal_local.target import Target

    return Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from events/, with a unique event id so every test runs its own thread."""
    data = json.loads((EVENTS / f"{name}.json").read_text())
    data["event_id"] = f"{data['event_id']}-{uuid.uuid4().hex[:8]}"
    data.update(overrides)
    return data


def settle(stack: Any, timeout: float = 300) -> None:
    """The stack is shared by the tests of a worker: stop every workflow an earlier test left running and wait
    until no handler runs. A leftover thread that reaches its approval request after the next test loaded its
    operation would hold that operation's resources (its flight, its spare tail) and supersede the next test's
    own decision. Two quiet looks in a row: a workflow ending meanwhile may start a re-plan."""
    import time

    from skymarshal_local.emulator.runtime import RUNTIME

    sfn = stack.client("stepfunctions")
    machine = stack.outputs["StateMachineArn"]
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 2:
        running = [e["executionArn"]
                   for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine,
                                                                                statusFilter="RUNNING")
                   for e in page["executions"]]
        for arn in running:
            with contextlib.suppress(sfn.exceptions.ExecutionDoesNotExist):
                sfn.stop_execution(executionArn=arn, error="TestIsolation", cause="left running by an earlier test")
        quiet = quiet + 1 if not running and not RUNTIME.running() else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the stack did not settle in {timeout:.0f}s: {len(running)} running, "
                               f"{RUNTIME.running()} invocations")
        time.sleep(0.05)


def fresh_operation(stack: Any, dataset: Any) -> Any:
    """Settle the shared stack, then replace the operation (the ops-data table, holds included) by `dataset`."""
    from skymarshal_local.operations.seed import replace_ops_data

    settle(stack)
    replace_ops_data(stack.outputs["OpsDataTableName"], dataset)
    return dataset


@pytest.fixture
def seed(stack: Any) -> Any:
    """Load a hand-made scenario dataset (data/scenarios/NAME.json) into the ops-data table, on a settled stack."""
    from skymarshal.domain.operation import OpsDataset

    def _seed(name: str) -> OpsDataset:
        dataset = OpsDataset.model_validate_json((SCENARIOS / f"{name}.json").read_text())
        return fresh_operation(stack, dataset)

    return _seed
