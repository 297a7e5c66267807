"""Cargo rules (policy values of the original system, FACTS.md "Cargo").

Temperature-controlled shipments tolerate extra time out of their chain: frozen 1 h, REF 2 h, COL 4 h
(policy).
Live animals (AVI) and human remains (HUM) are never offloaded without a confirmed alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .operation import CargoShipment

RULE_COLD_CHAIN = "Cargo policy: cold-chain tolerance"
RULE_NO_OFFLOAD = "Cargo policy: AVI/HUM not offloaded without a confirmed alternative"
RULE_DEADLINE = "Cargo: delivery deadline"

NEVER_OFFLOAD = frozenset({"AVI", "HUM"})
TIME_CRITICAL = frozenset({"PER", "PIL", "AVI", "HUM"})


def tolerance_minutes(shipment: CargoShipment, policy_tolerances: dict[str, int]) -> int | None:
    """Total time out of the chain the shipment tolerates (its own limit, else the policy's by class)."""
    if shipment.max_time_out_minutes is not None:
        return shipment.max_time_out_minutes
    if shipment.temperature_class == "none":
        return None
    return policy_tolerances.get(shipment.temperature_class)


@dataclass(frozen=True)
class ColdChainCheck:
    awb: str
    limit_minutes: int
    actual_minutes: int

    @property
    def margin_minutes(self) -> int:
        return self.limit_minutes - self.actual_minutes

    @property
    def violated(self) -> bool:
        return self.actual_minutes > self.limit_minutes


def cold_chain_check(
    shipment: CargoShipment, extra_minutes: int, policy_tolerances: dict[str, int]
) -> ColdChainCheck | None:
    """Exposure so far plus the extra minutes out of the chain, against the tolerance (None: not
    controlled)."""
    limit = tolerance_minutes(shipment, policy_tolerances)
    if limit is None:
        return None
    return ColdChainCheck(shipment.awb, limit, shipment.chain_exposure_minutes + max(0, extra_minutes))


def never_offload(shipment: CargoShipment) -> bool:
    return bool(NEVER_OFFLOAD.intersection(shipment.handling_codes))


SPECIAL_HANDLING = frozenset({"PIL", "AVI", "HUM"})


def store_for_return(shipment: CargoShipment) -> str | None:
    """Where a shipment of a cancelled flight goes until it is re-forwarded (None: ordinary cargo that waits in
    the warehouse): live animals to the animal facility, human remains to the HUM holding area, pharma and
    temperature-controlled goods back into the cold store (the chain must be restored)."""
    codes = set(shipment.handling_codes)
    if "AVI" in codes:
        return "animal facility"
    if "HUM" in codes:
        return "human remains holding area"
    if "PIL" in codes or shipment.temperature_class != "none":
        return "cold store"
    return None


def cancellation_returns(shipments: list[CargoShipment]) -> list[tuple[CargoShipment, str]]:
    """The special shipments (REF/COL/frozen, PIL, AVI, HUM) a cancellation sends back to their store, each
    with the store: each needs a return step and a re-forward booking, and costs handling."""
    return [(s, store) for s in shipments if (store := store_for_return(s)) is not None]


def deadline_margin_minutes(shipment: CargoShipment, arrival_utc: datetime | None) -> int | None:
    """Minutes between the new arrival and the delivery deadline (negative: late; None: no deadline)."""
    if shipment.delivery_deadline_utc is None or arrival_utc is None:
        return None
    return int((shipment.delivery_deadline_utc - arrival_utc).total_seconds() // 60)
