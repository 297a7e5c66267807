"""Rules 2 and 3: among legal options, a weighted score over the consequences (cost, passengers, network);
near-ties go to the safer option, and a cancellation never wins a tie.

- Safety is the *lowest* safety-agent margin score of the option (the more conservative agent decides). It
  is shown on every option; its weight defaults to 0 (legality is a gate, a margin is not traded for money).
- Weights come from `Policy.weights`; an unavailable business dimension is dropped and the rest renormalised.
- Cargo is folded into network 1:3.
- Options within `TIE_EPSILON` of the best remaining weighted score form a near-tie: a cancellation (the
  last resort) goes after every flown option, then the larger safety margin first, then as generated.
- Pareto-optimal options (no other feasible option at least as good on every dimension and better on one)
  are flagged and preferred as alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...models import SAFETY_AGENTS, AgentName, AgentView, RecoveryOption
from ..policy import Policy
from .views import agent_score

DIMENSIONS = ("safety", "cost", "passengers", "network")
DIMENSION_AGENT: dict[str, AgentName] = {
    "cost": "finance",
    "passengers": "guest_experience",
    "network": "network",
}
TIE_EPSILON = 0.01


@dataclass(frozen=True)
class Scores:
    """The feasible options scored: weights used, per-dimension scores, weighted totals, ranked, Pareto front."""

    weights: dict[str, float]
    dims: dict[str, dict[str, float]]
    totals: dict[str, float]
    ranked: list[RecoveryOption]
    pareto: set[str]


def dimension_weights(policy: Policy, ok: dict[AgentName, AgentView]) -> dict[str, float]:
    """The policy weights of the dimensions that can be scored (safety always), normalised to sum 1."""
    raw_weights = policy.weights.model_dump()
    active = {d: w for d, w in raw_weights.items() if d == "safety" or DIMENSION_AGENT[d] in ok}
    total_w = sum(active.values()) or 1.0
    return {d: round(w / total_w, 6) for d, w in active.items()}


def dimension_scores(
    option_id: str, ok: dict[AgentName, AgentView], weights: dict[str, float]
) -> dict[str, float]:
    """One option's 0..1 score on each weighted dimension."""
    safety = [s for a in SAFETY_AGENTS if (s := agent_score(ok.get(a), option_id)) is not None]
    d = {"safety": min(safety) if safety else 0.0}
    for dim in ("cost", "passengers", "network"):
        if dim in weights:
            d[dim] = agent_score(ok.get(DIMENSION_AGENT[dim]), option_id) or 0.0
    cargo = agent_score(ok.get("cargo"), option_id)
    if "network" in d and cargo is not None:
        d["network"] = round(0.75 * d["network"] + 0.25 * cargo, 4)  # cargo folded into network 1:3
    return {k: round(v, 4) for k, v in d.items()}


def _dominates(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(a[k] >= b[k] for k in a) and any(a[k] > b[k] for k in a)


def pareto_front(dims: dict[str, dict[str, float]]) -> set[str]:
    """The options no other option dominates."""
    return {
        oid for oid, d in dims.items() if not any(_dominates(e, d) for o2, e in dims.items() if o2 != oid)
    }


def rank_options(
    feasible: list[RecoveryOption],
    options: list[RecoveryOption],
    dims: dict[str, dict[str, float]],
    totals: dict[str, float],
) -> list[RecoveryOption]:
    """Best weighted score first. The options within `TIE_EPSILON` of the best remaining score are a near-tie:
    flown options before a cancellation, then the larger safety margin (the more conservative option), then the
    order the options were generated in."""
    order = {o.option_id: i for i, o in enumerate(options)}
    rest = sorted(feasible, key=lambda o: (-totals[o.option_id], order[o.option_id]))
    ranked: list[RecoveryOption] = []
    while rest:
        best = totals[rest[0].option_id]
        tie = [o for o in rest if best - totals[o.option_id] <= TIE_EPSILON + 1e-9]
        tie.sort(key=lambda o: (o.kind == "cancel", -dims[o.option_id]["safety"], order[o.option_id]))
        ranked.extend(tie)
        rest = [o for o in rest if o not in tie]
    return ranked


def score_options(
    feasible: list[RecoveryOption],
    options: list[RecoveryOption],
    ok: dict[AgentName, AgentView],
    policy: Policy,
) -> Scores:
    """Score, rank and find the Pareto front of the feasible options."""
    weights = dimension_weights(policy, ok)
    dims = {o.option_id: dimension_scores(o.option_id, ok, weights) for o in feasible}
    totals = {oid: round(sum(weights[k] * v for k, v in d.items()), 4) for oid, d in dims.items()}
    ranked = rank_options(feasible, options, dims, totals)
    return Scores(weights, dims, totals, ranked, pareto_front(dims))
