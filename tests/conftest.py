"""Shared fixtures. Workflow tests run the real ASL and the real handlers on the embedded stack (moto)."""

from __future__ import annotations

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


@pytest.fixture
def seed(stack: Any) -> Any:
    """Load a hand-made scenario dataset (data/scenarios/NAME.json) into the ops-data table."""
    from skymarshal.domain.operation import OpsDataset
    from skymarshal_local.operations.seed import replace_ops_data

    def _seed(name: str) -> OpsDataset:
        dataset = OpsDataset.model_validate_json((SCENARIOS / f"{name}.json").read_text())
        replace_ops_data(stack.outputs["OpsDataTableName"], dataset)
        return dataset

    return _seed
