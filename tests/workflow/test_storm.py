"""A storm through the SQS intake: 50 messages (valid events for every flight of the scenario, re-sent
duplicates, malformed messages) -> exactly one execution per valid event, every malformed message in the DLQ
with its reason, every valid event reaching a decision that a duty manager then approves."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from skymarshal import intake
from skymarshal_local.target import TargetError
from tests.conftest import TERMINAL
from tests.workflow.test_intake import collect_dead_letters, executions, send, wait_for

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

VALID, DUPLICATES, MALFORMED = 25, 17, 8  # 50 messages
DEADLINE = 900  # seconds to wait for an event on a busy machine: a bound, never a speed target (see benchmarks/)
REPLAN = re.compile(r"-r\d+$")  # re-plans of superseded decisions (skymarshal.domain.fleet.replan_id)


def storm_events(dataset: Any, prefix: str, count: int) -> list[dict[str, Any]]:
    """`count` distinct disruption events spread over the flights present in the seeded scenario."""
    flights = [(f.flight_number, f.flight_date) for f in dataset.flights]
    kinds = [("technical", 90, "hydraulic leak found at pre-flight"), ("weather", 150, "thunderstorms at hub"),
             ("atc", 60, "ATC flow restriction"), ("technical", 240, "bird strike inspection")]
    events = []
    for i in range(count):
        number, day = flights[i % len(flights)]
        kind, delay, cause = kinds[i % len(kinds)]
        events.append({
            "event_id": f"{prefix}-{i:03d}", "flight_number": number, "flight_date": str(day),
            "disruption_type": kind, "delay_minutes": delay, "cause": cause,
            "reported_at": datetime(2026, 12, 1, 5, 0, tzinfo=UTC).isoformat(),
        })
    return events


def malformed(valid: dict[str, Any], n: int) -> list[tuple[str, str]]:
    """(body, expected field) pairs: every kind of rejection."""
    cases = [
        ("{truncated", "(body)"),
        ("null", "(body)"),
        (json.dumps({**valid, "event_id": "spaces are bad"}), "event_id"),
        (json.dumps({**valid, "flight_number": "ey1"}), "flight_number"),
        (json.dumps({**valid, "reported_at": "yesterday"}), "reported_at"),
        (json.dumps({**valid, "disruption_type": "alien"}), "disruption_type"),
        (json.dumps({k: v for k, v in valid.items() if k != "cause"}), "cause"),
        (json.dumps({**valid, "delay_minutes": -5}), "delay_minutes"),
    ]
    return cases[:n]


def test_a_storm_of_50_messages_gives_one_workflow_per_event_and_a_reason_for_every_rejection(target, seed, runtime):
    dataset = seed("ey123-technical-delay")
    prefix = f"storm-{uuid.uuid4().hex[:6]}"
    events = storm_events(dataset, prefix, VALID)
    bad = malformed(events[0], MALFORMED)
    rng = random.Random(7)
    duplicates = rng.sample(events, DUPLICATES)
    bodies = [json.dumps(e) for e in events] + [json.dumps(e) for e in duplicates] + [b for b, _ in bad]
    order = list(range(len(bodies)))
    rng.shuffle(order)
    assert len(bodies) == 50

    ids = send(target, [bodies[i] for i in order])
    message_of = {i: ids[pos] for pos, i in enumerate(order)}

    # exactly one execution per valid event (duplicates started nothing)
    expected = Counter({e["event_id"]: 1 for e in events})
    assert wait_for(lambda: executions(target, prefix) == expected, DEADLINE, 0.5), executions(target, prefix)

    # every malformed message in the DLQ, with its field and reason
    bad_ids = {message_of[VALID + DUPLICATES + k]: field for k, (_, field) in enumerate(bad)}
    letters = collect_dead_letters(target, set(bad_ids), timeout=DEADLINE)
    assert {i: letters[i]["field"] for i in letters} == bad_ids
    assert all(letters[i]["code"] in intake.REJECTION_CODES and letters[i]["reason"] for i in letters)

    # every valid event reaches a decision (awaiting the duty manager), which is then approved; several events
    # disrupt the same flight, so an approval whose flight or tail another approved plan took is refused and
    # re-planned (skymarshal.domain.fleet), never approved twice
    arns = {e["event_id"]: target.execution_arn(e["event_id"]) for e in events}
    for event_id, arn in arns.items():  # approved as each one arrives, well inside the approval timeout
        status = target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"}, timeout=DEADLINE)["status"]
        assert status == "AWAITING_APPROVAL", (event_id, status)
        try:
            target.decide(event_id, True, "dm-storm", "storm plan approved")
        except TargetError as exc:
            assert "re-planned as thread" in str(exc), str(exc)
        except Exception:  # the execution's last events and the invocation counts say why
            print("invocations:", dict(runtime.invocations))
            for e in target.history(arn)[-8:]:
                print(json.dumps(e, default=str)[:400])
            raise
    for event_id, arn in arns.items():
        desc = target.wait(arn, TERMINAL, timeout=DEADLINE)
        assert desc["status"] == "SUCCEEDED", (event_id, desc["status"], desc.get("error"), desc.get("cause"))
        assert json.loads(desc["output"])["outcome"] in ("approved", "superseded")
    originals = Counter({name: n for name, n in executions(target, prefix).items() if not REPLAN.search(name)})
    assert originals == expected
