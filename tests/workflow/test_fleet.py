"""Fleet-consistent decisions on the embedded stack (real ASL, real handlers, moto DynamoDB transactions):
concurrent disruptions at one hub share spare tails, reserve captains and seats on later flights. A pending
decision holds its resources, approval commits and applies them, a stale approval is refused and re-planned,
and a storm of 50 approved in random order by concurrent approvers leaves a consistent operation.

The hub storm data (skymarshal_local.datagen.hubstorm): EY2000+i out of AUH at 06:20Z; even flights have a
hydraulic leak (180 min as reported; a spare tail departs 25 min late instead), odd flights a sick captain (a
reserve captain instead); spares A6-AP00..., reserve captains RS000-CPT...; later flights EY3000... to FRA
have 99 free seats each.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from skymarshal import aws
from skymarshal.stores.fleet import CLAIM_SK, claim_pk
from skymarshal_local.datagen.hubstorm import hub_storm, storm_event
from skymarshal_local.operations import fleetcheck
from skymarshal_local.target import TargetError
from tests.conftest import TERMINAL, fresh_operation

pytestmark = [pytest.mark.workflow]


@pytest.fixture
def storm(stack: Any, target: Any) -> Any:
    def _seed(n: int, spares: int, reserves: int) -> Any:
        dataset = hub_storm(n, spares, reserves)
        return fresh_operation(stack, dataset)

    return _seed


def start(target: Any, i: int, prefix: str) -> str:
    from skymarshal.models import DisruptionEvent

    event = DisruptionEvent.model_validate(storm_event(i, prefix))
    target.start(event)
    return event.thread_id


def awaiting(target: Any, thread_id: str, timeout: float = 120) -> dict[str, Any]:
    desc = target.wait(target.execution_arn(thread_id), TERMINAL | {"AWAITING_APPROVAL"}, timeout=timeout)
    assert desc["status"] == "AWAITING_APPROVAL", (thread_id, desc["status"], desc.get("error"), desc.get("cause"))
    return desc


def decision_of(target: Any, thread_id: str) -> dict[str, Any]:
    cp = next(c for c in reversed(target.store.history(thread_id)) if c["step"] == "arbitration")
    from skymarshal.models import Ref

    return dict(target.store.load(Ref(thread_id=thread_id, checkpoint_id=cp["checkpoint_id"])))


def recommended_tail(target: Any, thread_id: str) -> str | None:
    """The tail the recommended option flies (None: a cancellation, or nothing recommended)."""
    from skymarshal.steps.fleet import recommended

    option = recommended(target.store, thread_id).option
    return option.tail if option else None


def finished(target: Any, thread_id: str) -> dict[str, Any]:
    desc = target.wait(target.execution_arn(thread_id), TERMINAL, timeout=120)
    assert desc["status"] == "SUCCEEDED", (thread_id, desc)
    return dict(json.loads(desc["output"]))


def test_a_spare_held_by_a_pending_decision_is_not_recommended_to_the_next_one(target, storm):
    dataset = storm(3, spares=1, reserves=0)
    prefix = f"fleet-{uuid.uuid4().hex[:6]}"
    first = start(target, 0, prefix)
    awaiting(target, first)
    assert recommended_tail(target, first) == "A6-AP00"
    thread = target.store.get_thread(first)
    assert "tail A6-AP00 (swap)" in thread["holds"] and not thread["contested"]

    second = start(target, 2, prefix)  # the same hub, the same hydraulic leak, no other spare
    awaiting(target, second)
    decision = decision_of(target, second)
    assert recommended_tail(target, second) != "A6-AP00"
    refused = [b for b in decision["binding_constraints"] if "A6-AP00" in b["description"]]
    assert refused and f"held by thread {first} until" in refused[0]["description"]

    target.decide(first, True, "dm-1", "swap approved")
    target.decide(second, True, "dm-2", "approved")
    assert finished(target, first)["outcome"] == "approved"
    assert finished(target, second)["outcome"] == "approved"
    flight = target.outputs["OpsDataTableName"]
    violations, counts = fleetcheck.check(flight, dataset, [first, second])
    assert violations == []
    assert counts["approved_plans"] == 2
    state = fleetcheck.fleet_state(flight, dataset, [first, second])
    assert state.flights["EY2000/2026-12-01"].tail == "A6-AP00"  # the approved swap is in the operation
    assert state.flights["EY2002/2026-12-01"].tail != "A6-AP00"


def test_a_stopped_run_gives_back_the_spare_its_decision_held_and_cannot_be_approved(target, storm):
    """An operator stops a pending run (a duplicate report): it is ABORTED at once, its thread fails with the
    reason, its approval is closed, and the spare its decision held goes to the next decision at once, not
    when the approval would have expired."""
    import time

    storm(3, spares=1, reserves=0)
    prefix = f"fleet-{uuid.uuid4().hex[:6]}"
    first = start(target, 0, prefix)
    awaiting(target, first)
    assert "tail A6-AP00 (swap)" in target.store.get_thread(first)["holds"]

    sfn = target.client("stepfunctions")
    sfn.stop_execution(executionArn=target.execution_arn(first), error="Operator", cause="duplicate report")
    assert sfn.describe_execution(executionArn=target.execution_arn(first))["status"] == "ABORTED"
    deadline = time.monotonic() + 120  # the status change reaches the thread through EventBridge -> Lambda
    while (target.store.get_thread(first) or {}).get("status") != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert target.store.get_thread(first)["failure"].startswith("execution was stopped")
    with pytest.raises(TargetError):
        target.decide(first, True, "dm-1", "too late")

    second = start(target, 2, prefix)  # the same hub, the same leak, the only spare
    awaiting(target, second)
    assert recommended_tail(target, second) == "A6-AP00"
    target.decide(second, True, "dm-2", "swap approved")
    assert finished(target, second)["outcome"] == "approved"


def test_an_approval_whose_spare_was_taken_meanwhile_is_refused_and_the_thread_re_planned(target, storm):
    dataset = storm(3, spares=1, reserves=0)
    prefix = f"fleet-{uuid.uuid4().hex[:6]}"
    thread_id = start(target, 0, prefix)
    awaiting(target, thread_id)
    assert recommended_tail(target, thread_id) == "A6-AP00"
    # meanwhile the hold lapsed and another decision committed the spare (as its conditional write allows)
    aws.table(target.outputs["OpsDataTableName"]).update_item(
        Key={"PK": claim_pk("tail", "A6-AP00"), "SK": CLAIM_SK},
        UpdateExpression="SET thread_id = :o, #st = :c",
        ExpressionAttributeNames={"#st": "state"},
        ExpressionAttributeValues={":o": "other-thread", ":c": "committed"})

    with pytest.raises(TargetError, match="re-planned as thread " + thread_id + "-r1") as refused:
        target.decide(thread_id, True, "dm-1", "swap approved")
    assert "A6-AP00 committed by thread other-thread" in str(refused.value)
    assert finished(target, thread_id)["outcome"] == "superseded"  # never approved on the stale plan

    replan = f"{thread_id}-r1"
    awaiting(target, replan)
    assert target.store.get_thread(replan)["replan_of"] == thread_id
    assert recommended_tail(target, replan) != "A6-AP00"
    target.decide(replan, True, "dm-1", "approved")
    assert finished(target, replan)["outcome"] == "approved"
    violations, _ = fleetcheck.check(target.outputs["OpsDataTableName"], dataset, [thread_id, replan])
    assert violations == []


def test_two_concurrent_decisions_never_both_commit_one_spare(target, storm):
    dataset = storm(3, spares=1, reserves=0)
    prefix = f"fleet-{uuid.uuid4().hex[:6]}"
    threads = [start(target, 0, prefix), start(target, 2, prefix)]  # both at once: both may see the spare free
    for t in threads:
        awaiting(target, t)
    results: dict[str, str] = {}

    def approve(t: str) -> None:
        try:
            target.decide(t, True, f"dm-{t}", "approved")
            results[t] = "approved"
        except TargetError as exc:
            results[t] = str(exc)

    workers = [threading.Thread(target=approve, args=(t,)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    all_threads = list(threads)
    for t in threads:
        if results[t] != "approved":  # refused: re-planned against the operation as it is now
            assert "re-planned as thread" in results[t]
            assert finished(target, t)["outcome"] == "superseded"
            awaiting(target, f"{t}-r1")
            target.decide(f"{t}-r1", True, "dm", "approved")
            all_threads.append(f"{t}-r1")
    for t in all_threads:
        finished(target, t)
    violations, counts = fleetcheck.check(target.outputs["OpsDataTableName"], dataset, all_threads)
    assert violations == []
    state = fleetcheck.fleet_state(target.outputs["OpsDataTableName"], dataset, all_threads)
    assert sum(1 for f in state.flights.values() if f.tail == "A6-AP00") <= 1
    assert counts["approved_plans"] == 2


def test_a_storm_of_50_disruptions_approved_in_random_order_leaves_a_consistent_operation(stack, target, storm):
    """50 disruptions at AUH, 4 spares, 3 reserve captains, 3 later flights with 99 free seats: decided
    concurrently, approved in random order by 3 concurrent approvers (the workflow's own steps, driven in this
    process against the stack's tables; see skymarshal_local.operations.fleetstorm)."""
    from skymarshal.opsdata import DynamoOpsReader
    from skymarshal.stores import Store
    from skymarshal.stores.fleet import FleetStore
    from skymarshal_local.operations.fleetstorm import Storm

    n, spares, reserves = 50, 4, 3
    dataset = storm(n, spares, reserves)
    ops = target.outputs["OpsDataTableName"]
    prefix = f"hub-{uuid.uuid4().hex[:6]}"
    driver = Storm(Store(target.outputs["CheckpointTableName"], target.outputs["CheckpointBucketName"]),
                   FleetStore(ops), DynamoOpsReader(ops))
    result = driver.run([storm_event(i, prefix) for i in range(n)], approvers=3, seed=12)

    approved = [t for t, o in result.outcomes.items() if o == "approved"]
    assert set(result.outcomes.values()) <= {"approved", "superseded"}, result.outcomes
    assert len(approved) == n  # every disruption has exactly one approved plan, re-planned when it lost a race
    assert result.replans == sum(1 for o in result.outcomes.values() if o == "superseded")
    violations, counts = fleetcheck.check(ops, dataset, result.decided)
    assert violations == []
    assert counts["approved_plans"] == n
    state = fleetcheck.fleet_state(ops, dataset, result.decided)
    spares_flying = [f.key for f in state.flights.values() if (f.tail or "").startswith("A6-AP")]
    assert 0 < len(spares_flying) <= spares, counts  # the spares were used, each by one flight
    assert 0 < len(state.callouts) <= reserves, counts
