"""Rule 4: low confidence, a forced choice or nothing feasible: escalate to a human.

Confidence measures how sure the comparison is, never how little was left to compare. It starts from the mean
confidence of the available agents and is scaled by
- the margin between real alternatives: the score gap between the first and second *feasible* option (full
  weight from a gap of 0.1); with a single feasible option there is no alternative and the factor is at its
  floor (0.7): a choice by elimination is the least certain kind,
- business agents preferring another option,
and lowered by
- each unavailable business agent (-0.1),
- each gap in the operational data (`data_gaps`, -`Policy.data_gap_confidence_penalty` each),
- reliance on commander's discretion (EASA ORO.FTL.205(f), -0.2: the captain must agree).
It is clamped to 0..1; below `Policy.low_confidence_threshold` the decision is escalated.

Whatever the confidence, a duty manager decides (the decision is escalated, with the reason) when
- the recommendation is a cancellation (the last resort of operations control), or
- only one option survived the safety gate (a forced choice).
"""

from __future__ import annotations

from ...models import BUSINESS_AGENTS, SAFETY_AGENTS, AgentName, AgentView, RankedSolution, RecoveryOption
from ..operation import Snapshot
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
    """How far the recommended option leads the runner-up; 0 when there is no runner-up (nothing to compare)."""
    ranked, totals = scores.ranked, scores.totals
    return 0.0 if len(ranked) < 2 else max(0.0, totals[ranked[0].option_id] - totals[ranked[1].option_id])


def data_gaps(snapshot: Snapshot) -> list[str]:
    """What the operational data does not say that the decision needed: each one lowers confidence."""
    f = snapshot.flight
    gaps: list[str] = []
    if snapshot.aircraft is None:
        gaps.append(f"no aircraft record for {f.flight_number}" + (f" (tail {f.tail})" if f.tail else ""))
    missing = [c for c in [*f.cockpit_crew, *f.cabin_crew] if c not in snapshot.duties]
    if not f.cockpit_crew:
        gaps.append("no rostered cockpit crew")
    if missing:
        gaps.append(f"no duty record for {len(missing)} rostered crew ({', '.join(missing[:3])})")
    if f.booked_pax and not snapshot.bookings.pax:
        gaps.append(f"{f.booked_pax} pax booked but no booking records")
    return gaps


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
    """Mean agent confidence, scaled by the margin between real alternatives and the business agents'
    agreement, minus 0.1 for each unavailable business agent."""
    confidences = [v.confidence for v in ok.values()]
    base = sum(confidences) / len(confidences) if confidences else 0.0
    confidence = base * (0.7 + 0.3 * min(1.0, _score_gap(scores) / 0.1))
    business_ok = [a for a in BUSINESS_AGENTS if a in ok]
    agree = sum(1 for a in business_ok if ok[a].preferred_option == recommended.option_id)
    if business_ok:
        confidence *= 0.85 + 0.15 * agree / len(business_ok)
    confidence -= 0.1 * sum(1 for a in BUSINESS_AGENTS if a not in ok)
    return confidence


def forced_choice_escalation(
    feasibility: Feasibility, recommended: RankedSolution | None, options: list[RecoveryOption]
) -> list[str]:
    """A cancellation, or a recommendation that is the only option left, is a duty manager's call."""
    if recommended is None:
        return []
    reasons: list[str] = []
    if recommended.kind == "cancel":
        cancel = next((o for o in options if o.option_id == recommended.option_id), None)
        interline = int(cancel.details.get("interline_pax", 0) or 0) if cancel else 0
        own = sum((cancel.details.get("rebooking_pax") or {}).values()) if cancel else 0
        reasons.append(
            f"{recommended.option_id} cancels the flight (the last resort): {own} pax rebooked on own flights, "
            f"{interline} on other airlines; a duty manager decides"
        )
    if len(feasibility.feasible) == 1:
        out = ", ".join(sorted(feasibility.infeasible)) or "none"
        reasons.append(
            f"{recommended.option_id} is the only option that passes the safety gate (ruled out: {out}): "
            "a choice by elimination, not by comparison"
        )
    return reasons


def confidence_and_escalation(
    ok: dict[AgentName, AgentView],
    feasibility: Feasibility,
    scores: Scores,
    recommended: RankedSolution | None,
    policy: Policy,
    snapshot: Snapshot,
) -> tuple[float, list[str]]:
    """The decision's confidence (0..1, 3 decimals) and the reasons to escalate that come with it."""
    escalation: list[str] = []
    if recommended is None:
        if not feasibility.missing_safety:
            escalation.append("no feasible option: every option breaks a binding safety constraint")
        return 0.0, escalation
    confidence = _raw_confidence(ok, scores, recommended)
    gaps = data_gaps(snapshot)
    confidence -= policy.data_gap_confidence_penalty * len(gaps)
    if DISCRETION_FLAG in _safety_flags(ok, recommended.option_id):
        confidence -= 0.2
        escalation.append(
            f"{recommended.option_id} relies on commander's discretion (ORO.FTL.205(f)): the captain must agree"
        )
    confidence = round(max(0.0, min(1.0, confidence)), 3)
    if confidence < policy.low_confidence_threshold:
        escalation.append(
            f"confidence {confidence:.2f} below the threshold {policy.low_confidence_threshold:.2f}"
            + (f" (data gaps: {'; '.join(gaps)})" if gaps else "")
        )
    return confidence, escalation
