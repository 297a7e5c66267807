"""The thread view: one document that explains a decision to the duty manager, built from the checkpoint store.

- `thread`: status, flight, outcome; `approval`: the pending (or decided) approval with its age and priority —
  never the task token;
- `briefing`: the duty manager's briefing, read first (text, source `model`|`template`, why a model's text was
  discarded, the model id and token counts — not the facts or the prompt, which stay in the checkpoint);
- `decision`: the arbitrator's decision (recommended + ranked alternatives with itemised costs, binding
  constraints, citations, escalation reasons);
- `matrix`: every option × every agent, phase 1 and phase 2 (score, feasible, broken binding rules), so the
  console can put the options side by side;
- `agents` and `revisions`: each agent's view per phase and what changed between phase 1 and phase 2, with the
  peer finding that caused it;
- `timeline`: every checkpoint, oldest first.

Pure reads (GetItem, Query, S3 GetObject for large payloads): the approval API needs no write permission for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from skymarshal.errors import CheckpointNotFound
from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS
from skymarshal.stores import Store

# Priority of a pending approval: 1 = high (look first), 2 = medium, 3 = normal.
PRIORITY_NAMES = {1: "high", 2: "medium", 3: "normal"}
HIGH_COST_EUR = 100_000.0
EXPIRING_SOONER_THAN_S = 15 * 60
LOW_CONFIDENCE = 0.6

_VIEW_STEPS = ("agent_complete", "agent_unavailable")
_TIMELINE_SKIP = ("agent_start",)  # the start of every agent run adds nothing a reader needs


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    parsed = datetime.fromisoformat(ts)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def priority(summary: dict[str, Any], expires_at: str | None, now: datetime) -> dict[str, Any]:
    """How urgently a pending decision needs a person: escalated (nothing feasible), about to time out, a
    cancellation or a very expensive recovery come first; low confidence or broken safety rules next."""
    reasons_high, reasons_medium = [], []
    if summary.get("escalated"):
        reasons_high.append("escalated: no feasible option or low confidence")
    expires = _parse(expires_at)
    if expires is not None and (expires - now).total_seconds() < EXPIRING_SOONER_THAN_S:
        reasons_high.append("approval times out in less than 15 min")
    if summary.get("recommended_kind") == "cancel":
        reasons_high.append("recommends cancelling the flight")
    cost = summary.get("cost_eur")
    if cost is not None and float(cost) >= HIGH_COST_EUR:
        reasons_high.append(f"cost €{float(cost):,.0f} ≥ €{HIGH_COST_EUR:,.0f}")
    if float(summary.get("confidence") or 0) < LOW_CONFIDENCE:
        reasons_medium.append(f"confidence {float(summary.get('confidence') or 0):.2f} < {LOW_CONFIDENCE}")
    if int(summary.get("binding_constraints") or 0) > 0:
        reasons_medium.append(f"{summary.get('binding_constraints')} binding safety constraint(s) ruled options out")
    level = 1 if reasons_high else 2 if reasons_medium else 3
    return {"level": level, "name": PRIORITY_NAMES[level], "reasons": reasons_high + reasons_medium}


def approval_public(approval: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """The approval record as a reader may see it: everything but the task token.

    `age_seconds` is how long the request has waited: up to now while it is pending, frozen at the decision
    (or at the timeout, for an expired one) afterwards — a decided approval does not keep "waiting".
    `expires_in_seconds` and the time-out priority reason only apply while it is pending."""
    if approval is None:
        return None
    status = approval.get("approval_status")
    waiting = status == "pending"
    requested = _parse(approval.get("requested_at"))
    expires = _parse(approval.get("approval_expires_at"))
    if waiting:
        until: datetime | None = now
    else:
        until = _parse(approval.get("decided_at")) or (min(expires, now) if expires else None)
    summary = approval.get("summary") or {}
    return {
        "status": status,
        "waiting": waiting,
        "requested_at": approval.get("requested_at"),
        "expires_at": approval.get("approval_expires_at"),
        "age_seconds": max(0, int((until - requested).total_seconds())) if requested and until else None,
        "expires_in_seconds": int((expires - now).total_seconds()) if expires and waiting else None,
        "approver_id": approval.get("approver_id"),
        "comments": approval.get("comments"),
        "decided_at": approval.get("decided_at"),
        "reasons": (summary.get("approval") or {}).get("reasons", []),
        "summary": {k: v for k, v in summary.items() if k not in ("approval", "decision", "briefing")},
        "priority": priority(summary, approval.get("approval_expires_at") if waiting else None, now),
    }


def briefing_public(briefing: dict[str, Any] | None) -> dict[str, Any] | None:
    """The briefing as the console and `skymarshal show` present it (the newest `briefing` checkpoint)."""
    if not briefing:
        return None
    model = briefing.get("model") or {}
    guard = briefing.get("guard") or {}
    return {
        "text": briefing.get("text"),
        "source": briefing.get("source"),
        "fallback_reason": briefing.get("fallback_reason"),
        "model_id": model.get("model_id"),
        "input_tokens": model.get("input_tokens"),
        "output_tokens": model.get("output_tokens"),
        "guard_passed": guard.get("passed"),
    }


def pending(store: Store, now: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Threads awaiting approval (ByStatus index, no scan), most urgent first, then oldest first."""
    now = now or datetime.now(UTC)
    items = []
    for thread in store.threads_by_status("awaiting_approval", limit=limit):
        approval = approval_public(store.get_approval(thread["thread_id"]), now)
        if approval is None or approval["status"] != "pending":
            continue
        items.append({
            "thread_id": thread["thread_id"],
            "flight_number": thread.get("flight_number"),
            "flight_date": thread.get("flight_date"),
            "disruption_type": thread.get("disruption_type"),
            **{k: approval[k] for k in ("requested_at", "expires_at", "age_seconds", "expires_in_seconds",
                                        "priority", "summary", "reasons")},
        })
    items.sort(key=lambda a: (a["priority"]["level"], -(a["age_seconds"] or 0)))
    return items


