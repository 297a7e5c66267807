"""The recommended option and its alternatives, as ranked solutions with their costs and recovery plans.

Alternatives: the next best options, Pareto-optimal ones first, shown in ranked order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...models import AgentName, AgentView, RankedSolution, RecoveryOption
from ..operation import Snapshot
from ..plan import recovery_plan
from .scoring import Scores

MAX_ALTERNATIVES = 2


@dataclass(frozen=True)
class Ranking:
    recommended: RankedSolution | None
    alternatives: list[RankedSolution]


def solution(
    rank: int, o: RecoveryOption, scores: Scores, snapshot: Snapshot, ok: dict[AgentName, AgentView]
) -> RankedSolution:
    """One ranked option, with finance's cost (if finance is available) and the recovery plan."""
    finance = ok.get("finance")
    fa = finance.assessment(o.option_id) if finance else None
    return RankedSolution(
        rank=rank,
        option_id=o.option_id,
        kind=o.kind,
        description=o.description,
        score=scores.totals[o.option_id],
        scores=scores.dims[o.option_id],
        cost_eur=fa.cost_eur if fa else None,
        cost_breakdown=dict(fa.cost_breakdown) if fa else {},
        new_departure_utc=o.new_departure_utc,
        new_arrival_utc=o.new_arrival_utc,
        plan=recovery_plan(o, snapshot, ok),
        pareto_optimal=o.option_id in scores.pareto,
    )


def alternative_options(scores: Scores) -> list[RecoveryOption]:
    """Up to `MAX_ALTERNATIVES` after the recommended option, Pareto-optimal first, then in ranked order."""
    ranked = scores.ranked
    rest = ranked[1:]
    chosen = sorted(rest, key=lambda o: (o.option_id not in scores.pareto, ranked.index(o)))[:MAX_ALTERNATIVES]
    chosen.sort(key=lambda o: ranked.index(o))
    return chosen


def rank_solutions(scores: Scores, snapshot: Snapshot, ok: dict[AgentName, AgentView]) -> Ranking:
    """The best-ranked option as the recommendation (None if nothing is feasible) and its alternatives."""
    recommended = solution(1, scores.ranked[0], scores, snapshot, ok) if scores.ranked else None
    alternatives = [solution(i + 2, o, scores, snapshot, ok) for i, o in enumerate(alternative_options(scores))]
    return Ranking(recommended, alternatives)
