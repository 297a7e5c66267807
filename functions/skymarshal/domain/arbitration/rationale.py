"""The decision's "why", for the duty manager: the recommendation and its scores, what was ruled out and by which
rule, the alternatives, and any guidance that could not be looked up."""

from __future__ import annotations

from ...models import AgentName, AgentView, RankedSolution, RecoveryOption

MAX_RATIONALE_CHARS = 4000


def revisions(ok: dict[AgentName, AgentView]) -> dict[str, str]:
    """What each agent did in phase 2 (CONFIRM / REVISE / STRENGTHEN)."""
    return {v.agent: v.revision.action for v in ok.values() if v.phase == 2 and v.revision is not None}


def _recommendation(recommended: RankedSolution | None) -> str:
    if recommended is None:
        return "No option can be recommended. "
    return (
        f"Recommend {recommended.option_id} ({recommended.kind}): {recommended.description}. "
        f"Weighted score "
        f"{recommended.score:.3f} ("
        + ", ".join(f"{k} {v:.2f}" for k, v in recommended.scores.items())
        + ")"
        + (f", cost EUR {recommended.cost_eur:,.0f}" if recommended.cost_eur is not None else "")
        + ". "
    )


def _infeasible(infeasible: dict[str, list[str]], options: list[RecoveryOption]) -> str:
    """Each ruled-out option (in generated order) with its first reason."""
    if not infeasible:
        return ""
    known = {o.option_id for o in options}
    order = {o.option_id: i for i, o in enumerate(options)}
    return (
        "Infeasible: "
        + "; ".join(
            f"{oid} ({reasons[0]})"
            for oid, reasons in sorted(infeasible.items(), key=lambda kv: order.get(kv[0], 99))
            if oid in known
        )
        + ". "
    )


def rationale(
    recommended: RankedSolution | None,
    alternatives: list[RankedSolution],
    infeasible: dict[str, list[str]],
    options: list[RecoveryOption],
    guidance_failed: list[str],
) -> str:
    why = _recommendation(recommended) + _infeasible(infeasible, options)
    if alternatives:
        why += (
            "Alternatives: " + ", ".join(f"{s.option_id} {s.kind} {s.score:.3f}" for s in alternatives) + ". "
        )
    if guidance_failed:
        why += "Guidance unavailable for: " + ", ".join(guidance_failed) + "."
    return why.strip()[:MAX_RATIONALE_CHARS]