def _cell(view: dict[str, Any] | None, option_id: str) -> dict[str, Any] | None:
    if view is None:
        return None
    if view.get("status") != "ok":
        return {"status": "unavailable"}
    assessment = next((a for a in view.get("assessments", []) if a["option_id"] == option_id), None)
    if assessment is None:
        return None
    broken = [c for c in assessment.get("constraints", []) if c.get("violated") and c.get("binding")]
    return {
        "status": "ok",
        "score": assessment.get("score"),
        "feasible": assessment.get("feasible"),
        "cost_eur": assessment.get("cost_eur"),
        "broken_binding": [
            {k: c.get(k) for k in ("rule", "description", "limit", "actual", "margin", "unit")} for c in broken
        ],
        "advisories": [c["rule"] for c in assessment.get("constraints", []) if c.get("violated")
                       and not c.get("binding")],
    }


def _agent_phase(view: dict[str, Any] | None, checkpoint: dict[str, Any] | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "status": view.get("status"),
        "preferred_option": view.get("preferred_option"),
        "confidence": view.get("confidence"),
        "rationale": view.get("rationale"),
        "error": view.get("error"),
        "revision": view.get("revision"),
        "duration_ms": (checkpoint or {}).get("duration_ms"),
    }


Views = dict[int, dict[str, tuple[dict[str, Any], dict[str, Any]]]]  # phase -> agent -> (view, checkpoint)
_NO_VIEW: tuple[Any, Any] = (None, None)


def _ranks(decision: dict[str, Any] | None) -> dict[str, int]:
    ranks = {}
    if decision:
        for sol in [decision.get("recommended"), *decision.get("alternatives", [])]:
            if sol:
                ranks[sol["option_id"]] = sol["rank"]
    return ranks


