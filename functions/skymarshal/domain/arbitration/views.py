"""Which agent views the arbitrator reads: each agent's latest, and an agent's score for one option."""

from __future__ import annotations

from ...models import AgentName, AgentView


def latest_views(views: list[AgentView]) -> dict[AgentName, AgentView]:
    """Each agent's latest view (phase 2 over phase 1; an ok view over an unavailable one of the same
    phase)."""
    out: dict[AgentName, AgentView] = {}
    for v in views:
        cur = out.get(v.agent)
        if cur is None or (v.phase, v.status == "ok") > (cur.phase, cur.status == "ok"):
            out[v.agent] = v
    return out


def available_views(views: list[AgentView]) -> dict[AgentName, AgentView]:
    """The agents whose latest view is usable (status ok)."""
    return {a: v for a, v in latest_views(views).items() if v.status == "ok"}


def agent_score(view: AgentView | None, option_id: str) -> float | None:
    """The agent's score for the option; None when the agent is unavailable or did not score it."""
    if view is None or view.status != "ok":
        return None
    a = view.assessment(option_id)
    return None if a is None or a.score is None else a.score
