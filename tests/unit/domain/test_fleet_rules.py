"""Fleet rules (skymarshal.domain.fleet): what an option takes, whose claim stops whom, what an approved plan
changes, and the invariants over the operation. Expected values derived by hand from the hub storm data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from skymarshal import domain
from skymarshal.domain import fleet
from skymarshal.domain.operation import InMemoryOpsReader
from skymarshal.domain.operation.claims import Claim
from skymarshal.domain.policy import Policy
from skymarshal.models import DisruptionEvent
from skymarshal_local.datagen.hubstorm import hub_storm, storm_event

POLICY = Policy()
DEP = datetime(2026, 12, 1, 6, 45, tzinfo=UTC)


def decided(i: int, claims: dict[str, Claim] | None = None):
    reader = InMemoryOpsReader(hub_storm(3, spares=1, reserves=1))
    event = DisruptionEvent.model_validate(storm_event(i, "t"))
    snapshot = domain.build_snapshot(event, reader).model_copy(update={"claims": claims or {}})
    return snapshot, domain.generate_options(event, snapshot, POLICY)


def test_a_swap_takes_the_flight_the_spare_until_it_is_back_and_the_defective_tail_out_of_service():
    snapshot, options = decided(0)
    swap = next(o for o in options if o.tail == "A6-AP00")
    needs = {n.key: n for n in fleet.needs(swap, snapshot, POLICY)}
    assert set(needs) == {"flight:EY2000/2026-12-01", "tail:A6-AP00", "tail:A6-S000"}
    # out 06:45, 6h30 block, 60 min turn, back, 60 min turn: 21:45Z
    assert needs["tail:A6-AP00"].busy_until == datetime(2026, 12, 1, 21, 45, tzinfo=UTC)
    assert needs["tail:A6-S000"].purpose == "out_of_service"
    assert needs["tail:A6-S000"].busy_until == datetime(2026, 12, 1, 9, 20, tzinfo=UTC)  # 06:20 + 180 min


def test_a_spare_held_by_another_decision_is_refused_with_the_holders_name():
    held = Claim(kind="tail", resource_id="A6-AP00", thread_id="fleet-ey61", state="held",
                 hold_until=datetime(2026, 12, 1, 7, 40, tzinfo=UTC))
    snapshot, options = decided(0, {"tail:A6-AP00": held})
    view = domain.assess("maintenance", snapshot, options, POLICY)
    swap = next(o for o in options if o.tail == "A6-AP00")
    refused = next(a for a in view.assessments if a.option_id == swap.option_id)
    assert not refused.feasible
    assert any("A6-AP00 held by thread fleet-ey61 until 07:40Z" in c.description for c in refused.constraints)


def test_a_reserve_called_out_is_busy_for_the_duty_and_the_rest():
    snapshot, options = decided(1)
    change = next(o for o in options if o.kind == "crew_change")
    crew = next(n for n in fleet.needs(change, snapshot, POLICY) if n.kind == "crew")
    report = change.new_departure_utc - timedelta(minutes=60)
    duty = change.new_arrival_utc - report
    assert crew.busy_until == change.new_arrival_utc + max(duty, timedelta(hours=12))  # ORO.FTL.235
    committed = Claim(kind="crew", resource_id=crew.resource_id, thread_id="other", state="committed",
                      busy_until=crew.busy_until)
    assert committed.blocks("mine", None, report)
    assert not committed.blocks("mine", None, crew.busy_until)
    assert not committed.blocks("other", None, report)


def test_an_approved_swap_shows_in_the_operation_and_two_plans_on_one_tail_break_the_invariant():
    snapshot, options = decided(0)
    swap = next(o for o in options if o.tail == "A6-AP00")
    changes = fleet.plan_changes(swap, snapshot, POLICY)
    flown = changes.flights["EY2000/2026-12-01"]
    assert (flown.tail, flown.etd_utc) == ("A6-AP00", DEP)
    other = flown.model_copy(update={"flight_number": "EY2002", "tail": "A6-AP00", "cockpit_crew": [],
                                     "cabin_crew": []})
    plan = fleet.CommittedPlan("t", flown.key, "aircraft_swap", "A6-AP00", DEP, [], {})
    state = fleet.FleetState(flights={flown.key: flown}, seats_of={}, committed_seats={}, rebooked_pax={},
                             plans=[plan], callouts={})
    assert fleet.invariant_violations(state) == []
    state.flights[other.key] = other
    assert fleet.invariant_violations(state) == [f"tail A6-AP00 flies {flown.key} and {other.key} at once"]


def test_rebooked_passengers_fill_their_new_flights_in_order_and_no_seat_twice():
    _, options = decided(0)
    cancel = next(o for o in options if o.kind == "cancel")
    assert cancel.details["rebooking_pax"] == {"EY3000/2026-12-01": 99, "EY3001/2026-12-01": 99,
                                               "EY3002/2026-12-01": 32}  # 230 pax, 99 free seats each
    reader = InMemoryOpsReader(hub_storm(3, spares=1, reserves=1))
    placed = fleet.rebook(reader.bookings_for_flight("EY2000/2026-12-01"), cancel.details["rebooking_pax"])
    by_flight: dict[str, int] = {}
    for b in placed:
        by_flight[b.flight_key] = by_flight.get(b.flight_key, 0) + b.pax_count
    assert by_flight == cancel.details["rebooking_pax"]
    assert len({(b.flight_key, b.pnr) for b in placed}) == len(placed)


def test_a_superseded_thread_is_re_planned_under_the_next_id():
    assert fleet.replan_id("ey123") == "ey123-r1"
    assert fleet.replan_id("ey123-r1") == "ey123-r2"
    assert len(fleet.replan_id("x" * 64)) == 64
