"""The seven rule-based agents. Safety agents (crew_compliance, maintenance, regulatory) return binding
constraints; business agents (network, guest_experience, cargo, finance) return advisory ones and scores."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...models import AgentName, AgentView, RecoveryOption

if TYPE_CHECKING:  # annotations only: recording a failed agent does not import the snapshot builder
    from ..operation import Snapshot
    from ..policy import Policy

    Assessor = Callable[[Snapshot, list[RecoveryOption], Policy], AgentView]

# Each agent's module is imported when that agent first runs: a sandbox of the agent function may serve only
# some agents, and recording a failed agent (unavailable_view) needs none of their rules (cold start).
AGENTS: tuple[AgentName, ...] = (
    "crew_compliance", "maintenance", "regulatory", "network", "guest_experience", "cargo", "finance",
)


def assessor(agent: AgentName) -> Assessor:
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}")
    return importlib.import_module(f"{__name__}.{agent}").assess  # type: ignore[no-any-return]


def assess(agent: AgentName, snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    """Phase 1: one agent judges every option."""
    return assessor(agent)(snapshot, options, policy)


def unavailable_view(agent: AgentName, phase: int, error: str) -> AgentView:
    """What is recorded when a business agent fails after its retries: the run goes on without it."""
    return AgentView(
        agent=agent,
        phase=1 if phase == 1 else 2,
        status="unavailable",
        confidence=0.0,
        rationale=f"{agent} was unavailable: {error[:300]}",
        error=error[:2000],
    )
