"""The workflow's steps: load what a step needs, call the domain, checkpoint, return a small result.

Each Lambda handler (skymarshal.handlers.*) parses its input and calls one function here; nothing here knows
about Lambda, and the domain (skymarshal.domain) knows nothing about storage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, ValidationError

from skymarshal import domain
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
    timer = Timer()
    event = parse_event(raw_event)
    thread_id = event.thread_id
    store.open_thread(
        thread_id,
        execution_arn=execution_arn,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        disruption_type=event.disruption_type,
    )
    event_cp = store.put(thread_id, "start", event, meta={"execution_arn": execution_arn})
    try:
        snapshot = domain.build_snapshot(event, reader)
    except domain.SnapshotError as exc:
        raise InvalidDisruptionEvent(str(exc)) from exc
    snapshot_cp = store.put(thread_id, "snapshot", snapshot)
    options = domain.generate_options(event, snapshot, policy)
    options_cp = store.put(
        thread_id, "options", [o.model_dump(mode="json") for o in options], duration_ms=timer.ms,
        meta={"option_ids": [o.option_id for o in options]},
    )
    return Prepared(
        thread_id=thread_id,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        event=event_cp.ref,
        snapshot=snapshot_cp.ref,
        options=options_cp.ref,
        option_ids=[o.option_id for o in options],
        agents=[AgentSlot(agent=a, safety=a in SAFETY_AGENTS) for a in ALL_AGENTS],
        approval_timeout_seconds=approval_timeout_seconds,
    )


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


def mask_token(token: str) -> str:
    """The task token is a bearer secret: logs and checkpoints only ever see this."""
    return f"{token[:6]}…({len(token)} chars)" if token else ""


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
            record.decided_at = datetime.fromisoformat(approval.get("decided_at") or datetime.now(UTC).isoformat())
        store.put(task.thread_id, "approval_decided", record, status=outcome)
    decision = Decision.model_validate(store.load(task.decision.decision))
    result = FinalResult(
        thread_id=task.thread_id, execution_arn=task.execution_arn, outcome=outcome, decision=decision,
        approval=record,
    )
    store.put(task.thread_id, "completed", {"outcome": outcome, "approval": record.model_dump(mode="json")},
              status=outcome)
    store.set_status(task.thread_id, _THREAD_STATUS[outcome], outcome=outcome)  # type: ignore[arg-type]
    return result
