"""cargo (BUSINESS, advisory): temperature-controlled and time-critical shipments against their limits, and
the
offload decision (AVI/HUM never offloaded without a confirmed alternative).

Simplification: extra time out of the chain = the departure delay (the shipment is built up); a cancellation
returns shipments to the station's cold store (no extra exposure) and they travel on the first rebooking
flight.
"""

from __future__ import annotations

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from .. import cargo as rules
from ..impact import arrival_for_pax
from ..operation import Snapshot
from ..policy import Policy
from .common import business_confidence, constraint, make_view, prefer


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    oid = option.option_id
    constraints: list[Constraint] = []
    penalty = 0.0
    at_risk = revenue = 0.0
    offload: list[str] = []
    cancel = option.kind == "cancel"
    arrival = arrival_for_pax(snapshot, option)
    for s in snapshot.cargo:
        extra = 0 if cancel else option.departure_delay_minutes
        check = rules.cold_chain_check(s, extra, policy.cold_chain_tolerance_minutes)
        broken = False
        if check is not None:
            broken = check.violated
            constraints.append(
                constraint(
                    oid,
                    rules.RULE_COLD_CHAIN,
                    f"AWB {s.awb} ({s.temperature_class}, "
                    f"{'/'.join(s.handling_codes) or 'GEN'}): {check.actual_minutes} min out of chain",
                    binding=False,
                    violated=broken,
                    limit=check.limit_minutes,
                    actual=check.actual_minutes,
                    unit="min",
                )
            )
            if broken:
                penalty += 0.25
                if not rules.never_offload(s):
                    offload.append(s.awb)
        if cancel and rules.never_offload(s):
            constraints.append(
                constraint(
                    oid,
                    rules.RULE_NO_OFFLOAD,
                    f"AWB {s.awb} ({'/'.join(s.handling_codes)})"
                    " must be offloaded; no confirmed alternative yet",
                    binding=False,
                    violated=True,
                )
            )
            penalty += 0.3
        margin = rules.deadline_margin_minutes(s, arrival) if arrival is not None else None
        if s.delivery_deadline_utc is not None:
            late = margin is None or margin < 0
            constraints.append(
                constraint(
                    oid,
                    rules.RULE_DEADLINE,
                    f"AWB {s.awb} delivery deadline {s.delivery_deadline_utc:%d %b %H:%MZ}",
                    binding=False,
                    violated=late,
                    limit=0,
                    actual=-margin if margin is not None else None,
                    unit="min",
                )
            )
            if late:
                penalty += 0.1
                broken = True
        if broken:
            at_risk += 1
            revenue += s.revenue_eur
    metrics = {
        "shipments": float(len(snapshot.cargo)),
        "shipments_at_risk": at_risk,
        "revenue_at_risk_eur": round(revenue, 2),
    }
    notes = [f"offload to cold store and re-forward: {', '.join(offload)}"] if offload else []
    return OptionAssessment(
        option_id=oid,
        feasible=True,
        constraints=constraints,
        metrics=metrics,
        score=round(max(0.0, 1 - penalty), 4),
        notes=notes,
    )


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    assessments = [_assess_option(snapshot, o, policy) for o in options]
    preferred = prefer(options, assessments)
    special = [s for s in snapshot.cargo if s.temperature_class != "none" or rules.never_offload(s)]
    rationale = (
        f"{len(snapshot.cargo)} shipments, {len(special)} temperature-controlled or live/HUM"
        + (
            ": " + ", ".join(f"{s.awb} {'/'.join(s.handling_codes)} {s.temperature_class}" for s in special)
            if special
            else ""
        )
        + f". Best for cargo: {preferred}."
    )
    confidence = business_confidence(assessments, preferred) if snapshot.cargo else 0.9
    return make_view("cargo", assessments, preferred, confidence, rationale)
