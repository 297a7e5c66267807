"""The workflow's steps: load what a step needs, call the domain, checkpoint, return a small result.

Each Lambda handler (skymarshal.handlers.*) parses its input and calls one function here; nothing here knows
about Lambda, and the domain (skymarshal.domain) knows nothing about storage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, ValidationError

from skymarshal import domain, events_out
from skymarshal.approvals import mask_token
from skymarshal.checkpoints import CheckpointStore, Timer
from skymarshal.domain.operation import OpsReader, Snapshot
from skymarshal.domain.policy import Policy
from skymarshal.errors import InvalidDisruptionEvent, SafetyAgentFailed
from skymarshal.models import (
    ALL_AGENTS,
    SAFETY_AGENTS,
    AgentName,
    AgentSummary,
    AgentView,
    ApprovalRecord,
    ApprovalResponse,
    Decision,
    DecisionSummary,
    DisruptionEvent,
    RecoveryOption,
    Ref,
    Strict,
)


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """`flight_number: String should match pattern ...; reported_at: Field required` — field and reason."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(event)"
        parts.append(f"{prefix}{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_event(data: Any) -> DisruptionEvent:
    """Validate a disruption event; the error names each bad field and the reason."""
    try:
        return DisruptionEvent.model_validate(data)
    except ValidationError as exc:
        raise InvalidDisruptionEvent(f"invalid disruption event: {describe_validation_error(exc)}") from exc


# --------------------------------------------------------------------------------------------------
# Step inputs and outputs (what the state machine passes)
# --------------------------------------------------------------------------------------------------
class AgentSlot(Strict):
    agent: AgentName
    safety: bool


class Prepared(Strict):
    thread_id: str
    flight_number: str
    flight_date: str
    event: Ref
    snapshot: Ref
    options: Ref
    option_ids: list[str]
    agents: list[AgentSlot]
    approval_timeout_seconds: int
    # Replay (time travel): where the state machine resumes, with the stored views it resumes from.
    resume_at: Literal["phase1", "phase2", "arbitrate"] = "phase1"
    phase1: list[AgentSummary] | None = None
    phase2: list[AgentSummary] | None = None
    replay_of: str | None = None


class Resume(Strict):
    """Optional `resume` block of the execution input: replay thread `replay_of` from one of its checkpoints."""

    replay_of: str
    from_checkpoint: str


class AgentTask(Strict):
    thread_id: str
    agent: AgentName
    safety: bool
    phase: Literal[1, 2]
    event: Ref
    snapshot: Ref
    options: Ref
    peers: list[AgentSummary] = Field(default_factory=list)


class AgentFailureTask(AgentTask):
    error: dict[str, Any] = Field(default_factory=dict)  # {"Error": ..., "Cause": ...} from the Catch


class SafetyFailure(Strict):
    agent: AgentName
    phase: int
    error: str


class ArbitrationTask(Strict):
    thread_id: str
    event: Ref
    snapshot: Ref
    options: Ref
    views: list[AgentSummary]


class ApprovalTask(Strict):
    thread_id: str
    execution_arn: str
    task_token: str
    timeout_seconds: int
    decision: DecisionSummary


class FinalizeTask(Strict):
    thread_id: str
    execution_arn: str
    decision: DecisionSummary
    approval: dict[str, Any]


class FinalResult(Strict):
    thread_id: str
    execution_arn: str
    outcome: Literal["approved", "rejected", "auto_approved", "approval_timed_out"]
    decision: Decision
    approval: ApprovalRecord


# --------------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------------
def prepare(
    raw_event: Any, execution_arn: str, store: CheckpointStore, reader: OpsReader, policy: Policy,
    approval_timeout_seconds: int,
) -> Prepared:
    """Open the thread and checkpoint the event, the snapshot and the options. On a re-run for the same thread
    (a redrive, a retried task) the thread's own checkpoints are returned, not recomputed, so every agent's
    idempotency key (which holds their ids) matches its finished work. With a `resume` block, the run is a
    replay of another thread: see `_resume`."""
    timer = Timer()
    raw = dict(raw_event) if isinstance(raw_event, dict) else raw_event
    try:
        resume = Resume.model_validate(raw.pop("resume")) if isinstance(raw, dict) and raw.get("resume") else None
    except ValidationError as exc:
        raise InvalidDisruptionEvent(f"invalid resume block: {describe_validation_error(exc, 'resume.')}") from exc
    event = parse_event(raw)
    thread_id = event.thread_id
    thread = store.open_thread(
        thread_id,
        execution_arn=execution_arn,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        disruption_type=event.disruption_type,
        **({"replay_of": resume.replay_of, "replay_from": resume.from_checkpoint} if resume else {}),
    )
    if thread.get("status") == "failed":  # redriven: the thread is worked on again
        store.set_status(thread_id, "active", redriven_at=datetime.now(UTC).isoformat())
    found = {c["step"]: c for c in store.history(thread_id)
             if c["step"] in ("start", "snapshot", "options", "replayed")}  # newest of each step
    extra: dict[str, Any] = {}
    if resume and "options" not in found:
        extra = _resume(store, thread_id, event, resume, execution_arn)
        event_ref, snapshot_ref, options_ref = extra.pop("refs")
        option_ids = extra.pop("option_ids")
    else:
        event_ref = _ref(found.get("start")) or store.put(
            thread_id, "start", event, meta={"execution_arn": execution_arn}).ref
        snapshot_ref = _ref(found.get("snapshot"))
        options_ref = _ref(found.get("options")) if snapshot_ref else None
        snapshot: Snapshot | None = None
        if snapshot_ref is None:
            try:
                snapshot = domain.build_snapshot(event, reader)
            except domain.SnapshotError as exc:
                raise InvalidDisruptionEvent(str(exc)) from exc
            snapshot_ref = store.put(thread_id, "snapshot", snapshot).ref
        if options_ref is None:
            if snapshot is None:  # a re-run that stopped between the snapshot and the options
                snapshot = Snapshot.model_validate(store.load(snapshot_ref))
            options = domain.generate_options(event, snapshot, policy)
            option_ids = [o.option_id for o in options]
            options_ref = store.put(
                thread_id, "options", [o.model_dump(mode="json") for o in options], duration_ms=timer.ms,
                meta={"option_ids": option_ids},
            ).ref
        else:
            option_ids = list(found["options"].get("meta", {}).get("option_ids") or [])
        if resume:  # a replay redriven after Prepare: the resume point is on the thread's `replayed` checkpoint
            replayed = found.get("replayed")
            if replayed:
                extra = _resume_point(store, thread_id, replayed["meta"].get("resume_at", "phase1"))
    return Prepared(
        thread_id=thread_id,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        event=event_ref,
        snapshot=snapshot_ref,
        options=options_ref,
        option_ids=option_ids,
        agents=[AgentSlot(agent=a, safety=a in SAFETY_AGENTS) for a in ALL_AGENTS],
        approval_timeout_seconds=approval_timeout_seconds,
        replay_of=resume.replay_of if resume else None,
        **extra,
    )


def _ref(checkpoint: dict[str, Any] | None) -> Ref | None:
    return Ref(thread_id=checkpoint["thread_id"], checkpoint_id=checkpoint["checkpoint_id"]) if checkpoint else None


_VIEW_STEPS = ("agent_complete", "agent_unavailable")


def _resume(store: CheckpointStore, thread_id: str, event: DisruptionEvent, resume: Resume, execution_arn: str
            ) -> dict[str, Any]:
    """Replay: copy the original thread's state up to `from_checkpoint` into this thread and say where to resume.
    The granularity is the phase: all seven phase-2 views at or before the checkpoint -> re-arbitrate; all seven
    phase-1 views -> phase 2; otherwise phase 1 with the stored snapshot and options (never a new snapshot)."""
    history = store.history(resume.replay_of)
    ids = [c["checkpoint_id"] for c in history]
    if resume.from_checkpoint not in ids:
        raise InvalidDisruptionEvent(
            f"resume.from_checkpoint: {resume.from_checkpoint} is not a checkpoint of thread {resume.replay_of}")
    upto = history[: ids.index(resume.from_checkpoint) + 1]
    latest = {c["step"]: c for c in upto}
    if "snapshot" not in latest or "options" not in latest:
        raise InvalidDisruptionEvent(
            f"resume.from_checkpoint: {resume.from_checkpoint} is before the snapshot of {resume.replay_of}: "
            "start a new run instead")

    def copy(c: dict[str, Any]) -> Ref:
        payload = store.load(Ref(thread_id=resume.replay_of, checkpoint_id=c["checkpoint_id"]))
        return store.put(thread_id, c["step"], payload, phase=c.get("phase"), agent=c.get("agent"),
                         status=c.get("outcome"), confidence=c.get("confidence"),
                         meta={**(c.get("meta") or {}), "copied_from": f"{resume.replay_of}/{c['checkpoint_id']}"}).ref

    event_ref = store.put(thread_id, "start", event, meta={"execution_arn": execution_arn, **resume.model_dump()}).ref
    snapshot_ref, options_ref = copy(latest["snapshot"]), copy(latest["options"])
    views = {p: {c["agent"]: c for c in upto if c["step"] in _VIEW_STEPS and c.get("phase") == p} for p in (1, 2)}
    resume_at = "arbitrate" if len(views[2]) == len(ALL_AGENTS) else "phase2" if len(views[1]) == len(ALL_AGENTS) \
        else "phase1"
    for p in (1, 2)[: {"phase1": 0, "phase2": 1, "arbitrate": 2}[resume_at]]:
        for agent in ALL_AGENTS:
            copy(views[p][agent])
    store.put(thread_id, "replayed", None, status=resume_at,
              meta={"replay_of": resume.replay_of, "from_checkpoint": resume.from_checkpoint, "resume_at": resume_at})
    return {"refs": (event_ref, snapshot_ref, options_ref),
            "option_ids": list(latest["options"].get("meta", {}).get("option_ids") or []),
            **_resume_point(store, thread_id, resume_at)}


def _resume_point(store: CheckpointStore, thread_id: str, resume_at: str) -> dict[str, Any]:
    """The stored views (of this thread) a resumed run starts from: phase 1 for phase 2, phase 2 for arbitration."""
    out: dict[str, Any] = {"resume_at": resume_at}
    phase = {"phase2": 1, "arbitrate": 2}.get(resume_at)
    if phase:
        found = {c["agent"]: c for c in store.history(thread_id)
                 if c["step"] in _VIEW_STEPS and c.get("phase") == phase}
        out[f"phase{phase}"] = [
            summarize(AgentView.model_validate(store.load(ref)), ref, reused=True)
            for ref in (_ref(found.get(a)) for a in ALL_AGENTS) if ref
        ]
    return out


def _load_context(
    store: CheckpointStore, event: Ref, snapshot: Ref, options: Ref
) -> tuple[DisruptionEvent, Snapshot, list[RecoveryOption]]:
    return (
        DisruptionEvent.model_validate(store.load(event)),
        Snapshot.model_validate(store.load(snapshot)),
        [RecoveryOption.model_validate(o) for o in store.load(options)],
    )


def run_agent(task: AgentTask, store: CheckpointStore, policy: Policy) -> AgentSummary:
    """Phase 1: assess every option. Phase 2: revise, given the peers' phase-1 views."""
    timer = Timer()
    store.put(task.thread_id, "agent_start", None, phase=task.phase, agent=task.agent, status="started")
    _, snapshot, options = _load_context(store, task.event, task.snapshot, task.options)
    if task.phase == 1:
        view = domain.assess(task.agent, snapshot, options, policy)
    else:
        views = {p.agent: AgentView.model_validate(store.load(p.view)) for p in task.peers}
        own = views.pop(task.agent, None) or domain.unavailable_view(task.agent, 1, "no phase-1 view")
        view = domain.revise(task.agent, own, list(views.values()), snapshot, options, policy)
    cp = store.put(
        task.thread_id, "agent_complete", view, phase=task.phase, agent=task.agent, status=view.status,
        confidence=view.confidence, duration_ms=timer.ms,
        meta={"preferred_option": view.preferred_option,
              "revision": view.revision.action if view.revision else None},
    )
    return summarize(view, cp.ref)


def summarize(view: AgentView, ref: Ref, reused: bool = False) -> AgentSummary:
    return AgentSummary(
        agent=view.agent,
        phase=view.phase,
        status=view.status,
        preferred_option=view.preferred_option,
        confidence=view.confidence,
        revision=view.revision.action if view.revision else None,
        view=ref,
        reused=reused,
    )


def record_agent_failure(task: AgentFailureTask, store: CheckpointStore) -> AgentSummary | SafetyFailure:
    """Checkpoint the failure; a business agent degrades to an 'unavailable' view, a safety agent fails the
    thread (status `failed`, found by `skymarshal status --failed`) so the execution can be redriven."""
    error_name = str(task.error.get("Error", "Unknown"))
    cause = str(task.error.get("Cause", ""))[:1000]
    timed_out = error_name in ("States.Timeout", "Sandbox.Timedout") or "timed out" in cause.lower()
    store.put(
        task.thread_id, "agent_timeout" if timed_out else "agent_error", {"error": error_name, "cause": cause},
        phase=task.phase, agent=task.agent, status="timeout" if timed_out else "error",
    )
    message = f"{task.agent} (phase {task.phase}) failed after retries: {error_name}: {cause}"[:2000]
    if task.safety:
        store.set_status(task.thread_id, "failed", failure=message)
        return SafetyFailure(agent=task.agent, phase=task.phase, error=message)
    view = domain.unavailable_view(task.agent, task.phase, f"{error_name}: {cause}"[:500])
    cp = store.put(task.thread_id, "agent_unavailable", view, phase=task.phase, agent=task.agent,
                   status="unavailable", confidence=view.confidence)
    return summarize(view, cp.ref)


def arbitrate(task: ArbitrationTask, store: CheckpointStore, policy: Policy, guidance: Any) -> DecisionSummary:
    timer = Timer()
    store.put(task.thread_id, "arbitration_start", None, status="started")
    event, snapshot, options = _load_context(store, task.event, task.snapshot, task.options)
    views = [AgentView.model_validate(store.load(v.view)) for v in task.views]
    missing = {a for a in SAFETY_AGENTS} - {v.agent for v in views if v.status == "ok"}
    if missing:  # the state machine never gets here without them; refuse rather than decide blind
        raise SafetyAgentFailed(f"no view from safety agent(s) {sorted(missing)}")
    decision = domain.arbitrate(event, views, options, snapshot, policy, guidance)
    requirement = domain.approval_requirement(decision, policy)
    cp = store.put(
        task.thread_id, "arbitration", decision, status="escalated" if decision.escalated else "decided",
        confidence=decision.confidence, duration_ms=timer.ms,
        meta={"recommended": decision.recommended.option_id if decision.recommended else None,
              "approval_required": requirement.required},
    )
    rec = decision.recommended
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
    )