def _matrix(options: list[dict[str, Any]], views: Views, agents: Sequence[str], decision: dict[str, Any] | None
            ) -> list[dict[str, Any]]:
    """Every option × every agent, phase 1 and phase 2."""
    ranks = _ranks(decision)
    matrix = []
    for option in options:
        oid = option["option_id"]
        cells = {}
        for agent in agents:
            p1 = _cell(views[1].get(agent, _NO_VIEW)[0], oid)
            p2 = _cell(views[2].get(agent, _NO_VIEW)[0], oid)
            changed = bool(p1 and p2 and p1.get("status") == p2.get("status") == "ok"
                           and (p1.get("score") != p2.get("score") or p1.get("feasible") != p2.get("feasible")))
            cells[agent] = {"phase1": p1, "phase2": p2, "changed": changed}
        matrix.append({
            "option_id": oid,
            "kind": option.get("kind"),
            "description": option.get("description"),
            "departure_delay_minutes": option.get("departure_delay_minutes"),
            "rank": ranks.get(oid),
            "infeasible_reasons": (decision or {}).get("infeasible", {}).get(oid, []),
            "agents": cells,
        })
    return matrix


def _agents_and_revisions(views: Views, agents_in_views: Sequence[str]
                          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each agent's view per phase, and what changed between phase 1 and phase 2 (with the peer finding)."""
    agents, revisions = [], []
    for agent in agents_in_views:
        v1, c1 = views[1].get(agent, _NO_VIEW)
        v2, c2 = views[2].get(agent, _NO_VIEW)
        agents.append({"agent": agent, "safety": agent in SAFETY_AGENTS,
                       "phase1": _agent_phase(v1, c1), "phase2": _agent_phase(v2, c2)})
        revision = (v2 or {}).get("revision")
        if revision:
            revisions.append({
                "agent": agent,
                "action": revision.get("action"),
                "from_option": revision.get("previous_preferred_option", (v1 or {}).get("preferred_option")),
                "to_option": (v2 or {}).get("preferred_option"),
                "from_confidence": revision.get("previous_confidence", (v1 or {}).get("confidence")),
                "to_confidence": (v2 or {}).get("confidence"),
                "because": revision.get("because", []),
                "changes": revision.get("changes", []),
            })
    return agents, revisions


def _timeline(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: c.get(k) for k in ("created_at", "step", "phase", "agent", "outcome", "confidence", "duration_ms",
                               "checkpoint_id", "size_bytes")}
        for c in history if c["step"] not in _TIMELINE_SKIP
    ]


def build(store: Store, thread_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The thread view of `thread_id`; CheckpointNotFound when there is no such thread."""
    now = now or datetime.now(UTC)
    thread = store.get_thread(thread_id)
    if thread is None:
        raise CheckpointNotFound(f"thread {thread_id} does not exist")
    history = store.history(thread_id, with_payloads=True)
    latest: dict[str, dict[str, Any]] = {}
    views: Views = {1: {}, 2: {}}
    for c in history:
        latest[c["step"]] = c
        if c["step"] in _VIEW_STEPS and c.get("phase") in (1, 2):
            views[int(c["phase"])][c["agent"]] = (c["payload"], c)
    options = (latest.get("options") or {}).get("payload") or []
    decision = (latest.get("arbitration") or {}).get("payload")
    agents_in_views = [a for a in ALL_AGENTS if a in views[1] or a in views[2]]
    agents, revisions = _agents_and_revisions(views, agents_in_views)
    return {
        "thread_id": thread_id,
        "thread": {k: thread.get(k) for k in ("status", "flight_number", "flight_date", "disruption_type",
                                              "created_at", "updated_at", "execution_arn", "outcome", "failure",
                                              "replay_of", "replan_of", "holds", "contested")},
        "event": (latest.get("start") or {}).get("payload"),
        "approval": approval_public(store.get_approval(thread_id), now),
        "briefing": briefing_public((latest.get("briefing") or {}).get("payload")),
        "decision": decision,
        "matrix": _matrix(options, views, agents_in_views, decision),
        "agents": agents,
        "revisions": revisions,
        "result": (latest.get("completed") or {}).get("payload"),
        "timeline": _timeline(history),
        "generated_at": now.isoformat(timespec="seconds"),
    }
