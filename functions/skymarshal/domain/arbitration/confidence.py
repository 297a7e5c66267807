"""Rule 4: low confidence or nothing feasible, escalate to a human.

Confidence starts from the mean confidence of the available agents and is lowered by
- a small score gap between the first and second option (full weight from a gap of 0.1),
- business agents preferring another option,
- each unavailable business agent (-0.1),
- reliance on commander's discretion (EASA ORO.FTL.205(f), -0.2: the captain must agree).
It is clamped to 0..1; below `Policy.low_confidence_threshold` the decision is escalated.
"""

from __future__ import annotations

from ...models import BUSINESS_AGENTS, SAFETY_AGENTS, AgentName, AgentView, RankedSolution
from ..policy import Policy
from .feasibility import Feasibility
from .scoring import Scores

DISCRETION_FLAG = "commanders_discretion_required"


def safety_escalation(feasibility: Feasibility) -> list[str]:
    """No option can be cleared while a safety agent is unavailable."""
    if not feasibility.missing_safety:
        return []
    return ["safety agent(s) unavailable, no option can be cleared: " + ", ".join(feasibility.missing_safety)]


def _score_gap(scores: Scores) -> float:
    """How far the recommended option leads the runner-up (1.0 when it is the only feasible option)."""
    ranked, totals = scores.ranked, scores.totals
    return 1.0 if len(ranked) == 1 else totals[ranked[0].option_id] - totals[ranked[1].option_id]


def _safety_flags(ok: dict[AgentName, AgentView], option_id: str) -> set[str]:
    """The flags the safety agents raised on the option's constraints."""
    return {
        c.flag
        for v in ok.values()
        if v.agent in SAFETY_AGENTS
        for a in v.assessments
        if a.option_id == option_id
        for c in a.constraints
        if c.flag
    }


def _raw_confidence(ok: dict[AgentName, AgentView], scores: Scores, recommended: RankedSolution) -> float:
    """Mean agent confidence, scaled by the score gap and the business agents' agreement, minus 0.1 for each
    unavailable business agent."""
    confidences = [v.confidence for v in ok.values()]
    base = sum(confidences) / len(confidences) if confidences else 0.0
    confidence = base * (0.7 + 0.3 * min(1.0, _score_gap(scores) / 0.1))
    business_ok = [a for a in BUSINESS_AGENTS if a in ok]
    agree = sum(1 for a in business_ok if ok[a].preferred_option == recommended.option_id)
    if business_ok:
        confidence *= 0.85 + 0.15 * agree / len(business_ok)
    confidence -= 0.1 * sum(1 for a in BUSINESS_AGENTS if a not in ok)
    return confidence


def confidence_and_escalation(
    ok: dict[AgentName, AgentView],
    feasibility: Feasibility,
    scores: Scores,
    recommended: RankedSolution | None,
    policy: Policy,
) -> tuple[float, list[str]]:
    """The decision's confidence (0..1, 3 decimals) and the reasons to escalate that come with it."""
    escalation: list[str] = []
    if recommended is None:
        if not feasibility.missing_safety:
            escalation.append("no feasible option: every option breaks a binding safety constraint")
        return 0.0, escalation
    confidence = _raw_confidence(ok, scores, recommended)
    if DISCRETION_FLAG in _safety_flags(ok, recommended.option_id):
        confidence -= 0.2
        escalation.append(
            f"{recommended.option_id} relies on commander's discretion (ORO.FTL.205(f)): the captain must agree"
        )
    confidence = round(max(0.0, min(1.0, confidence)), 3)
    if confidence < policy.low_confidence_threshold:
        escalation.append(
            f"confidence {confidence:.2f} below the threshold {policy.low_confidence_threshold:.2f}"
        )
    return confidence, escalation