def request_approval(task: ApprovalTask, store: CheckpointStore) -> dict[str, Any]:
    summary = task.decision.model_dump(mode="json")
    record = store.put_approval(task.thread_id, task.task_token, task.execution_arn, summary, task.timeout_seconds)
    store.put(
        task.thread_id, "approval_requested",
        {"decision": summary, "requested_at": record["requested_at"],
         "expires_at": record["approval_expires_at"], "token": mask_token(task.task_token)},
        status="pending",
    )
    store.set_status(task.thread_id, "awaiting_approval", approval_expires_at=record["approval_expires_at"])
    events_out.approval_requested(task.thread_id, task.decision.flight_number, summary,
                                  record["approval_expires_at"], task.execution_arn)
    return {"thread_id": task.thread_id, "status": "pending", "expires_at": record["approval_expires_at"]}


_THREAD_STATUS = {
    "approved": "completed",
    "auto_approved": "completed",
    "rejected": "rejected",
    "approval_timed_out": "escalated",
}


def approval_record(approval: dict[str, Any]) -> ApprovalRecord:
    """Normalise how the approval ended: SendTaskSuccess output, auto-approval, timeout, or a rejection sent
    as SendTaskFailure(error=DecisionRejected)."""
    if "outcome" in approval:
        return ApprovalRecord(decision=approval["outcome"], comments=str(approval.get("comments") or ""))
    response = ApprovalResponse.model_validate(approval)
    return ApprovalRecord(
        approver_id=response.approver_id,
        comments=response.comments,
        decided_at=response.decided_at or datetime.now(UTC),
        decision="approved" if response.approved else "rejected",
    )


