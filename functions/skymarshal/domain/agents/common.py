"""Helpers shared by the seven agents: building constraints, scoring safety margins, choosing a preference."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import AgentName, AgentView, Constraint, OptionAssessment, RecoveryOption

# A margin at or beyond this counts as a full safety buffer (score 1.0), per unit.
FULL_MARGIN = {"min": 120.0, "h": 10.0, "days": 3.0, "km": 500.0}
FLAG_CAPS = {"commanders_discretion_required": 0.3, "fdp_extension_planned": 0.6}
# A deferral's remaining days count less than legal limits: their floor is higher. (A repair estimate has no
# margin at all: see agents/maintenance.py.)
SOFT_FLOOR_RULES = ("MEL",)
SOFT_FLOOR = 0.5
HARD_FLOOR = 0.05


def constraint(
    option_id: str,
    rule: str,
    description: str,
    *,
    binding: bool,
    violated: bool,
    limit: float | None = None,
    actual: float | None = None,
    unit: str | None = None,
    flag: str | None = None,
    minimum: bool = False,
) -> Constraint:
    """One constraint; `minimum=True` for rules where `actual` must reach `limit` (rest, connection time)."""
    margin = None
    if limit is not None and actual is not None:
        margin = round((actual - limit) if minimum else (limit - actual), 2)
    return Constraint(
        option_id=option_id,
        rule=rule,
        description=description,
        binding=binding,
        violated=violated,
        limit=limit,
        actual=actual,
        margin=margin,
        unit=unit,
        flag=flag,
    )


def safety_score(constraints: Iterable[Constraint]) -> float:
    """0 when a binding constraint is broken; otherwise the tightest margin against a full buffer
    (0.05..1)."""
    score = 1.0
    for c in constraints:
        if not c.binding:
            continue
        if c.violated:
            return 0.0
        if c.flag in FLAG_CAPS:
            score = min(score, FLAG_CAPS[c.flag])
        if c.margin is not None and c.unit in FULL_MARGIN:
            floor = SOFT_FLOOR if c.rule.startswith(SOFT_FLOOR_RULES) else HARD_FLOOR
            score = min(score, max(floor, min(1.0, c.margin / FULL_MARGIN[c.unit])))
    return round(score, 4)


def prefer(
    options: list[RecoveryOption],
    assessments: list[OptionAssessment],
    *,
    avoid_cancel: bool = False,
    exclude: set[str] | None = None,
) -> str | None:
    """The feasible option with the best score (ties: generation order). Cancel last when `avoid_cancel`."""
    order = {o.option_id: i for i, o in enumerate(options)}
    kinds = {o.option_id: o.kind for o in options}
    exclude = exclude or set()
    candidates = [a for a in assessments if a.feasible and a.option_id not in exclude]
    if not candidates:
        return None

    def key(a: OptionAssessment) -> tuple[int, float, int]:
        demote = 1 if avoid_cancel and kinds.get(a.option_id) == "cancel" else 0
        return (demote, -(a.score or 0.0), order.get(a.option_id, 0))

    return min(candidates, key=key).option_id


def score_gap(assessments: list[OptionAssessment], preferred: str | None) -> float:
    scores = sorted((a.score or 0.0 for a in assessments if a.feasible), reverse=True)
    if len(scores) < 2:
        return 1.0
    return round(scores[0] - scores[1], 4)


def business_confidence(assessments: list[OptionAssessment], preferred: str | None) -> float:
    """Deterministic rules are sure of their numbers; the preference is less sure when scores are close."""
    if preferred is None:
        return 0.3
    gap = score_gap(assessments, preferred)
    return round(min(0.95, 0.6 + 0.35 * min(1.0, gap / 0.1)), 3)


def make_view(
    agent: AgentName,
    assessments: list[OptionAssessment],
    preferred: str | None,
    confidence: float,
    rationale: str,
) -> AgentView:
    return AgentView(
        agent=agent,
        phase=1,
        assessments=assessments,
        preferred_option=preferred,
        confidence=max(0.0, min(1.0, confidence)),
        rationale=rationale,
    )


def worst(constraints: list[Constraint], limit: int = 1) -> list[Constraint]:
    """The tightest constraints (smallest margin first)."""
    return sorted(
        (c for c in constraints if c.margin is not None), key=lambda c: (c.margin, c.rule, c.description)
    )[:limit]
