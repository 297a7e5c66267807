"""The arbitrator: FACTS.md "Arbitration rules", in order.

1. Safety before business: an option with a broken binding constraint is infeasible, whatever it saves.
2. Safety against safety: the more conservative — an option is scored on the *lowest* safety-agent margin, and
   near-ties (within 0.01 of weighted score) go to the option with the larger safety margin.
3. Business against business: a weighted score over safety margin, cost, passengers and network (weights from
   Policy; cargo is folded into network 1:3); Pareto-optimal options are flagged and preferred as
   alternatives.
4. Low confidence or nothing feasible: escalate to a human (recommended None when nothing is feasible).
"""

from __future__ import annotations

from typing import Protocol

from ..models import (
    BUSINESS_AGENTS,
    SAFETY_AGENTS,
    AgentName,
    AgentView,
    ApprovalRequirement,
    BindingConstraint,
    Citation,
    Decision,
    DisruptionEvent,
    RankedSolution,
    RecoveryOption,
)
from .operation import Snapshot
from .plan import recovery_plan
from .policy import Policy

DIMENSIONS = ("safety", "cost", "passengers", "network")
DIMENSION_AGENT: dict[str, AgentName] = {
    "cost": "finance",
    "passengers": "guest_experience",
    "network": "network",
}
TIE_EPSILON = 0.01
MAX_CITED_RULES = 6
# Operational checks with no regulation text behind them: not looked up in the guidance.
UNCITED_RULES = ("Aircraft type range", "Aircraft record", "Aircraft status", "Return to service")


class GuidanceLookup(Protocol):
    """Regulatory guidance (knowledge.py): Bedrock Knowledge Base, embedded FTS5 corpus, or nothing."""

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]: ...


def latest_views(views: list[AgentView]) -> dict[AgentName, AgentView]:
    """Each agent's latest view (phase 2 over phase 1; an ok view over an unavailable one of the same
    phase)."""
    out: dict[AgentName, AgentView] = {}
    for v in views:
        cur = out.get(v.agent)
        if cur is None or (v.phase, v.status == "ok") > (cur.phase, cur.status == "ok"):
            out[v.agent] = v
    return out


def _score(view: AgentView | None, option_id: str) -> float | None:
    if view is None or view.status != "ok":
        return None
    a = view.assessment(option_id)
    return None if a is None or a.score is None else a.score


