"""maintenance (SAFETY, binding): airworthiness of the tail each option uses, MEL intervals, return to
service.

MEL rectification intervals: A from the remarks, B 3, C 10, D 120 calendar days, discovery day not counted; an
expired deferral or a non-deferrable open defect grounds the tail until rectified (FACTS.md "Aircraft").
"""

from __future__ import annotations

from datetime import datetime

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from ..crewcheck import hhmm, minutes
from ..mel import RULE_MEL, Airworthiness, airworthiness
from ..operation import Aircraft, Snapshot
from ..operation.claims import blocking
from ..options import aircraft_by_tail
from ..policy import Policy
from .common import constraint, make_view, prefer, safety_score

RULE_REPAIR = "Return to service (reported repair)"
RULE_RANGE = "Aircraft type range"
RULE_RECORD = "Aircraft record"
RULE_CLAIM = "Fleet: tail taken by another decision"


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    oid = option.option_id
    if option.kind == "cancel" or option.new_departure_utc is None:
        return OptionAssessment(
            option_id=oid,
            feasible=True,
            score=1.0,
            notes=["no tail needed; the original tail stays for rectification"],
        )
    aircraft = aircraft_by_tail(snapshot, option.tail)
    if aircraft is None:
        c = constraint(
            oid, RULE_RECORD, f"tail {option.tail} is not in the snapshot", binding=True, violated=True
        )
        return OptionAssessment(option_id=oid, feasible=False, constraints=[c], score=0.0)
    dep = option.new_departure_utc
    as_of = snapshot.as_of_utc
    state = airworthiness(aircraft, dep.date())
    rts = state.return_to_service(as_of, policy.default_rectification_minutes)
    constraints, notes = _airworthiness_constraints(oid, aircraft, state, rts, dep, as_of)
    is_original = snapshot.aircraft is not None and aircraft.tail == snapshot.aircraft.tail
    if is_original and (repair := _repair_constraint(oid, snapshot, aircraft, dep)) is not None:
        constraints.append(repair)
    constraints.extend(_deferral_constraints(oid, aircraft, state, dep))
    if not is_original and (claim := blocking(snapshot.claims, "tail", aircraft.tail, snapshot.event.thread_id,
                                              None, dep)) is not None:
        constraints.append(constraint(oid, RULE_CLAIM, f"swap tail {claim.reason()}", binding=True, violated=True))
    if (range_check := _range_constraint(oid, snapshot, aircraft)) is not None:
        constraints.append(range_check)
    feasible = not any(c.binding and c.violated for c in constraints)
    metrics = {
        "open_defects": float(sum(1 for d in aircraft.defects if not d.rectified)),
        "return_to_service_min": float(max(0, minutes(rts - as_of))) if rts else 0.0,
    }
    if not is_original:
        notes.append(
            f"swap tail {aircraft.tail} ({aircraft.type_code}, {aircraft.seats} seats) at {aircraft.station}"
        )
    return OptionAssessment(
        option_id=oid,
        feasible=feasible,
        constraints=constraints,
        metrics=metrics,
        score=safety_score(constraints),
        notes=notes,
    )


def _airworthiness_constraints(
    oid: str, aircraft: Aircraft, state: Airworthiness, rts: datetime | None, dep: datetime, as_of: datetime
) -> tuple[list[Constraint], list[str]]:
    """A tail that is not airworthy (expired deferral, non-deferrable open defect) flies only once rectified:
    each finding binds unless rectification ends before departure. A tail in maintenance does not fly."""
    constraints: list[Constraint] = []
    notes: list[str] = []
    available = minutes(dep - as_of)
    if not state.airworthy and rts is not None:
        needed = minutes(rts - as_of)
        for f in state.findings:
            constraints.append(
                constraint(
                    oid,
                    f.rule,
                    f"{aircraft.tail}: {f.description}"
                    + (f" ({f.days_over} day(s) over)" if f.days_over else "")
                    + f"; return to service est. {rts:%d %b %H:%MZ}, departure {dep:%d %b %H:%MZ}",
                    binding=True,
                    violated=available < needed,
                    limit=_shortfall(available, needed, available),
                    actual=_shortfall(available, needed, needed),
                    unit="min",
                )
            )
        notes.append(f"{aircraft.tail} needs {hhmm(needed)} of rectification before it may fly")
    elif aircraft.status == "maintenance":
        constraints.append(
            constraint(
                oid, "Aircraft status", f"{aircraft.tail} is in maintenance", binding=True, violated=True
            )
        )
    return constraints, notes


