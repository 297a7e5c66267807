"""The ordered recovery plan for a ranked option: who does what, in the order operations would do it."""

from __future__ import annotations

from ..models import AgentName, AgentView, PlanStep, RecoveryOption
from .operation import Snapshot


def recovery_plan(
    option: RecoveryOption, snapshot: Snapshot, views: dict[AgentName, AgentView]
) -> list[PlanStep]:
    f = snapshot.flight
    steps: list[tuple[str, str, str]] = []
    dep = f"{option.new_departure_utc:%d %b %H:%MZ}" if option.new_departure_utc else ""

    def metric(agent: AgentName, name: str) -> float:
        view = views.get(agent)
        a = view.assessment(option.option_id) if view else None
        return a.metrics.get(name, 0.0) if a else 0.0

    if option.kind == "cancel":
        steps.append(("cancel", "ops_control", f"Cancel {f.flight_number} {f.flight_date}"))
        plan = option.details.get("rebooking_pax") or {}
        if plan:
            steps.append(
                (
                    "rebook",
                    "customer_service",
                    "Rebook " + ", ".join(f"{n} pax on {k}" for k, n in plan.items()),
                )
            )
        if option.details.get("interline_pax"):
            steps.append(
                (
                    "rebook",
                    "customer_service",
                    f"Rebook {option.details['interline_pax']} pax on other airlines",
                )
            )
    if option.kind in ("aircraft_swap", "aircraft_swap_crew_change"):
        steps.append(
            (
                "swap_tail",
                "ops_control",
                f"Assign {option.tail} to {f.flight_number} (from {option.details.get('swap_from_tail')})",
            )
        )
        for k in option.details.get("displaced_flights", []) or []:
            steps.append(("update_schedule", "network_control", f"Re-plan {k}: it loses {option.tail}"))
    if option.kind == "delay" and snapshot.event.disruption_type in ("technical", "aircraft_on_ground"):
        steps.append(("maintenance", "maintenance_control", f"Rectify {option.tail} before {dep}"))
    elif (
        snapshot.aircraft is not None
        and option.tail != snapshot.aircraft.tail
        and snapshot.event.disruption_type in ("technical", "aircraft_on_ground")
    ):
        steps.append(
            (
                "maintenance",
                "maintenance_control",
                f"Rectify {snapshot.aircraft.tail} (withdrawn from the rotation)",
            )
        )
    replaced = option.details.get("replaced") or {}
    if replaced:
        steps.append(
            (
                "reassign_crew",
                "crew_control",
                "Call out " + ", ".join(f"{r} to replace {c}" for c, r in replaced.items()),
            )
        )
    if option.new_departure_utc is not None and option.departure_delay_minutes:
        steps.append(
            ("update_schedule", "ops_control", f"New ETD {dep}, ETA {option.new_arrival_utc:%d %b %H:%MZ}")
        )
    for ap, delay in (
        (snapshot.origin, option.departure_delay_minutes),
        (snapshot.destination, option.arrival_delay_minutes),
    ):
        if option.kind != "cancel" and ap.slot_coordinated and delay > 0:
            steps.append(("coordinate_slot", "network_control", f"Re-coordinate the slot at {ap.iata}"))
    if metric("guest_experience", "meals_due") or metric("guest_experience", "hotel_due"):
        what = "meals and hotel" if metric("guest_experience", "hotel_due") else "meal vouchers"
        steps.append(("arrange_care", "station " + f.origin, f"Provide {what} (EU261 Art. 9)"))
    missed = metric("network", "missed_connection_pax")
    if missed and option.kind != "cancel":
        steps.append(
            (
                "rebook",
                "customer_service",
                f"Re-protect {missed:.0f} pax missing connections at {snapshot.destination.iata}",
            )
        )
    cargo = views.get("cargo")
    ca = cargo.assessment(option.option_id) if cargo else None
    for note in ca.notes if ca else []:
        steps.append(("offload_cargo", "cargo_ops", note))
    if ca and any(c.violated and "AVI/HUM" in c.rule for c in ca.constraints):
        steps.append(
            ("offload_cargo", "cargo_ops", "Confirm an alternative for live animals / human remains")
        )
    steps.append(("notify", "ops_control", "Notify passengers, crew, station and handling of the change"))
    return [PlanStep(order=i + 1, action=a, owner=o, detail=d[:500]) for i, (a, o, d) in enumerate(steps)]  # type: ignore[arg-type]
