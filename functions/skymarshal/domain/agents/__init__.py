"""The seven rule-based agents. Safety agents (crew_compliance, maintenance, regulatory) return binding
constraints; business agents (network, guest_experience, cargo, finance) return advisory ones and scores."""

from __future__ import annotations

from collections.abc import Callable

from ...models import AgentName, AgentView, RecoveryOption
from ..operation import Snapshot
from ..policy import Policy
from . import cargo, crew_compliance, finance, guest_experience, maintenance, network, regulatory

Assessor = Callable[[Snapshot, list[RecoveryOption], Policy], AgentView]

ASSESSORS: dict[AgentName, Assessor] = {
    "crew_compliance": crew_compliance.assess,
    "maintenance": maintenance.assess,
    "regulatory": regulatory.assess,
    "network": network.assess,
    "guest_experience": guest_experience.assess,
    "cargo": cargo.assess,
    "finance": finance.assess,
}


def assess(agent: AgentName, snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    """Phase 1: one agent judges every option."""
    try:
        assessor = ASSESSORS[agent]
    except KeyError:
        raise ValueError(f"unknown agent {agent!r}") from None
    return assessor(snapshot, options, policy)


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
