"""The arbitrator: FACTS.md "Arbitration rules", in order.

1. Safety before business: an option with a broken binding constraint is infeasible, whatever it saves.
2. Safety against safety: the more conservative — an option's margin is the *lowest* safety-agent margin, and
   near-ties (within 0.01 of weighted score) go to a flown option before a cancellation, then to the larger
   safety margin.
3. Business against business: among legal options, a weighted score over the consequences — cost, passengers
   and network (weights from Policy; the margin's weight defaults to 0; cargo is folded into network 1:3);
   Pareto-optimal options are flagged and preferred as alternatives.
4. Low confidence, a cancellation, a single surviving option, or nothing feasible: escalate to a human
   (recommended None when nothing is feasible).

Each step lives in its own module of `arbitration/`; `arbitrate` composes them in this order.
"""

from __future__ import annotations

from ..models import BUSINESS_AGENTS, AgentView, Decision, DisruptionEvent, RecoveryOption
from .arbitration.approval import approval_requirement
from .arbitration.citations import (
    MAX_CITED_RULES,
    UNCITED_RULES,
    GuidanceLookup,
    cite_rules,
    knowledge_source,
    rules_to_cite,
)
from .arbitration.confidence import confidence_and_escalation, forced_choice_escalation, safety_escalation
from .arbitration.feasibility import check_feasibility
from .arbitration.ranking import rank_solutions
from .arbitration.rationale import rationale, revisions
from .arbitration.scoring import DIMENSION_AGENT, DIMENSIONS, TIE_EPSILON, score_options
from .arbitration.views import available_views, latest_views
from .operation import Snapshot
from .policy import Policy

__all__ = [
    "DIMENSIONS",
    "DIMENSION_AGENT",
    "MAX_CITED_RULES",
    "TIE_EPSILON",
    "UNCITED_RULES",
    "GuidanceLookup",
    "approval_requirement",
    "arbitrate",
    "latest_views",
]


def arbitrate(
    event: DisruptionEvent,
    views: list[AgentView],
    options: list[RecoveryOption],
    snapshot: Snapshot,
    policy: Policy,
    guidance: GuidanceLookup,
) -> Decision:
    ok = available_views(views)
    feasibility = check_feasibility(ok, options)  # 1. binding constraints decide feasibility
    scores = score_options(feasibility.feasible, options, ok, policy)  # 2-3. weighted score, safer near-ties
    ranking = rank_solutions(scores, snapshot, ok)
    confidence, low_confidence = confidence_and_escalation(
        ok, feasibility, scores, ranking.recommended, policy, snapshot
    )
    forced = forced_choice_escalation(feasibility, ranking.recommended, options)
    escalation = safety_escalation(feasibility) + forced + low_confidence  # 4. escalate to a human
    citations, guidance_failed = cite_rules(rules_to_cite(feasibility.binding, ranking.recommended, ok), guidance)
    return Decision(
        thread_id=event.event_id,
        flight_number=event.flight_number,
        flight_date=event.flight_date,
        recommended=ranking.recommended,
        alternatives=ranking.alternatives,
        infeasible=feasibility.infeasible,
        binding_constraints=feasibility.binding,
        citations=citations,
        confidence=confidence,
        escalated=bool(escalation),
        escalation_reasons=escalation,
        unavailable_agents=[a for a in BUSINESS_AGENTS if a not in ok] + feasibility.missing_safety,
        revisions=revisions(ok),
        weights=scores.weights,
        rationale=rationale(
            ranking.recommended, ranking.alternatives, feasibility.infeasible, options, guidance_failed
        ),
        knowledge_source=knowledge_source(citations),
    )
