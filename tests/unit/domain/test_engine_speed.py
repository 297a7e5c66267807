"""All seven agents, the revision round and the arbitration for one disruption on a 1,000-flight hub day: well
under one second in process (the issue's target)."""

from __future__ import annotations

import time

import pytest
from domain_scenarios import FakeGuidance
from synthetic_hub_day import build

from skymarshal.domain import (
    InMemoryOpsReader,
    Policy,
    arbitrate,
    assess,
    build_snapshot,
    generate_options,
    revise,
)
from skymarshal.models import ALL_AGENTS, DisruptionEvent


@pytest.fixture(scope="module")
def hub_day() -> InMemoryOpsReader:
    ds = build()
    assert len(ds.flights) == 1000 and len(ds.bookings) == 150_000 and len(ds.aircraft) == 150
    return InMemoryOpsReader(ds)


def test_one_disruption_on_a_1000_flight_day_is_decided_from_one_compact_snapshot(
    hub_day: InMemoryOpsReader,
) -> None:
    flight = sorted((f for f in hub_day.dataset.flights if f.origin == "AUH"), key=lambda f: f.std_utc)[200]
    event = DisruptionEvent(
        event_id="bench-1",
        flight_number=flight.flight_number,
        flight_date=flight.flight_date,
        disruption_type="technical",
        delay_minutes=150,
        cause="hydraulic leak",
        reported_at=flight.std_utc.replace(minute=0),
    )
    policy = Policy()
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        snapshot = build_snapshot(event, hub_day)
        options = generate_options(event, snapshot, policy)
        t1 = time.perf_counter()
        phase1 = [assess(a, snapshot, options, policy) for a in ALL_AGENTS]
        phase2 = [revise(v.agent, v, phase1, snapshot, options, policy) for v in phase1]
        decision = arbitrate(event, phase2, options, snapshot, policy, FakeGuidance())
        t2 = time.perf_counter()
        timings.append((t1 - t0, t2 - t1))
    best_prepare = min(t[0] for t in timings)
    best_decide = min(t[1] for t in timings)
    print(
        f"\nsnapshot+options {best_prepare * 1000:.1f} ms; 7 agents x 2 phases + arbitration "
        f"{best_decide * 1000:.1f} ms; snapshot {len(snapshot.model_dump_json()) / 1024:.0f} KiB"
    )
    assert decision.recommended is not None or decision.escalated
    # the time itself is reported by benchmarks/bench_agents.py (speed targets live in benchmarks)
    assert len(snapshot.model_dump_json()) < 350_000  # one checkpoint item, no S3 offload needed