def _repair_constraint(oid: str, snapshot: Snapshot, aircraft: Aircraft, dep: datetime) -> Constraint | None:
    """The original tail with a reported technical delay flies only once the repair is done: a departure before
    the estimated end of the repair is refused. The estimate is uncertainty about *when*, not a safety margin:
    the constraint carries no limit/actual, so it never scores (defect 1 of issue 11: it used to give every
    option that keeps the tail a 0-minute margin by construction, and so favoured cancelling)."""
    event = snapshot.event
    if not (event.disruption_type == "technical" and event.delay_minutes):
        return None
    slack = minutes(dep - snapshot.flight.std_utc)
    return constraint(
        oid,
        RULE_REPAIR,
        f"{aircraft.tail}: '{event.cause}' reported to need {event.delay_minutes} min; this option departs "
        f"{slack} min after schedule",
        binding=True,
        violated=slack < event.delay_minutes,
        limit=_shortfall(slack, event.delay_minutes, slack),
        actual=_shortfall(slack, event.delay_minutes, event.delay_minutes),
        unit="min",
    )


def _shortfall(available: int, needed: int, value: int) -> float | None:
    """limit/actual only when the repair does not fit (they show the shortfall); a repair that fits has no
    margin to score: an estimate of the repair time is not a safety buffer."""
    return float(value) if available < needed else None


def _deferral_constraints(oid: str, aircraft: Aircraft, state: Airworthiness, dep: datetime) -> list[Constraint]:
    """Each open MEL deferral with its last valid day, as a margin in days from the departure date."""
    constraints: list[Constraint] = []
    for defect_id, last in state.open_deferrals:
        if last is None:
            continue
        margin_days = (last - dep.date()).days
        defect = next(d for d in aircraft.defects if d.defect_id == defect_id)
        constraints.append(
            constraint(
                oid,
                f"{RULE_MEL} (category {defect.mel_category})",
                f"{aircraft.tail}: deferred {defect.description} "
                f"(MEL {defect.mel_item or '?'}) valid to {last}",
                binding=True,
                violated=False,
                limit=float(margin_days),
                actual=0.0,
                unit="days",
            )
        )
    return constraints


def _range_constraint(oid: str, snapshot: Snapshot, aircraft: Aircraft) -> Constraint | None:
    """The tail's type must have the range for the sector."""
    t = snapshot.aircraft_types.get(aircraft.type_code)
    distance = snapshot.flight.distance_km
    if t is None or t.range_km is None or distance is None:
        return None
    return constraint(
        oid,
        RULE_RANGE,
        f"{aircraft.type_code} range {t.range_km:.0f} km for {distance:.0f} km",
        binding=True,
        violated=t.range_km < distance,
        limit=t.range_km,
        actual=distance,
        unit="km",
    )


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    assessments = [_assess_option(snapshot, o, policy) for o in options]
    preferred = prefer(options, assessments, avoid_cancel=True)
    parts = []
    if snapshot.aircraft is not None:
        state = airworthiness(snapshot.aircraft, snapshot.flight.flight_date)
        parts.append(
            f"{snapshot.aircraft.tail} "
            + (
                "airworthy"
                if state.airworthy
                else "NOT airworthy: " + "; ".join(f.description for f in state.findings)
            )
        )
    bad = [a.option_id for a in assessments if not a.feasible]
    parts.append(
        f"not airworthy for: {', '.join(bad)}" if bad else "every option's tail airworthy at its times"
    )
    return make_view("maintenance", assessments, preferred, 0.95, ". ".join(parts) + ".")
