"""Rule 1, safety before business: an option with a broken binding constraint is infeasible, whatever it saves.

Only the safety agents can clear an option: when one of them is unavailable, no option is feasible.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...models import SAFETY_AGENTS, AgentName, AgentView, BindingConstraint, Constraint, RecoveryOption


@dataclass(frozen=True)
class Feasibility:
    """What the safety agents allow: the broken binding constraints, why each option is out, what is left."""

    missing_safety: list[AgentName]
    binding: list[BindingConstraint]
    infeasible: dict[str, list[str]]
    feasible: list[RecoveryOption]


def _binding_constraint(agent: AgentName, option_id: str, c: Constraint) -> BindingConstraint:
    return BindingConstraint(
        agent=agent,
        option_id=option_id,
        rule=c.rule,
        description=c.description,
        limit=c.limit,
        actual=c.actual,
        margin=c.margin,
        unit=c.unit,
    )


def _reason(agent: AgentName, c: Constraint) -> str:
    margin = f" (margin {c.margin:g} {c.unit})" if c.margin is not None and c.unit else ""
    return f"{agent}: {c.rule}: {c.description}{margin}"


def check_feasibility(ok: dict[AgentName, AgentView], options: list[RecoveryOption]) -> Feasibility:
    """Every broken binding constraint of every safety agent, and the options none of them rules out."""
    missing_safety = [a for a in SAFETY_AGENTS if a not in ok]
    infeasible: dict[str, list[str]] = {}
    binding: list[BindingConstraint] = []
    for agent in SAFETY_AGENTS:
        view = ok.get(agent)
        if view is None:
            continue
        for a in view.assessments:
            broken = [c for c in a.constraints if c.binding and c.violated]
            for c in broken:
                binding.append(_binding_constraint(agent, a.option_id, c))
                infeasible.setdefault(a.option_id, []).append(_reason(agent, c))
            if not a.feasible and not broken:
                infeasible.setdefault(a.option_id, []).append(f"{agent}: judged infeasible")
    feasible = [o for o in options if o.option_id not in infeasible] if not missing_safety else []
    return Feasibility(missing_safety, binding, infeasible, feasible)
