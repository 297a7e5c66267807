"""maintenance (SAFETY, binding): airworthiness of the tail each option uses, MEL intervals, return to
service.

MEL rectification intervals: A from the remarks, B 3, C 10, D 120 calendar days, discovery day not counted; an
expired deferral or a non-deferrable open defect grounds the tail until rectified (FACTS.md "Aircraft").
"""

from __future__ import annotations

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from ..crewcheck import hhmm, minutes
from ..mel import RULE_MEL, airworthiness
from ..operation import Snapshot
from ..options import aircraft_by_tail
from ..policy import Policy
from .common import constraint, make_view, prefer, safety_score

RULE_REPAIR = "Return to service (reported repair)"
RULE_RANGE = "Aircraft type range"
RULE_RECORD = "Aircraft record"


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
    constraints: list[Constraint] = []
    available = minutes(dep - as_of)
    notes: list[str] = []
    rts = state.return_to_service(as_of, policy.default_rectification_minutes)
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
                    limit=available,
                    actual=needed,
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
    is_original = snapshot.aircraft is not None and aircraft.tail == snapshot.aircraft.tail
    event = snapshot.event
    if is_original and event.disruption_type == "technical" and event.delay_minutes:
        slack = minutes(dep - snapshot.flight.std_utc)
        constraints.append(
            constraint(
                oid,
                RULE_REPAIR,
                f"{aircraft.tail}: '{event.cause}' needs {event.delay_minutes} min before departure",
                binding=True,
                violated=slack < event.delay_minutes,
                limit=slack,
                actual=event.delay_minutes,
                unit="min",
            )
        )
    for defect_id, last in state.open_deferrals:
        if last is None:
            continue
        margin_days = (last - option.new_departure_utc.date()).days
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
    t = snapshot.aircraft_types.get(aircraft.type_code)
    distance = snapshot.flight.distance_km
    if t is not None and t.range_km is not None and distance is not None:
        constraints.append(
            constraint(
                oid,
                RULE_RANGE,
                f"{aircraft.type_code} range {t.range_km:.0f} km for {distance:.0f} km",
                binding=True,
                violated=t.range_km < distance,
                limit=t.range_km,
                actual=distance,
                unit="km",
            )
        )
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
