"""Prepare: validate the event, open the thread, checkpoint the event, the snapshot and the options.

Three paths, one function each, chosen by `prepare`:
- fresh: the first run of a thread computes and checkpoints everything;
- redriven: a re-run for the same thread (a redrive, a retried task) returns the thread's own checkpoints
  instead of recomputing them, so every agent's idempotency key (which holds their ids) matches its finished
  work; what is missing (a run that stopped half-way) is computed;
- replayed: with a `resume` block, the run replays another thread from one of its checkpoints
  (skymarshal.steps.replay).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from skymarshal import intake
from skymarshal.domain.operation import OpsReader, Snapshot, SnapshotError, build_snapshot
from skymarshal.domain.options import generate_options
from skymarshal.domain.policy import Policy
from skymarshal.errors import InvalidDisruptionEvent, UnknownFlight
from skymarshal.models import (
    ALL_AGENTS,
    SAFETY_AGENTS,
    AgentSlot,
    DisruptionEvent,
    Prepared,
    PrepareTask,
    Ref,
    Resume,
    describe_validation_error,
)
from skymarshal.observability import Timer
from skymarshal.steps import replay
from skymarshal.steps.context import checkpoint_ref, option_ids_of, ref_of
from skymarshal.steps.replay import Setup
from skymarshal.stores import Store
from skymarshal.stores.fleet import FleetStore

SETUP_STEPS = ("start", "snapshot", "options", "replayed")  # the checkpoints Prepare writes


def parse_event(data: Any) -> DisruptionEvent:
    """Validate a disruption event; the error names each bad field and the reason."""
    try:
        return DisruptionEvent.model_validate(data)
    except ValidationError as exc:
        raise InvalidDisruptionEvent(f"invalid disruption event: {describe_validation_error(exc)}") from exc


def parse_input(raw_event: Any) -> tuple[DisruptionEvent, Resume | None]:
    """The event, and the optional `resume` block that makes the run a replay (`replan_of`, the thread a
    re-plan supersedes, is read by `replan_of`)."""
    raw = dict(raw_event) if isinstance(raw_event, dict) else raw_event
    if isinstance(raw, dict):
        raw.pop("replan_of", None)
    resume = None
    if isinstance(raw, dict) and raw.get("resume"):
        try:
            resume = Resume.model_validate(raw.pop("resume"))
        except ValidationError as exc:
            raise InvalidDisruptionEvent(
                f"invalid resume block: {describe_validation_error(exc, 'resume.')}") from exc
    return parse_event(raw), resume


def execution_name(execution_arn: str) -> str:
    """The name of a STANDARD execution: the last part of its ARN (…:execution:<state machine>:<name>)."""
    return execution_arn.rsplit(":", 1)[-1]


def check_execution_name(event: DisruptionEvent, execution_arn: str) -> None:
    """One workflow per event: the execution must be named after the event id (what the intake, `skymarshal
    start` and `skymarshal replay` do; a redrive keeps the name, a replay's event id is its new thread id).
    A second execution under another name would share the thread and overwrite its approval: refused."""
    if execution_arn and execution_name(execution_arn) != event.event_id:
        raise InvalidDisruptionEvent(
            f"event_id: the execution is named {execution_name(execution_arn)!r}, not the event id"
            f" {event.event_id!r}; start it with --name {event.event_id} (one workflow per event)")


def admit(event: DisruptionEvent, reader: OpsReader, policy: Policy) -> None:
    """The intake's refusal rules (skymarshal.intake.admit) as the workflow's named errors: UnknownFlight
    naming flight_number/flight_date, InvalidDisruptionEvent naming the field the flight contradicts."""
    try:
        intake.admit(event, reader, policy)
    except intake.Rejection as refused:
        error = UnknownFlight if refused.code == intake.UNKNOWN_FLIGHT else InvalidDisruptionEvent
        raise error(f"{refused.field}: {refused.reason}") from None


def replan_of(raw_event: Any) -> str | None:
    """The thread a re-plan supersedes (skymarshal.steps.fleet.replan), if this run is one."""
    return str(raw_event["replan_of"]) if isinstance(raw_event, dict) and raw_event.get("replan_of") else None


def prepare(
    task: PrepareTask, store: Store, reader: OpsReader, policy: Policy, approval_timeout_seconds: int,
    briefing_enabled: bool = False,
    holds: FleetStore | None = None,
) -> Prepared:
    """Open the thread and checkpoint what the agents read; see the module docstring for the three paths.
    With `holds`, the snapshot carries what other decisions hold or committed (skymarshal.domain.fleet)."""
    timer = Timer()
    execution_arn = task.execution_arn
    event, resume = parse_input(task.event)
    check_execution_name(event, execution_arn)
    if resume is None and store.get_thread(event.thread_id) is None:
        admit(event, reader, policy)  # a new thread: refused before anything is recorded
    _open_thread(store, event, execution_arn, resume, replan_of(task.event))
    found = {c["step"]: c for c in store.history(event.thread_id) if c["step"] in SETUP_STEPS}  # newest of each
    if resume is not None and "options" not in found:
        setup = replay.start(store, event, resume, execution_arn)
    elif found:
        setup = _redriven(store, event, execution_arn, resume, found, reader, policy, timer, holds)
    else:
        setup = _fresh(store, event, execution_arn, reader, policy, timer, holds)
    return Prepared(
        thread_id=event.thread_id,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        event=setup.event,
        snapshot=setup.snapshot,
        options=setup.options,
        option_ids=setup.option_ids,
        agents=[AgentSlot(agent=a, safety=a in SAFETY_AGENTS) for a in ALL_AGENTS],
        approval_timeout_seconds=approval_timeout_seconds,
        briefing_enabled=briefing_enabled,
        replay_of=resume.replay_of if resume else None,
        resume_at=setup.resume.resume_at,
        phase1=setup.resume.phase1,
        phase2=setup.resume.phase2,
    )


def _open_thread(
    store: Store, event: DisruptionEvent, execution_arn: str, resume: Resume | None, replanned: str | None = None
) -> None:
    """Create the thread record, or find it (a re-run); a failed thread being redriven is active again."""
    replay_attributes = {"replay_of": resume.replay_of, "replay_from": resume.from_checkpoint} if resume else {}
    if replanned:
        replay_attributes["replan_of"] = replanned
    thread = store.open_thread(
        event.thread_id,
        execution_arn=execution_arn,
        flight_number=event.flight_number,
        flight_date=event.flight_date.isoformat(),
        disruption_type=event.disruption_type,
        **replay_attributes,
    )
    if thread.get("status") == "failed":
        store.set_status(event.thread_id, "active", redriven_at=datetime.now(UTC).isoformat())


def _fresh(
    store: Store, event: DisruptionEvent, execution_arn: str, reader: OpsReader, policy: Policy, timer: Timer,
    holds: FleetStore | None,
) -> Setup:
    event_ref = _put_start(store, event, execution_arn)
    return _from_snapshot(store, event, event_ref, reader, policy, timer, holds)


def _redriven(
    store: Store, event: DisruptionEvent, execution_arn: str, resume: Resume | None, found: dict[str, dict[str, Any]],
    reader: OpsReader, policy: Policy, timer: Timer, holds: FleetStore | None = None,
) -> Setup:
    """Reuse the thread's own checkpoints, compute what is missing; a replay redriven after Prepare resumes
    where its `replayed` checkpoint says."""
    event_ref = ref_of(found.get("start")) or _put_start(store, event, execution_arn)
    snapshot_ref = ref_of(found.get("snapshot"))
    if snapshot_ref is None:
        return _from_snapshot(store, event, event_ref, reader, policy, timer, holds)
    if "options" not in found:  # a re-run that stopped between the snapshot and the options
        snapshot = Snapshot.model_validate(store.load(snapshot_ref))
        options_ref, option_ids = _put_options(store, event, snapshot, policy, timer)
        setup = Setup(event_ref, snapshot_ref, options_ref, option_ids)
    else:
        setup = Setup(event_ref, snapshot_ref, checkpoint_ref(found["options"]), option_ids_of(found["options"]))
    if resume is not None and "replayed" in found:
        setup.resume = replay.point(store, event.thread_id, found["replayed"]["meta"].get("resume_at", "phase1"))
    return setup


def _put_start(store: Store, event: DisruptionEvent, execution_arn: str) -> Ref:
    return store.put(event.thread_id, "start", event, meta={"execution_arn": execution_arn}).ref


def _from_snapshot(
    store: Store, event: DisruptionEvent, event_ref: Ref, reader: OpsReader, policy: Policy, timer: Timer,
    holds: FleetStore | None = None,
) -> Setup:
    """Snapshot the affected operation (with what other decisions hold or committed), then generate the
    options: both checkpointed."""
    try:
        snapshot = build_snapshot(event, reader)
    except SnapshotError as exc:
        raise InvalidDisruptionEvent(str(exc)) from exc
    if holds is not None:
        snapshot = holds.view(snapshot)
    snapshot_ref = store.put(event.thread_id, "snapshot", snapshot).ref
    options_ref, option_ids = _put_options(store, event, snapshot, policy, timer)
    return Setup(event_ref, snapshot_ref, options_ref, option_ids)


def _put_options(
    store: Store, event: DisruptionEvent, snapshot: Snapshot, policy: Policy, timer: Timer
) -> tuple[Ref, list[str]]:
    options = generate_options(event, snapshot, policy)
    option_ids = [o.option_id for o in options]
    ref = store.put(event.thread_id, "options", [o.model_dump(mode="json") for o in options],
                    duration_ms=timer.ms, meta={"option_ids": option_ids}).ref
    return ref, option_ids
