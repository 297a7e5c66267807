"""Replay ("time travel"): a new thread that starts from a checkpoint of another one.

The granularity is the phase: all seven phase-2 views at or before the checkpoint -> re-arbitrate; all seven
phase-1 views -> phase 2; otherwise phase 1 with the stored snapshot and options (never a new snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skymarshal.errors import InvalidDisruptionEvent
from skymarshal.models import ALL_AGENTS, AgentSummary, AgentView, DisruptionEvent, Ref, Resume, ResumeAt
from skymarshal.steps.context import VIEW_STEPS, option_ids_of, ref_of, summarize
from skymarshal.stores import Store

# The phases whose views a resumed run starts from, copied from the original thread.
PHASES_BEFORE: dict[ResumeAt, tuple[int, ...]] = {"phase1": (), "phase2": (1,), "arbitrate": (1, 2)}


@dataclass
class ResumePoint:
    """Where the state machine resumes, with the stored views (of this thread) it resumes from."""

    resume_at: ResumeAt = "phase1"
    phase1: list[AgentSummary] | None = None
    phase2: list[AgentSummary] | None = None


@dataclass
class Setup:
    """What Prepare hands the state machine: the thread's event, snapshot and options, and where to start."""

    event: Ref
    snapshot: Ref
    options: Ref
    option_ids: list[str]
    resume: ResumePoint = field(default_factory=ResumePoint)


def resume_at(views: dict[int, dict[str, Any]]) -> ResumeAt:
    """The latest phase a replay can skip to, given the agents' views (per phase) up to its checkpoint."""
    if len(views[2]) == len(ALL_AGENTS):
        return "arbitrate"
    if len(views[1]) == len(ALL_AGENTS):
        return "phase2"
    return "phase1"


def resumed_from_phase(at: ResumeAt) -> int | None:
    """The phase whose views a run resuming `at` starts from: phase 1 for phase 2, phase 2 for arbitration."""
    if at == "phase2":
        return 1
    if at == "arbitrate":
        return 2
    return None


def start(store: Store, event: DisruptionEvent, resume: Resume, execution_arn: str) -> Setup:
    """Copy the original thread's state up to `resume.from_checkpoint` into this thread; say where to resume."""
    thread_id = event.thread_id
    upto = _history_upto(store, resume)
    latest = {c["step"]: c for c in upto}
    if "snapshot" not in latest or "options" not in latest:
        raise InvalidDisruptionEvent(
            f"resume.from_checkpoint: {resume.from_checkpoint} is before the snapshot of {resume.replay_of}: "
            "start a new run instead")
    event_ref = store.put(thread_id, "start", event, meta={"execution_arn": execution_arn, **resume.model_dump()}).ref
    snapshot_ref = _copy(store, thread_id, resume.replay_of, latest["snapshot"])
    options_ref = _copy(store, thread_id, resume.replay_of, latest["options"])
    views = {p: {c["agent"]: c for c in upto if c["step"] in VIEW_STEPS and c.get("phase") == p} for p in (1, 2)}
    at = resume_at(views)
    for phase in PHASES_BEFORE[at]:
        for agent in ALL_AGENTS:
            _copy(store, thread_id, resume.replay_of, views[phase][agent])
    store.put(thread_id, "replayed", None, status=at,
              meta={"replay_of": resume.replay_of, "from_checkpoint": resume.from_checkpoint, "resume_at": at})
    return Setup(event_ref, snapshot_ref, options_ref, option_ids_of(latest["options"]), point(store, thread_id, at))


def point(store: Store, thread_id: str, at: ResumeAt) -> ResumePoint:
    """The resume point of a replay, with the stored views of this thread it starts from."""
    phase = resumed_from_phase(at)
    if phase is None:
        return ResumePoint(resume_at=at)
    found = {c["agent"]: c for c in store.history(thread_id) if c["step"] in VIEW_STEPS and c.get("phase") == phase}
    summaries = [
        summarize(AgentView.model_validate(store.load(ref)), ref, reused=True)
        for ref in (ref_of(found.get(a)) for a in ALL_AGENTS) if ref
    ]
    if phase == 1:
        return ResumePoint(resume_at=at, phase1=summaries)
    return ResumePoint(resume_at=at, phase2=summaries)


def _history_upto(store: Store, resume: Resume) -> list[dict[str, Any]]:
    history = store.history(resume.replay_of)
    ids = [c["checkpoint_id"] for c in history]
    if resume.from_checkpoint not in ids:
        raise InvalidDisruptionEvent(
            f"resume.from_checkpoint: {resume.from_checkpoint} is not a checkpoint of thread {resume.replay_of}")
    return history[: ids.index(resume.from_checkpoint) + 1]


def _copy(store: Store, thread_id: str, replay_of: str, c: dict[str, Any]) -> Ref:
    """Copy one checkpoint of the original thread into this one, noting where it came from."""
    payload = store.load(Ref(thread_id=replay_of, checkpoint_id=c["checkpoint_id"]))
    return store.put(thread_id, c["step"], payload, phase=c.get("phase"), agent=c.get("agent"),
                     status=c.get("outcome"), confidence=c.get("confidence"),
                     meta={**(c.get("meta") or {}), "copied_from": f"{replay_of}/{c['checkpoint_id']}"}).ref
