"""regulatory (SAFETY, binding): curfews at origin and destination (local time, policy buffer), slot loss
(advisory), EU261 extraordinary circumstances and cancellation notice (information for the other agents)."""

from __future__ import annotations

from datetime import datetime

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from .. import eu261
from ..crewcheck import minutes
from ..curfew import RULE_CURFEW, check_curfew
from ..operation import Airport, Snapshot
from ..policy import Policy
from .common import constraint, make_view, prefer, safety_score

RULE_SLOT = "Slot tolerance (policy, coordinated airport)"


def _curfew(
    oid: str, airport: Airport, moment: datetime, scheduled: datetime, what: str, policy: Policy
) -> Constraint | None:
    check = check_curfew(airport, moment, policy.curfew_buffer_minutes)
    if check is None:
        return None
    allowed = minutes(moment - scheduled) + check.margin_minutes
    assert airport.curfew_start_local is not None and airport.curfew_end_local is not None
    return constraint(
        oid,
        f"{RULE_CURFEW} {airport.iata}",
        f"{what} at {airport.iata} {check.moment_local:%H:%M} local; curfew "
        f"{airport.curfew_start_local:%H:%M}-{airport.curfew_end_local:%H:%M} with "
        f"{policy.curfew_buffer_minutes} min buffer",
        binding=True,
        violated=check.violated,
        limit=allowed,
        actual=minutes(moment - scheduled),
        unit="min",
    )


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    oid = option.option_id
    f = snapshot.flight
    ec, why = eu261.extraordinary_circumstances(snapshot.event.disruption_type)
    scope = eu261.in_scope(
        snapshot.origin,
        snapshot.destination,
        eu261.is_community_carrier(snapshot.flight, policy.eu_carrier),
    )
    notes = [("EU261 applies" if scope else "EU261 does not apply") + f"; {why}"]
    metrics = {"eu261_in_scope": float(scope), "extraordinary": float(ec)}
    if option.kind == "cancel" or option.new_departure_utc is None or option.new_arrival_utc is None:
        days = float(option.details.get("notice_days", 0) or 0)
        notes.append(
            f"cancellation notice {days:.2f} days (< 7: reroute must leave <= 1 h earlier and arrive "
            "< 2 h later to avoid compensation, Art. 5(1)(c))"
        )
        return OptionAssessment(option_id=oid, feasible=True, score=1.0, metrics=metrics, notes=notes)
    constraints: list[Constraint] = []
    for c in (
        _curfew(oid, snapshot.origin, option.new_departure_utc, f.std_utc, "departure", policy),
        _curfew(oid, snapshot.destination, option.new_arrival_utc, f.sta_utc, "arrival", policy),
    ):
        if c is not None:
            constraints.append(c)
    for airport, delay, what in (
        (snapshot.origin, option.departure_delay_minutes, "departure"),
        (snapshot.destination, option.arrival_delay_minutes, "arrival"),
    ):
        if airport.slot_coordinated:
            constraints.append(
                constraint(
                    oid,
                    f"{RULE_SLOT} {airport.iata}",
                    f"{what} {delay} min off slot at {airport.iata}: "
                    + (
                        "slot lost, re-coordination needed"
                        if delay > policy.slot_tolerance_minutes
                        else "within tolerance"
                    ),
                    binding=False,
                    violated=delay > policy.slot_tolerance_minutes,
                    limit=policy.slot_tolerance_minutes,
                    actual=delay,
                    unit="min",
                )
            )
    feasible = not any(c.binding and c.violated for c in constraints)
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
    bad = [a.option_id for a in assessments if not a.feasible]
    curfews = [a.iata for a in (snapshot.origin, snapshot.destination) if a.has_curfew]
    _, why = eu261.extraordinary_circumstances(snapshot.event.disruption_type)
    rationale = (
        (f"Curfews at {', '.join(curfews)}; " if curfews else "No curfew at origin or destination; ")
        + (f"curfew broken by {', '.join(bad)}. " if bad else "no option breaks a curfew. ")
        + f"EU261: {why}."
    )
    return make_view("regulatory", assessments, preferred, 0.95, rationale)
