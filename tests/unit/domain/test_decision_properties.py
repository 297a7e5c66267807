"""Invariants that hold for any disruption on the scenarios (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from domain_scenarios import SCENARIOS, load_dataset, load_event, run_pipeline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skymarshal.domain import InMemoryOpsReader
from skymarshal.models import SAFETY_AGENTS, DisruptionEvent

TYPES = ("technical", "aircraft_on_ground", "crew_sickness", "weather", "atc", "security", "other")


@st.composite
def events(draw: st.DrawFn) -> tuple[str, DisruptionEvent]:
    stem = draw(st.sampled_from(SCENARIOS))
    base = load_event(stem)
    flight = InMemoryOpsReader(load_dataset(stem)).get_flight(base.flight_number, base.flight_date)
    assert flight is not None
    kind = draw(st.sampled_from(TYPES))
    crew = flight.cockpit_crew + flight.cabin_crew
    affected = (
        draw(st.lists(st.sampled_from(crew), min_size=1, max_size=2, unique=True))
        if (kind == "crew_sickness")
        else []
    )
    delay = draw(st.integers(min_value=0, max_value=12 * 60))
    reported = flight.std_utc - timedelta(minutes=draw(st.integers(min_value=-60, max_value=10 * 60)))
    event = base.model_copy(
        update={
            "disruption_type": kind,
            "delay_minutes": delay,
            "affected_crew_ids": affected,
            "reported_at": reported,
        }
    )
    return stem, DisruptionEvent.model_validate(event.model_dump())


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(events())
def test_the_recommended_option_never_carries_a_broken_binding_constraint(
    case: tuple[str, DisruptionEvent],
) -> None:
    stem, event = case
    run = run_pipeline(stem, event=event)
    d = run.decision
    chosen = [s for s in [d.recommended, *d.alternatives] if s is not None]
    for s in chosen:
        assert s.option_id not in d.infeasible
        for v in run.phase2:
            if v.agent in SAFETY_AGENTS:
                a = v.assessment(s.option_id)
                assert a is not None and not any(c.binding and c.violated for c in a.constraints)
    assert [s.rank for s in chosen] == list(range(1, len(chosen) + 1))
    assert 0 <= d.confidence <= 1
    if d.recommended is None:
        assert d.escalated
    if d.confidence < run.policy.low_confidence_threshold:
        assert d.escalated


@SETTINGS
@given(events())
def test_every_option_carries_consistent_times(case: tuple[str, DisruptionEvent]) -> None:
    stem, event = case
    run = run_pipeline(stem, event=event)
    f = run.snapshot.flight
    assert [o.option_id for o in run.options] == [f"OPT-{i}" for i in range(1, len(run.options) + 1)]
    assert sum(o.kind == "cancel" for o in run.options) == 1
    for o in run.options:
        if o.kind == "cancel":
            assert o.new_departure_utc is None and o.new_arrival_utc is None
            continue
        assert o.new_departure_utc is not None and o.new_arrival_utc is not None
        assert o.new_arrival_utc - o.new_departure_utc == f.sta_utc - f.std_utc
        assert o.departure_delay_minutes == (o.new_departure_utc - f.std_utc) / timedelta(minutes=1)
        assert o.arrival_delay_minutes == (o.new_arrival_utc - f.sta_utc) / timedelta(minutes=1)
        assert o.departure_delay_minutes >= 0
        assert o.tail is not None and len(o.cockpit_crew_ids) == len(f.cockpit_crew)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_decisions_are_deterministic(case: tuple[str, DisruptionEvent]) -> None:
    stem, event = case
    first = run_pipeline(stem, event=event)
    second = run_pipeline(stem, event=event)
    assert first.decision.model_dump_json() == second.decision.model_dump_json()
    assert [v.model_dump_json() for v in first.phase2] == [v.model_dump_json() for v in second.phase2]