def _dominates(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(a[k] >= b[k] for k in a) and any(a[k] > b[k] for k in a)


def arbitrate(
    event: DisruptionEvent,
    views: list[AgentView],
    options: list[RecoveryOption],
    snapshot: Snapshot,
    policy: Policy,
    guidance: GuidanceLookup,
) -> Decision:
    latest = latest_views(views)
    ok = {a: v for a, v in latest.items() if v.status == "ok"}
    escalation: list[str] = []
    missing_safety = [a for a in SAFETY_AGENTS if a not in ok]
    if missing_safety:
        escalation.append(
            "safety agent(s) unavailable, no option can be cleared: " + ", ".join(missing_safety)
        )

    # 1. Binding constraints decide feasibility.
    infeasible: dict[str, list[str]] = {}
    binding: list[BindingConstraint] = []
    for agent in SAFETY_AGENTS:
        view = ok.get(agent)
        if view is None:
            continue
        for a in view.assessments:
            broken = [c for c in a.constraints if c.binding and c.violated]
            for c in broken:
                binding.append(
                    BindingConstraint(
                        agent=agent,
                        option_id=a.option_id,
                        rule=c.rule,
                        description=c.description,
                        limit=c.limit,
                        actual=c.actual,
                        margin=c.margin,
                        unit=c.unit,
                    )
                )
                margin = f" (margin {c.margin:g} {c.unit})" if c.margin is not None and c.unit else ""
                infeasible.setdefault(a.option_id, []).append(f"{agent}: {c.rule}: {c.description}{margin}")
            if not a.feasible and not broken:
                infeasible.setdefault(a.option_id, []).append(f"{agent}: judged infeasible")
    known = {o.option_id for o in options}
    feasible = [o for o in options if o.option_id not in infeasible] if not missing_safety else []

    # 3. Weighted score over the available dimensions.
    raw_weights = policy.weights.model_dump()
    active = {d: w for d, w in raw_weights.items() if d == "safety" or DIMENSION_AGENT[d] in ok}
    total_w = sum(active.values()) or 1.0
    weights = {d: round(w / total_w, 6) for d, w in active.items()}
    cost_of: dict[str, float | None] = {}
    breakdown_of: dict[str, dict[str, float]] = {}
    finance = ok.get("finance")
    for o in options:
        fa = finance.assessment(o.option_id) if finance else None
        cost_of[o.option_id] = fa.cost_eur if fa else None
        breakdown_of[o.option_id] = dict(fa.cost_breakdown) if fa else {}
    dims: dict[str, dict[str, float]] = {}
    for o in feasible:
        safety = [s for a in SAFETY_AGENTS if (s := _score(ok.get(a), o.option_id)) is not None]
        d = {"safety": min(safety) if safety else 0.0}
        for dim in ("cost", "passengers", "network"):
            if dim in weights:
                d[dim] = _score(ok.get(DIMENSION_AGENT[dim]), o.option_id) or 0.0
        cargo = _score(ok.get("cargo"), o.option_id)
        if "network" in d and cargo is not None:
            d["network"] = round(0.75 * d["network"] + 0.25 * cargo, 4)
        dims[o.option_id] = {k: round(v, 4) for k, v in d.items()}
    totals = {oid: round(sum(weights[k] * v for k, v in d.items()), 4) for oid, d in dims.items()}
    order = {o.option_id: i for i, o in enumerate(options)}
    # 2. Near-ties go to the larger safety margin (the more conservative option).
    ranked = sorted(
        feasible,
        key=lambda o: (
            -round(totals[o.option_id] / TIE_EPSILON),
            -dims[o.option_id]["safety"],
            order[o.option_id],
        ),
    )
    pareto = {
        oid for oid, d in dims.items() if not any(_dominates(e, d) for o2, e in dims.items() if o2 != oid)
    }

    def solution(rank: int, o: RecoveryOption) -> RankedSolution:
        return RankedSolution(
            rank=rank,
            option_id=o.option_id,
            kind=o.kind,
            description=o.description,
            score=totals[o.option_id],
            scores=dims[o.option_id],
            cost_eur=cost_of[o.option_id],
            cost_breakdown=breakdown_of[o.option_id],
            new_departure_utc=o.new_departure_utc,
            new_arrival_utc=o.new_arrival_utc,
            plan=recovery_plan(o, snapshot, ok),
            pareto_optimal=o.option_id in pareto,
        )

    recommended = solution(1, ranked[0]) if ranked else None
    rest = ranked[1:]
    alternatives_src = sorted(rest, key=lambda o: (o.option_id not in pareto, ranked.index(o)))[:2]
    alternatives_src.sort(key=lambda o: ranked.index(o))
    alternatives = [solution(i + 2, o) for i, o in enumerate(alternatives_src)]

    # 4. Confidence and escalation.
    if recommended is None:
        confidence = 0.0
        if not missing_safety:
            escalation.append("no feasible option: every option breaks a binding safety constraint")
    else:
        confidences = [v.confidence for v in ok.values()]
        base = sum(confidences) / len(confidences) if confidences else 0.0
        gap = 1.0 if len(ranked) == 1 else totals[ranked[0].option_id] - totals[ranked[1].option_id]
        confidence = base * (0.7 + 0.3 * min(1.0, gap / 0.1))
        business_ok = [a for a in BUSINESS_AGENTS if a in ok]
        agree = sum(1 for a in business_ok if ok[a].preferred_option == recommended.option_id)
        if business_ok:
            confidence *= 0.85 + 0.15 * agree / len(business_ok)
        confidence -= 0.1 * sum(1 for a in BUSINESS_AGENTS if a not in ok)
        flags = {
            c.flag
            for v in ok.values()
            if v.agent in SAFETY_AGENTS
            for a in v.assessments
            if a.option_id == recommended.option_id
            for c in a.constraints
            if c.flag
        }
        if "commanders_discretion_required" in flags:
            confidence -= 0.2
            escalation.append(
                f"{recommended.option_id} relies on commander's discretion (ORO.FTL.205(f)): "
                "the captain must agree"
            )
        confidence = round(max(0.0, min(1.0, confidence)), 3)
        if confidence < policy.low_confidence_threshold:
            escalation.append(
                f"confidence {confidence:.2f} below the threshold {policy.low_confidence_threshold:.2f}"
            )
    unavailable_business = [a for a in BUSINESS_AGENTS if a not in ok]

    # Citations for the rules behind the binding constraints (and the recommended option's binding rules).
    rules: list[tuple[str, str]] = []
    for b in binding:
        if b.rule not in (r for r, _ in rules):
            rules.append((b.rule, b.description))
    if recommended is not None:
        for agent in SAFETY_AGENTS:
            view = ok.get(agent)
            ra = view.assessment(recommended.option_id) if view else None
            for rc in ra.constraints if ra else []:
                if (
                    rc.binding
                    and not rc.rule.startswith(UNCITED_RULES)
                    and rc.rule not in (r for r, _ in rules)
                ):
                    rules.append((rc.rule, rc.description))
    citations: list[Citation] = []
    guidance_failed: list[str] = []
    for rule, context in rules[:MAX_CITED_RULES]:
        try:
            found = guidance.cite(rule, context, 2)
        except Exception as exc:  # guidance is best effort; the decision never depends on it
            guidance_failed.append(f"{rule} ({type(exc).__name__})")
            found = []
        for raw in found:
            # knowledge.py has its own Citation class with the same fields: normalise to the contract.
            cit = Citation.model_validate(raw, from_attributes=True)
            if (cit.rule, cit.source, cit.title) not in {(x.rule, x.source, x.title) for x in citations}:
                citations.append(cit)
    origins = {c.origin for c in citations}
    knowledge_source = "bedrock" if "bedrock" in origins else "embedded" if "embedded" in origins else "none"

    revisions: dict[str, str] = {
        v.agent: v.revision.action for v in ok.values() if v.phase == 2 and v.revision is not None
    }
    if recommended is not None:
        why = (
            f"Recommend {recommended.option_id} ({recommended.kind}): {recommended.description}. "
            f"Weighted score "
            f"{recommended.score:.3f} ("
            + ", ".join(f"{k} {v:.2f}" for k, v in recommended.scores.items())
            + ")"
            + (f", cost EUR {recommended.cost_eur:,.0f}" if recommended.cost_eur is not None else "")
            + ". "
        )
    else:
        why = "No option can be recommended. "
    if infeasible:
        why += (
            "Infeasible: "
            + "; ".join(
                f"{oid} ({reasons[0]})"
                for oid, reasons in sorted(infeasible.items(), key=lambda kv: order.get(kv[0], 99))
                if oid in known
            )
            + ". "
        )
    if alternatives:
        why += (
            "Alternatives: " + ", ".join(f"{s.option_id} {s.kind} {s.score:.3f}" for s in alternatives) + ". "
        )
    if guidance_failed:
        why += "Guidance unavailable for: " + ", ".join(guidance_failed) + "."
    return Decision(
        thread_id=event.event_id,
        flight_number=event.flight_number,
        flight_date=event.flight_date,
        recommended=recommended,
        alternatives=alternatives,
        infeasible=infeasible,
        binding_constraints=binding,
        citations=citations,
        confidence=confidence,
        escalated=bool(escalation),
        escalation_reasons=escalation,
        unavailable_agents=unavailable_business + missing_safety,
        revisions=revisions,
        weights=weights,
        rationale=why.strip()[:4000],
        knowledge_source=knowledge_source,
    )


def approval_requirement(decision: Decision, policy: Policy) -> ApprovalRequirement:
    """Whether a duty manager must approve, per the approval policy; an escalated decision always needs
    one."""
    reasons = [f"escalated: {r}" for r in decision.escalation_reasons] if decision.escalated else []
    rec = decision.recommended
    if policy.approval_mode == "always":
        reasons.append("policy: every decision is approved by a duty manager")
    elif policy.approval_mode == "low_confidence":
        if decision.confidence < policy.low_confidence_threshold and not decision.escalated:
            reasons.append(f"confidence {decision.confidence:.2f} < {policy.low_confidence_threshold:.2f}")
    elif policy.approval_mode == "cancellation":
        if rec is not None and rec.kind == "cancel":
            reasons.append("policy: cancellations are approved by a duty manager")
    elif (
        policy.approval_mode == "cost_over_limit"
        and rec is not None
        and rec.cost_eur is not None
        and rec.cost_eur > policy.approval_cost_limit_eur
    ):
        reasons.append(
            f"cost EUR {rec.cost_eur:,.0f} over the limit EUR {policy.approval_cost_limit_eur:,.0f}"
        )
    if rec is None and not decision.escalated:
        reasons.append("no recommendation")
    return ApprovalRequirement(required=bool(reasons), reasons=reasons)
