"""The agents' steps: phase 1 assesses every option, phase 2 revises given the peers' views; a failed agent
is checkpointed, and degrades to an 'unavailable' view unless it is a safety agent, which runs once more in
the phase's SafetyAgentsComplete Map, where a second failure is final (and redrivable from there)."""

from __future__ import annotations

from skymarshal.domain.agents import assess, unavailable_view
from skymarshal.domain.policy import Policy
from skymarshal.domain.revision import revise
from skymarshal.models import AgentFailureTask, AgentSummary, AgentTask, SafetyFailure
from skymarshal.observability import Timer
from skymarshal.steps.context import load_context, summarize
from skymarshal.stores import Store


def run_agent(task: AgentTask, store: Store, policy: Policy) -> AgentSummary:
    """Phase 1: assess every option. Phase 2: revise, given the peers' phase-1 views."""
    timer = Timer()
    store.put(task.thread_id, "agent_start", None, phase=task.phase, agent=task.agent, status="started")
    peers = task.peers if task.phase != 1 else []
    _, snapshot, options, peer_views = load_context(
        store, task.event, task.snapshot, task.options, [p.view for p in peers])
    if task.phase == 1:
        view = assess(task.agent, snapshot, options, policy)
    else:
        views = {p.agent: v for p, v in zip(peers, peer_views, strict=True)}
        own = views.pop(task.agent, None) or unavailable_view(task.agent, 1, "no phase-1 view")
        view = revise(task.agent, own, list(views.values()), snapshot, options, policy)
    cp = store.put(
        task.thread_id, "agent_complete", view, phase=task.phase, agent=task.agent, status=view.status,
        confidence=view.confidence, duration_ms=timer.ms,
        meta={"preferred_option": view.preferred_option,
              "revision": view.revision.action if view.revision else None},
    )
    return summarize(view, cp.ref)


def record_agent_failure(task: AgentFailureTask, store: Store) -> AgentSummary | SafetyFailure:
    """Checkpoint the failure (agent_error / agent_timeout). A business agent degrades to an 'unavailable'
    view; a safety agent's iteration ends with a SafetyFailure, so the other agents finish undisturbed, and the
    agent runs once more in the phase's SafetyAgentsComplete Map. The thread's `failed` status is recorded
    when (and only if) the execution fails (skymarshal.steps.lifecycle, from the status-change event)."""
    error_name = str(task.error.get("Error", "Unknown"))
    cause = str(task.error.get("Cause", ""))[:1000]
    timed_out = error_name in ("States.Timeout", "Sandbox.Timedout") or "timed out" in cause.lower()
    store.put(
        task.thread_id, "agent_timeout" if timed_out else "agent_error", {"error": error_name, "cause": cause},
        phase=task.phase, agent=task.agent, status="timeout" if timed_out else "error",
    )
    message = f"{task.agent} (phase {task.phase}) failed after retries: {error_name}: {cause}"[:2000]
    if task.safety:
        return SafetyFailure(agent=task.agent, phase=task.phase, error=message)
    view = unavailable_view(task.agent, task.phase, f"{error_name}: {cause}"[:500])
    cp = store.put(task.thread_id, "agent_unavailable", view, phase=task.phase, agent=task.agent,
                   status="unavailable", confidence=view.confidence)
    return summarize(view, cp.ref)