def finalize(task: FinalizeTask, store: CheckpointStore) -> FinalResult:
    record = approval_record(task.approval)
    outcome = record.decision
    if outcome == "approval_timed_out":
        store.close_approval(task.thread_id, "expired")
    elif outcome in ("approved", "rejected"):
        approval = store.get_approval(task.thread_id)
        if approval and approval["approval_status"] == "pending":
            # Answered with the plain AWS API (send-task-success/failure): record it here, once.
            store.decide_approval(task.thread_id, outcome, record.approver_id, record.comments)
        elif approval and record.approver_id is None:
            record.approver_id = approval.get("approver_id")
            record.comments = record.comments or approval.get("comments", "")
        if outcome in ("approved", "rejected") and record.decided_at is None and approval:
            decided = approval.get("decided_at") or datetime.now(UTC).isoformat()
            record.decided_at = datetime.fromisoformat(decided)
        store.put(task.thread_id, "approval_decided", record, status=outcome)
    decision = Decision.model_validate(store.load(task.decision.decision))
    result = FinalResult(
        thread_id=task.thread_id, execution_arn=task.execution_arn, outcome=outcome, decision=decision,
        approval=record,
    )
    store.put(task.thread_id, "completed", {"outcome": outcome, "approval": record.model_dump(mode="json")},
              status=outcome)
    store.set_status(task.thread_id, _THREAD_STATUS[outcome], outcome=outcome)  # type: ignore[arg-type]
    events_out.decision_made(result)
    return result
