"""network (BUSINESS, advisory): downstream rotations of the tail and the crew, missed connections against the
minimum connection times at the destination, flights displaced by a swap."""

from __future__ import annotations

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from ..impact import RULE_MCT, ConnectionCheck, RotationEffect, connections, crew_knock_on, tail_knock_on
from ..operation import Snapshot
from ..policy import Policy
from .common import business_confidence, constraint, make_view, prefer

RULE_ROTATION = "Network: tail rotation"
RULE_CREW_ROTATION = "Network: crew pairing"


def network_disutility(metrics: dict[str, float]) -> float:
    return (
        metrics["downstream_delay_min"] / 60
        + 2.0 * metrics["displaced_flights"]
        + 3.0 * metrics["flights_without_aircraft"]
        + 0.05 * metrics["missed_connection_pax"]
        + 0.01 * metrics.get("rebooked_pax", 0.0)
    )


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    oid = option.option_id
    tail = tail_knock_on(snapshot, option, policy)
    crew = crew_knock_on(snapshot, option, policy)
    conns = connections(snapshot, option)
    missed = [c for c in conns if not c.made]
    constraints = _rotation_constraints(oid, tail, crew)
    if conns:
        constraints.append(_connection_constraint(oid, snapshot, conns, missed))
    metrics = {
        "downstream_delay_min": float(
            sum(e.delay_minutes for e in tail) + sum(e.delay_minutes for e in crew)
        ),
        "downstream_flights_affected": float(len({e.flight_key for e in [*tail, *crew]})),
        "displaced_flights": float(len(option.details.get("displaced_flights", []) or [])),
        "flights_without_aircraft": float(sum(1 for e in tail if e.reason.startswith("no aircraft"))),
        "connecting_pax": float(sum(c.pax for c in conns)),
        "missed_connection_pax": float(sum(c.pax for c in missed)),
        "rebooked_pax": float(sum((option.details.get("rebooking_pax") or {}).values())),
    }
    score = round(1 / (1 + network_disutility(metrics) / 4), 4)
    return OptionAssessment(
        option_id=oid, feasible=True, constraints=constraints, metrics=metrics, score=score
    )


def _rotation_constraints(oid: str, tail: list[RotationEffect], crew: list[RotationEffect]) -> list[Constraint]:
    """The first three late flights of the tail's rotation, its flights left without an aircraft, and the first
    three flights late because of the crew's pairing."""
    constraints: list[Constraint] = []
    delayed = [e for e in tail if e.delay_minutes > 0]
    for e in delayed[:3]:
        constraints.append(
            constraint(
                oid,
                RULE_ROTATION,
                f"{e.flight_key} departs {e.delay_minutes} min late ({e.reason})",
                binding=False,
                violated=True,
                limit=0,
                actual=e.delay_minutes,
                unit="min",
            )
        )
    for e in (e for e in tail if e.delay_minutes == 0):
        constraints.append(
            constraint(oid, RULE_ROTATION, f"{e.flight_key}: {e.reason}", binding=False, violated=True)
        )
    for e in crew[:3]:
        constraints.append(
            constraint(
                oid,
                RULE_CREW_ROTATION,
                f"{e.flight_key} departs {e.delay_minutes} min late ({e.reason})",
                binding=False,
                violated=True,
                limit=0,
                actual=e.delay_minutes,
                unit="min",
            )
        )
    return constraints


def _connection_constraint(
    oid: str, snapshot: Snapshot, conns: list[ConnectionCheck], missed: list[ConnectionCheck]
) -> Constraint:
    """Connecting passengers against the minimum connection time at the destination, with the tightest
    connection (a missed one if any)."""
    tightest = min(
        missed or conns,
        key=lambda c: (
            (c.available_minutes if c.available_minutes is not None else -(10**6)) - c.mct_minutes
        ),
    )
    n = sum(c.pax for c in missed)
    return constraint(
        oid,
        f"{RULE_MCT} {snapshot.destination.iata}",
        f"{n} of {sum(c.pax for c in conns)} connecting pax miss their onward flight at "
        f"{snapshot.destination.iata}"
        + (
            f" (tightest {tightest.pnr} -> {tightest.onward_key}, "
            f"{tightest.connection_type} MCT {tightest.mct_minutes} min)"
        ),
        binding=False,
        violated=bool(missed),
        limit=tightest.mct_minutes,
        actual=tightest.available_minutes,
        unit="min",
        minimum=True,
    )


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    assessments = [_assess_option(snapshot, o, policy) for o in options]
    preferred = prefer(options, assessments)
    best = next((a for a in assessments if a.option_id == preferred), None)
    rationale = (
        f"Least network disruption: {preferred}"
        + (
            f" ({best.metrics['downstream_delay_min']:.0f} min downstream delay, "
            f"{best.metrics['missed_connection_pax']:.0f} pax miss connections)"
            if best
            else ""
        )
        + f"; {len(snapshot.connecting_bookings)} connecting bookings at {snapshot.destination.iata}."
    )
    return make_view(
        "network", assessments, preferred, business_confidence(assessments, preferred), rationale
    )
