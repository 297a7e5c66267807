"""Phase 2: each agent sees the others' phase-1 views and returns CONFIRM, REVISE or STRENGTHEN, naming the
specific peer finding (agent, option, rule, fact) that caused it — structured, never keyword matching.

- REVISE: the agent's preferred option breaks a peer safety agent's binding constraint; the agent moves to its
  best option that no safety agent has found infeasible (business agents also mark those options infeasible).
- STRENGTHEN: an independent peer finding supports the agent's view (e.g. guest_experience when network
confirms
  missed connections; a safety agent when another safety agent also rules out the same option; a business
  agent
  when a peer prefers the same option).
- CONFIRM: nothing in the peers' views bears on the preference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import SAFETY_AGENTS, AgentName, AgentView, PeerReference, RecoveryOption, Revision
from .agents import assess
from .agents.common import business_confidence, prefer

if TYPE_CHECKING:
    from .operation import Snapshot
    from .policy import Policy


def _blocked(peers: list[AgentView]) -> dict[str, list[PeerReference]]:
    """option -> the peer safety constraints that make it infeasible."""
    out: dict[str, list[PeerReference]] = {}
    for p in peers:
        if p.agent not in SAFETY_AGENTS:
            continue
        for a in p.assessments:
            for c in a.constraints:
                if c.binding and c.violated:
                    out.setdefault(a.option_id, []).append(
                        PeerReference(
                            agent=p.agent, option_id=a.option_id, rule=c.rule, fact=c.description[:300]
                        )
                    )
    return out


def _support(
    agent: AgentName,
    view: AgentView,
    peers: list[AgentView],
    own_infeasible: set[str],
    blocked: dict[str, list[PeerReference]],
) -> list[PeerReference]:
    refs: list[PeerReference] = []
    pref = view.preferred_option
    by_agent = {p.agent: p for p in peers}
    if agent == "guest_experience" and (net := by_agent.get("network")) is not None:
        for a in net.assessments:
            missed = a.metrics.get("missed_connection_pax", 0)
            if missed and a.option_id != pref:
                refs.append(
                    PeerReference(
                        agent="network",
                        option_id=a.option_id,
                        rule="Minimum connection time",
                        fact=f"network confirms {missed:.0f} pax miss connections on {a.option_id}",
                    )
                )
    if agent == "network" and (gx := by_agent.get("guest_experience")) is not None:
        for a in gx.assessments:
            if a.metrics.get("hotel_due") and a.option_id != pref:
                refs.append(
                    PeerReference(
                        agent="guest_experience",
                        option_id=a.option_id,
                        rule="EU261 Art. 6, 9",
                        fact=f"guest_experience: overnight stay needed on {a.option_id}",
                    )
                )
    if agent == "finance" and (cg := by_agent.get("cargo")) is not None:
        for a in cg.assessments:
            if a.metrics.get("revenue_at_risk_eur") and a.option_id != pref:
                refs.append(
                    PeerReference(
                        agent="cargo",
                        option_id=a.option_id,
                        fact=f"cargo: EUR {a.metrics['revenue_at_risk_eur']:,.0f} of shipments at "
                        f"risk on {a.option_id}",
                    )
                )
    if agent in SAFETY_AGENTS:
        for oid in sorted(own_infeasible):
            refs.extend(r for r in blocked.get(oid, []) if r.agent != agent)
    else:
        for p in peers:
            if p.agent not in SAFETY_AGENTS and pref is not None and p.preferred_option == pref:
                refs.append(
                    PeerReference(agent=p.agent, option_id=pref, fact=f"{p.agent} also prefers {pref}")
                )
    return refs[:5]


def revise(
    agent: AgentName,
    own: AgentView,
    peers: list[AgentView],
    snapshot: Snapshot,
    options: list[RecoveryOption],
    policy: Policy,
) -> AgentView:
    """Phase 2 for one agent."""
    if own.status != "ok":
        own = assess(agent, snapshot, options, policy)
    peers = sorted((p for p in peers if p.status == "ok" and p.agent != agent), key=lambda p: p.agent)
    blocked = _blocked(peers)
    view = own.model_copy(deep=True)
    view.phase = 2
    safety = agent in SAFETY_AGENTS
    own_infeasible = {a.option_id for a in own.assessments if not a.feasible}
    if not safety:
        for a in view.assessments:
            if a.option_id in blocked and a.feasible:
                ref = blocked[a.option_id][0]
                a.feasible = False
                a.notes.append(f"infeasible per {ref.agent}: {ref.rule}")
    new_pref = prefer(options, view.assessments, avoid_cancel=safety, exclude=set(blocked))
    old_pref = own.preferred_option
    revision = Revision(
        action="CONFIRM", previous_preferred_option=old_pref, previous_confidence=own.confidence
    )
    if old_pref is not None and old_pref in blocked and new_pref != old_pref:
        refs = blocked[old_pref][:3]
        revision.action = "REVISE"
        revision.because = refs
        revision.changes = [
            f"preferred {old_pref} -> {new_pref or 'none'}: {refs[0].agent} finds {old_pref} "
            f"infeasible ({refs[0].rule})"
        ]
        if not safety:
            revision.changes.append("marked infeasible: " + ", ".join(sorted(blocked)))
        view.preferred_option = new_pref
        view.confidence = own.confidence if safety else business_confidence(view.assessments, new_pref)
    else:
        view.preferred_option = new_pref if old_pref is None or old_pref in blocked else old_pref
        refs = _support(agent, view, peers, own_infeasible, blocked)
        if refs:
            revision.action = "STRENGTHEN"
            revision.because = refs
            view.confidence = round(min(1.0, own.confidence + min(0.15, 0.05 * len(refs))), 3)
            revision.changes = [f"confidence {own.confidence:.2f} -> {view.confidence:.2f}"]
        if not safety and blocked:
            revision.changes.append("marked infeasible: " + ", ".join(sorted(blocked)))
    view.revision = revision
    view.rationale = (
        view.rationale
        + f" Phase 2: {revision.action}"
        + (f" ({revision.changes[0]})" if revision.changes else "")
        + "."
    )[:2000]
    return view
