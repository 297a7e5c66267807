"""guest_experience (BUSINESS, advisory): passengers affected, connections missed, care due (EU261 Art. 6, 9),
compensation thresholds, loyalty and special-needs weighting."""

from __future__ import annotations

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from .. import eu261
from ..impact import RULE_MCT, PassengerImpact, passenger_impact
from ..operation import Snapshot
from ..policy import Policy
from .common import business_confidence, constraint, make_view, prefer

RULE_SPECIAL_NEEDS = "Guest policy: special-needs passengers"
VULNERABLE = ("UMNR", "MEDA", "WCHC", "WCHS", "WCHR", "BLND", "DEAF")


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    oid = option.option_id
    p = passenger_impact(snapshot, option, policy)
    constraints = [*_care_and_compensation(oid, option, p), *_connections_and_special_needs(oid, snapshot, option, p)]
    per_pax = p.weighted_disutility / p.pax if p.pax else 0.0
    score = round(1 / (1 + per_pax / 2), 4)
    metrics = {
        "pax": float(p.pax),
        "arrival_delay_min": float(p.arrival_delay_minutes),
        "missed_connection_pax": float(p.missed_connection_pax),
        "compensation_eur": p.compensation_eur,
        "meals_due": float(p.meals),
        "hotel_due": float(p.hotel),
        "interline_pax": float(p.interline_pax),
        "weighted_disutility": p.weighted_disutility,
    }
    return OptionAssessment(
        option_id=oid, feasible=True, constraints=constraints, metrics=metrics, score=score
    )


def _care_and_compensation(oid: str, option: RecoveryOption, p: PassengerImpact) -> list[Constraint]:
    """EU261 Art. 9 care (from the band's departure delay), and Art. 7 compensation when the flight is in
    scope."""
    constraints: list[Constraint] = [
        constraint(
            oid,
            eu261.RULE_CARE,
            ("meals" + (" and hotel" if p.hotel else "") + " due" if p.meals else "no care due yet")
            + f" (from {p.care_threshold_minutes} min departure delay, {p.band.name})",
            binding=False,
            violated=p.meals,
            limit=p.care_threshold_minutes,
            actual=p.departure_delay_minutes,
            unit="min",
        ),
    ]
    if p.in_scope:
        constraints.append(
            constraint(
                oid,
                eu261.RULE_CANCELLATION if option.kind == "cancel" else eu261.RULE_DELAY,
                f"compensation EUR {p.compensation_per_pax:g} x {p.compensated_pax} pax"
                + (f" (none: {p.extraordinary_reason})" if p.extraordinary else ""),
                binding=False,
                violated=p.compensation_eur > 0,
                limit=None if option.kind == "cancel" else eu261.COMPENSATION_DELAY_MINUTES,
                actual=None if option.kind == "cancel" else p.arrival_delay_minutes,
                unit="min",
            )
        )
    return constraints


def _connections_and_special_needs(
    oid: str, snapshot: Snapshot, option: RecoveryOption, p: PassengerImpact
) -> list[Constraint]:
    """Missed connections at the destination; vulnerable passengers who need assistance when re-accommodated."""
    constraints: list[Constraint] = []
    if p.connecting_pax:
        constraints.append(
            constraint(
                oid,
                f"{RULE_MCT} {snapshot.destination.iata}",
                f"{p.missed_connection_pax} of {p.connecting_pax} connecting pax miss their onward flight",
                binding=False,
                violated=p.missed_connection_pax > 0,
                limit=0.0,
                actual=float(p.missed_connection_pax),
                unit="pax",
            )
        )
    vulnerable = {k: v for k, v in p.special_needs.items() if k in VULNERABLE}
    if vulnerable and (p.hotel or p.missed_connection_pax or option.kind == "cancel"):
        constraints.append(
            constraint(
                oid,
                RULE_SPECIAL_NEEDS,
                "special-needs pax ("
                + ", ".join(f"{n} {k}" for k, n in sorted(vulnerable.items()))
                + ") need escort/assistance on re-accommodation",
                binding=False,
                violated=True,
            )
        )
    return constraints


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    assessments = [_assess_option(snapshot, o, policy) for o in options]
    preferred = prefer(options, assessments)
    s = snapshot.bookings
    tiers = ", ".join(f"{n} {t}" for t, n in sorted(s.by_tier.items()) if t != "none")
    needs = ", ".join(f"{n} {k}" for k, n in sorted(s.special_needs.items()))
    rationale = (
        f"{s.pax} pax ({s.connecting_pax} connecting"
        + (f"; {tiers}" if tiers else "")
        + (f"; special needs {needs}" if needs else "")
        + f"). Least guest impact: {preferred}."
    )
    return make_view(
        "guest_experience", assessments, preferred, business_confidence(assessments, preferred), rationale
    )
