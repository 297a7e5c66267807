"""Fleet-consistent decisions in the workflow's steps: the recommended option's resources are HELD when approval
is requested, COMMITTED and applied to the operational data on approval, RELEASED on rejection, timeout or
escalation; an approval whose resources were taken meanwhile SUPERSEDES the decision and re-plans the thread
(a new execution, linked, against the current operation). Rules: skymarshal.domain.fleet; storage:
skymarshal.stores.fleet."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from skymarshal.domain import fleet
from skymarshal.domain.operation import Snapshot
from skymarshal.domain.policy import Policy
from skymarshal.models import Decision, RecoveryOption, Ref
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.stores import Store
from skymarshal.stores.fleet import FleetStore, HoldResult

DECIDED_STEPS = ("snapshot", "options", "arbitration", "start")


@dataclass
class Recommended:
    """What a thread decided: its event (as started), snapshot, and the recommended option (None: escalated)."""

    event: dict[str, Any]
    snapshot: Snapshot
    option: RecoveryOption | None


def recommended(store: Store, thread_id: str) -> Recommended:
    found = {c["step"]: c for c in store.history(thread_id) if c["step"] in DECIDED_STEPS}

    def ref(step: str) -> Ref:
        return Ref(thread_id=thread_id, checkpoint_id=found[step]["checkpoint_id"])
    event, snapshot_data, decided, options_data = store.load_many(
        [ref("start"), ref("snapshot"), ref("arbitration"), ref("options")])
    decision = Decision.model_validate(decided)
    option = None
    if decision.recommended is not None:
        options = [RecoveryOption.model_validate(o) for o in options_data]
        option = next((o for o in options if o.option_id == decision.recommended.option_id), None)
    return Recommended(event=event, snapshot=Snapshot.model_validate(snapshot_data), option=option)


def takes_part(store: Store, thread_id: str) -> bool:
    """A replay ("time travel" from a stored checkpoint) is a what-if on a stored snapshot: it holds, commits
    and changes nothing in the operation. Every other thread does."""
    thread = store.get_thread(thread_id) or {}
    return not thread.get("replay_of")


def hold(store: Store, holds: FleetStore, thread_id: str, hold_until: datetime, policy: Policy) -> HoldResult | None:
    """When approval is requested: hold the recommended option's resources until the approval expires; the
    thread record says what it holds, or who took what it needs (the duty manager sees it before approving)."""
    rec = recommended(store, thread_id)
    if rec.option is None:
        return None
    result = holds.hold(thread_id, rec.snapshot.flight_key, rec.option, fleet.needs(rec.option, rec.snapshot, policy),
                        hold_until)
    store.put(thread_id, "resources_held" if result.ok else "resources_contested",
              {"holds": result.holds, "conflicts": result.conflicts}, status=result.state)
    return result


def commit(holds: FleetStore, thread_id: str) -> HoldResult:
    """On approval: the holds become commitments, all or nothing (refused when a resource was taken)."""
    return holds.commit(thread_id)


def apply(store: Store, holds: FleetStore, thread_id: str, policy: Policy, reader: DynamoOpsReader) -> None:
    """After the commitment: the operation shows the plan (flights, called-out duties, rebooked passengers)."""
    rec = recommended(store, thread_id)
    if rec.option is None:
        return
    changes = fleet.plan_changes(rec.option, rec.snapshot, policy)
    bookings = reader.bookings_for_flight(changes.cancelled_flight) if changes.cancelled_flight else []
    holds.apply(thread_id, rec.snapshot, rec.option, changes, bookings)
    store.put(thread_id, "plan_applied", {"flights": sorted(changes.flights), "duties": sorted(changes.duties),
                                          "rebooking": changes.rebooking}, status="applied")


def release(holds: FleetStore, thread_id: str, state: str = "released") -> None:
    holds.release(thread_id, state)


def replan(store: Store, sfn: Any, thread_id: str, execution_arn: str, reason: str) -> str:
    """Start the re-plan of a superseded thread: a new execution of the same state machine, its event the
    thread's own with a new id and `replan_of`, so it snapshots the operation as it is now."""
    new_id = fleet.replan_id(thread_id)
    rec_event = store.load(Ref(thread_id=thread_id, checkpoint_id=next(
        c["checkpoint_id"] for c in store.history(thread_id) if c["step"] == "start")))
    event = {k: v for k, v in dict(rec_event).items() if v is not None}
    event.update(event_id=new_id, replan_of=thread_id)
    state_machine = execution_arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
    with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):  # started already (a retried step)
        sfn.start_execution(stateMachineArn=state_machine, name=new_id, input=json.dumps(event, default=str))
    store.put(thread_id, "replanned", {"replanned_as": new_id, "reason": reason}, status="superseded")
    return new_id
