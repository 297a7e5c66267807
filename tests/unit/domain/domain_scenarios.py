"""Shared fixtures for the domain tests: the hand-made scenarios, a fake guidance lookup, the whole
pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from skymarshal.domain import (
    InMemoryOpsReader,
    OpsDataset,
    Policy,
    Snapshot,
    arbitrate,
    assess,
    build_snapshot,
    generate_options,
    revise,
)
from skymarshal.models import ALL_AGENTS, AgentView, Citation, Decision, DisruptionEvent, RecoveryOption

SCENARIOS_DIR = Path(__file__).resolve().parents[3] / "data" / "scenarios"
SCENARIOS = ("ey123-technical-delay", "ey456-crew-sickness", "ey789-aog", "ey321-weather-delay")


class FakeGuidance:
    """Stands in for knowledge.py: one embedded citation per rule, and it remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        self.asked.append(rule)
        return [
            Citation(rule=rule, source="test corpus", title=f"About {rule}", excerpt="...", origin="embedded")
        ]


@cache
def load_dataset(stem: str) -> OpsDataset:
    return OpsDataset.model_validate_json((SCENARIOS_DIR / f"{stem}.json").read_text())


def load_event(stem: str) -> DisruptionEvent:
    return DisruptionEvent.model_validate(json.loads((SCENARIOS_DIR / f"{stem}.event.json").read_text()))


@dataclass
class Run:
    event: DisruptionEvent
    snapshot: Snapshot
    options: list[RecoveryOption]
    phase1: list[AgentView]
    phase2: list[AgentView]
    decision: Decision
    policy: Policy

    def option(self, kind: str) -> list[RecoveryOption]:
        return [o for o in self.options if o.kind == kind]

    def view(self, agent: str, phase: int = 2) -> AgentView:
        return next(v for v in (self.phase2 if phase == 2 else self.phase1) if v.agent == agent)


def run_pipeline(stem: str, policy: Policy | None = None, event: DisruptionEvent | None = None) -> Run:
    policy = policy or Policy()
    event = event or load_event(stem)
    snapshot = build_snapshot(event, InMemoryOpsReader(load_dataset(stem)))
    options = generate_options(event, snapshot, policy)
    phase1 = [assess(a, snapshot, options, policy) for a in ALL_AGENTS]
    phase2 = [revise(v.agent, v, phase1, snapshot, options, policy) for v in phase1]
    decision = arbitrate(event, phase2, options, snapshot, policy, FakeGuidance())
    return Run(event, snapshot, options, phase1, phase2, decision, policy)
