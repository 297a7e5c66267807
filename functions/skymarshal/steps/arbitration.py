"""The arbitration step: the arbitrator decides over the agents' views (safety binding), and the template briefing
of its decision is written beside it. Apart from the approval and finalize steps (skymarshal.steps.decision), so
that those functions do not import the arbitrator (cold start: benchmarks/bench_coldstart.py)."""

from __future__ import annotations

from skymarshal.domain.arbitrator import GuidanceLookup, approval_requirement
from skymarshal.domain.arbitrator import arbitrate as decide
from skymarshal.domain.briefing import briefing_facts, template_briefing
from skymarshal.domain.policy import Policy
from skymarshal.errors import SafetyAgentFailed
from skymarshal.models import SAFETY_AGENTS, ArbitrationTask, Briefing, DecisionSummary
from skymarshal.observability import Timer
from skymarshal.steps.context import load_context
from skymarshal.stores import Store


def arbitrate(
    task: ArbitrationTask, store: Store, policy: Policy, guidance: GuidanceLookup
) -> DecisionSummary:
    timer = Timer()
    store.put(task.thread_id, "arbitration_start", None, status="started")
    event, snapshot, options, views = load_context(
        store, task.event, task.snapshot, task.options, [v.view for v in task.views])
    missing = {a for a in SAFETY_AGENTS} - {v.agent for v in views if v.status == "ok"}
    if missing:  # the state machine never gets here without them; refuse rather than decide blind
        raise SafetyAgentFailed(f"no view from safety agent(s) {sorted(missing)}")
    decision = decide(event, views, options, snapshot, policy, guidance)
    requirement = approval_requirement(decision, policy)
    cp = store.put(
        task.thread_id, "arbitration", decision, status="escalated" if decision.escalated else "decided",
        confidence=decision.confidence, duration_ms=timer.ms,
        meta={"recommended": decision.recommended.option_id if decision.recommended else None,
              "approval_required": requirement.required},
    )
    rec = decision.recommended
    facts = briefing_facts(decision, options, snapshot, views, requirement.reasons)
    text = template_briefing(facts)
    briefing = store.put(task.thread_id, "briefing",
                         Briefing(thread_id=task.thread_id, text=text, source="template", template_text=text,
                                  facts=facts),
                         status="template")
    store.set_status(task.thread_id, "active", decision_checkpoint=cp.checkpoint_id)
    return DecisionSummary(
        thread_id=task.thread_id,
        flight_number=decision.flight_number,
        recommended_option=rec.option_id if rec else None,
        recommended_kind=rec.kind if rec else None,
        description=rec.description if rec else "No feasible recovery option: escalated to the duty manager.",
        cost_eur=rec.cost_eur if rec else None,
        confidence=decision.confidence,
        escalated=decision.escalated,
        binding_constraints=len(decision.binding_constraints),
        approval=requirement,
        decision=cp.ref,
        briefing=briefing.ref,
    )
