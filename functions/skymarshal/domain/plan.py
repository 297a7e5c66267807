"""The ordered recovery plan for a ranked option: who does what, in the order operations would do it."""

from __future__ import annotations

from ..models import AgentName, AgentView, PlanStep, RecoveryOption
from .cargo import cancellation_returns
from .operation import Snapshot

Step = tuple[str, str, str]  # (action, owner, detail)
TECHNICAL = ("technical", "aircraft_on_ground")


def recovery_plan(
    option: RecoveryOption, snapshot: Snapshot, views: dict[AgentName, AgentView]
) -> list[PlanStep]:
    dep = f"{option.new_departure_utc:%d %b %H:%MZ}" if option.new_departure_utc else ""
    steps: list[Step] = [
        *_cancel_steps(option, snapshot),
        *_aircraft_steps(option, snapshot, dep),
        *_crew_and_schedule_steps(option, snapshot, dep),
        *_passenger_steps(option, snapshot, views),
        *_cargo_steps(option, views),
        *_cancelled_cargo_steps(option, snapshot),
        ("notify", "ops_control", "Notify passengers, crew, station and handling of the change"),
    ]
    return [PlanStep(order=i + 1, action=a, owner=o, detail=d[:500]) for i, (a, o, d) in enumerate(steps)]  # type: ignore[arg-type]


def _metric(views: dict[AgentName, AgentView], option: RecoveryOption, agent: AgentName, name: str) -> float:
    view = views.get(agent)
    a = view.assessment(option.option_id) if view else None
    return a.metrics.get(name, 0.0) if a else 0.0


def _cancel_steps(option: RecoveryOption, snapshot: Snapshot) -> list[Step]:
    """Cancel, then rebook on own flights and on other airlines."""
    if option.kind != "cancel":
        return []
    f = snapshot.flight
    steps: list[Step] = [("cancel", "ops_control", f"Cancel {f.flight_number} {f.flight_date}")]
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
    return steps


def _aircraft_steps(option: RecoveryOption, snapshot: Snapshot, dep: str) -> list[Step]:
    """A swap: assign the tail and re-plan the flights it leaves; a technical disruption: rectify the tail."""
    f = snapshot.flight
    steps: list[Step] = []
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
    if option.kind == "delay" and snapshot.event.disruption_type in TECHNICAL:
        steps.append(("maintenance", "maintenance_control", f"Rectify {option.tail} before {dep}"))
    elif (
        snapshot.aircraft is not None
        and option.tail != snapshot.aircraft.tail
        and snapshot.event.disruption_type in TECHNICAL
    ):
        steps.append(
            (
                "maintenance",
                "maintenance_control",
                f"Rectify {snapshot.aircraft.tail} (withdrawn from the rotation)",
            )
        )
    return steps


def _crew_and_schedule_steps(option: RecoveryOption, snapshot: Snapshot, dep: str) -> list[Step]:
    """Call out the reserves, publish the new times, re-coordinate slots at coordinated airports."""
    steps: list[Step] = []
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
    return steps


def _passenger_steps(option: RecoveryOption, snapshot: Snapshot, views: dict[AgentName, AgentView]) -> list[Step]:
    """Care (EU261 Art. 9) and re-protection of missed connections."""
    steps: list[Step] = []
    hotel_due = _metric(views, option, "guest_experience", "hotel_due")
    if _metric(views, option, "guest_experience", "meals_due") or hotel_due:
        what = "meals and hotel" if hotel_due else "meal vouchers"
        steps.append(("arrange_care", "station " + snapshot.flight.origin, f"Provide {what} (EU261 Art. 9)"))
    missed = _metric(views, option, "network", "missed_connection_pax")
    if missed and option.kind != "cancel":
        steps.append(
            (
                "rebook",
                "customer_service",
                f"Re-protect {missed:.0f} pax missing connections at {snapshot.destination.iata}",
            )
        )
    return steps


def _cargo_steps(option: RecoveryOption, views: dict[AgentName, AgentView]) -> list[Step]:
    """The cargo agent's offload notes; live animals / human remains that cannot fly need an alternative."""
    cargo = views.get("cargo")
    ca = cargo.assessment(option.option_id) if cargo else None
    steps: list[Step] = [("offload_cargo", "cargo_ops", note) for note in (ca.notes if ca else [])]
    if ca and any(c.violated and "AVI/HUM" in c.rule for c in ca.constraints):
        steps.append(
            ("offload_cargo", "cargo_ops", "Confirm an alternative for live animals / human remains")
        )
    return steps


def _cancelled_cargo_steps(option: RecoveryOption, snapshot: Snapshot) -> list[Step]:
    """A cancelled flight's special cargo: each REF/COL/frozen, PIL, AVI or HUM shipment goes back to its store
    at the origin and is re-forwarded (on the first own flight the passengers are rebooked on, if any)."""
    if option.kind != "cancel":
        return []
    onward = option.rebooking_flights[0] if option.rebooking_flights else "the next available flight"
    what = {"animal facility": "live animals", "human remains holding area": "human remains"}
    return [
        (
            "offload_cargo",
            "cargo_ops",
            f"Return AWB {s.awb} ({what.get(store, '/'.join(s.handling_codes) or s.temperature_class)}, "
            f"{s.description or 'no description'}) to the {store} at {snapshot.flight.origin} and re-forward "
            f"it on {onward}",
        )
        for s, store in cancellation_returns(snapshot.cargo)
    ]
