"""finance (BUSINESS, advisory): the full cost of each option with its breakdown (FACTS.md "Costs").

Cost = EU261 compensation (by distance and arrival delay) + care (meals, hotels) + crew (reserve call-out,
overtime) + aircraft (swap, positioning) + rebooking (own flights, other airlines) + spoiled cargo + slot
loss +
delay (cost per minute, a EUROCONTROL-order parameter that covers reactionary delay). All rates are policy.
"""

from __future__ import annotations

from ...models import AgentView, OptionAssessment, RecoveryOption
from .. import cargo as cargo_rules
from ..impact import passenger_impact
from ..operation import Snapshot
from ..policy import Policy
from .common import make_view, prefer

COST_SCALE_EUR = 1000.0  # keeps the cost score finite when an option costs nothing


def cost_breakdown(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> dict[str, float]:
    c = policy.costs(snapshot)
    f = snapshot.flight
    p = passenger_impact(snapshot, option, policy)
    block_h = (f.sta_utc - f.std_utc).total_seconds() / 3600
    out: dict[str, float] = {"eu261_compensation": p.compensation_eur}
    out["care_meals"] = p.pax * c.meal_per_pax if p.meals else 0.0
    out["care_hotels"] = p.pax * (c.hotel_per_pax_night + c.ground_transport_per_pax) if p.hotel else 0.0
    out["crew_reserve_callout"] = len(option.replacement_crew_ids) * c.crew_reserve_callout
    staying = len(set(option.cockpit_crew_ids + option.cabin_crew_ids) - set(option.replacement_crew_ids))
    out["crew_overtime"] = staying * max(0, option.departure_delay_minutes) / 60 * c.crew_overtime_per_hour
    out["aircraft_swap"] = c.aircraft_swap_cost if option.kind.startswith("aircraft_swap") else 0.0
    if option.kind == "cancel":
        out["positioning"] = c.ferry_cost_per_block_hour * block_h
        out["rebooking"] = (
            p.rebooked_own_pax * c.rebooking_admin_per_pax + p.interline_pax * c.interline_rebooking_per_pax
        )
        out["operating_cost_saved"] = -c.cancellation_saving_per_block_hour * block_h
        out["cargo_handling"] = len(cargo_rules.cancellation_returns(snapshot.cargo)) * (
            c.special_cargo_return_per_shipment
        )
        out["delay"] = 0.0
    else:
        out["rebooking"] = p.missed_connection_pax * c.rebooking_admin_per_pax
        out["delay"] = max(0, option.departure_delay_minutes) * c.delay_cost_per_minute
        slot_lost = any(
            a.slot_coordinated and d > policy.slot_tolerance_minutes
            for a, d in (
                (snapshot.origin, option.departure_delay_minutes),
                (snapshot.destination, option.arrival_delay_minutes),
            )
        )
        out["slot_loss"] = c.slot_loss_cost if slot_lost else 0.0
    spoiled = 0.0
    for s in snapshot.cargo:
        check = cargo_rules.cold_chain_check(
            s,
            0 if option.kind == "cancel" else option.departure_delay_minutes,
            policy.cold_chain_tolerance_minutes,
        )
        if check is not None and check.violated:
            spoiled += s.revenue_eur
    out["cargo_spoilage"] = spoiled
    return {k: round(v, 2) for k, v in out.items() if v}


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    breakdowns = {o.option_id: cost_breakdown(snapshot, o, policy) for o in options}
    totals = {k: round(sum(v.values()), 2) for k, v in breakdowns.items()}
    cheapest = min(totals.values()) if totals else 0.0
    assessments = []
    for o in options:
        total = totals[o.option_id]
        score = round((max(cheapest, 0) + COST_SCALE_EUR) / (max(total, 0) + COST_SCALE_EUR), 4)
        top = sorted(breakdowns[o.option_id].items(), key=lambda kv: -abs(kv[1]))[:3]
        assessments.append(
            OptionAssessment(
                option_id=o.option_id,
                feasible=True,
                cost_eur=total,
                cost_breakdown=breakdowns[o.option_id],
                score=min(1.0, score),
                metrics={"cost_eur": total},
                notes=[f"EUR {total:,.0f}: " + ", ".join(f"{k} {v:,.0f}" for k, v in top)]
                if top
                else ["no cost"],
            )
        )
    preferred = prefer(options, assessments)
    confidence = 0.85 if preferred else 0.3
    ranked = sorted(totals.items(), key=lambda kv: kv[1])
    rationale = (
        "Cost per option (EUR): "
        + ", ".join(f"{k} {v:,.0f}" for k, v in ranked)
        + f". Cheapest: {preferred}."
    )
    return make_view("finance", assessments, preferred, confidence, rationale)
