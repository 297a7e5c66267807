"""cargo (BUSINESS, advisory): temperature-controlled and time-critical shipments against their limits, and
the
offload decision (AVI/HUM never offloaded without a confirmed alternative).

Simplification: extra time out of the chain = the departure delay (the shipment is built up); a cancellation
returns shipments to the station's cold store (no extra exposure) and they travel on the first rebooking
flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from .. import cargo as rules
from ..impact import arrival_for_pax
from ..operation import CargoShipment, Snapshot
from ..policy import Policy
from .common import business_confidence, constraint, make_view, prefer


@dataclass
class _Tally:
    """One option's cargo findings, penalties in the order they were found, and what is at risk."""

    oid: str
    constraints: list[Constraint] = field(default_factory=list)
    penalties: list[float] = field(default_factory=list)
    at_risk: float = 0.0
    revenue: float = 0.0
    offload: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        penalty = 0.0
        for p in self.penalties:
            penalty += p
        return round(max(0.0, 1 - penalty), 4)


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    tally = _Tally(option.option_id)
    cancel = option.kind == "cancel"
    arrival = arrival_for_pax(snapshot, option)
    for s in snapshot.cargo:
        extra = 0 if cancel else option.departure_delay_minutes
        broken = _cold_chain(tally, s, extra, policy)
        if cancel and rules.never_offload(s):
            _no_offload(tally, s)
        broken = _deadline(tally, s, arrival) or broken
        if broken:
            tally.at_risk += 1
            tally.revenue += s.revenue_eur
    metrics = {
        "shipments": float(len(snapshot.cargo)),
        "shipments_at_risk": tally.at_risk,
        "revenue_at_risk_eur": round(tally.revenue, 2),
    }
    notes = [f"offload to cold store and re-forward: {', '.join(tally.offload)}"] if tally.offload else []
    return OptionAssessment(
        option_id=tally.oid,
        feasible=True,
        constraints=tally.constraints,
        metrics=metrics,
        score=tally.score,
        notes=notes,
    )


def _cold_chain(tally: _Tally, s: CargoShipment, extra: int, policy: Policy) -> bool:
    """Time out of the cold chain against the tolerance; a broken chain is offloaded unless AVI/HUM."""
    check = rules.cold_chain_check(s, extra, policy.cold_chain_tolerance_minutes)
    if check is None:
        return False
    tally.constraints.append(
        constraint(
            tally.oid,
            rules.RULE_COLD_CHAIN,
            f"AWB {s.awb} ({s.temperature_class}, "
            f"{'/'.join(s.handling_codes) or 'GEN'}): {check.actual_minutes} min out of chain",
            binding=False,
            violated=check.violated,
            limit=check.limit_minutes,
            actual=check.actual_minutes,
            unit="min",
        )
    )
    if check.violated:
        tally.penalties.append(0.25)
        if not rules.never_offload(s):
            tally.offload.append(s.awb)
    return check.violated


def _no_offload(tally: _Tally, s: CargoShipment) -> None:
    """AVI/HUM on a cancelled flight: never offloaded without a confirmed alternative."""
    tally.constraints.append(
        constraint(
            tally.oid,
            rules.RULE_NO_OFFLOAD,
            f"AWB {s.awb} ({'/'.join(s.handling_codes)})"
            " must be offloaded; no confirmed alternative yet",
            binding=False,
            violated=True,
        )
    )
    tally.penalties.append(0.3)


def _deadline(tally: _Tally, s: CargoShipment, arrival: datetime | None) -> bool:
    """The shipment's delivery deadline against the arrival; True when it is missed."""
    margin = rules.deadline_margin_minutes(s, arrival) if arrival is not None else None
    if s.delivery_deadline_utc is None:
        return False
    late = margin is None or margin < 0
    tally.constraints.append(
        constraint(
            tally.oid,
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
        tally.penalties.append(0.1)
    return late


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
