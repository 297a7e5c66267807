"""Regulation (EC) 261/2004: compensation, rerouting, cancellation notice and the right to care.

Amounts depend on great-circle distance (Art. 7(1)), not on delay hours; compensation is owed for an *arrival*
delay of 3 h or more (CJEU Sturgeon C-402/07, Nelson C-581/10) and for cancellations (Art. 5), unless the
cause
is an extraordinary circumstance (Art. 5(3); technical faults normally are not: Wallentin-Hermann C-549/07).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..models import DisruptionType
from .operation import Airport, Flight

RULE_COMPENSATION = "EU261 Art. 7"
RULE_DELAY = "EU261 Art. 7 (Sturgeon C-402/07)"
RULE_CANCELLATION = "EU261 Art. 5"
RULE_CARE = "EU261 Art. 6, 9"
RULE_EXTRAORDINARY = "EU261 Art. 5(3)"
RULE_SCOPE = "EU261 Art. 3"

EARTH_RADIUS_KM = 6371.0088
COMPENSATION_DELAY_MINUTES = 3 * 60


@dataclass(frozen=True)
class DistanceBand:
    name: str
    compensation_eur: int
    care_after_minutes: int  # departure delay from which meals and refreshments are due (Art. 6)
    reroute_halving_minutes: int  # Art. 7(2): halved when the reroute arrives within this of the original


SHORT = DistanceBand("up to 1,500 km", 250, 2 * 60, 2 * 60)
MEDIUM = DistanceBand("intra-EU over 1,500 km, or 1,500-3,500 km", 400, 3 * 60, 3 * 60)
LONG = DistanceBand("over 3,500 km", 600, 4 * 60, 4 * 60)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance (the distance Art. 7(4) refers to)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def airport_distance_km(a: Airport, b: Airport) -> float:
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)


def distance_band(distance_km: float, intra_eu: bool) -> DistanceBand:
    """Art. 7(1): €250 up to 1,500 km; €400 intra-EU over 1,500 km or 1,500–3,500 km; €600 beyond."""
    if distance_km <= 1500:
        return SHORT
    if intra_eu or distance_km <= 3500:
        return MEDIUM
    return LONG


def in_scope(origin: Airport, destination: Airport, community_carrier: bool) -> bool:
    """Art. 3(1): (a) every flight departing an EU/EEA/UK airport, whatever the carrier; (b) a flight arriving
    there from outside only when the operating carrier is a Community carrier."""
    return origin.is_eu or (destination.is_eu and community_carrier)


def is_community_carrier(flight: Flight, default: bool) -> bool:
    """The operating carrier's status from the ops data (`flights[].community_carrier`), else the policy
    default (`Policy.eu_carrier`)."""
    return default if flight.community_carrier is None else flight.community_carrier


def is_intra_eu(origin: Airport, destination: Airport) -> bool:
    return origin.is_eu and destination.is_eu


def extraordinary_circumstances(disruption_type: DisruptionType) -> tuple[bool, str]:
    """Art. 5(3) by disruption type, with the reason a duty manager can check."""
    if disruption_type in ("weather", "atc", "security"):
        return True, f"{disruption_type} is normally an extraordinary circumstance (Art. 5(3), recital 14)"
    if disruption_type in ("technical", "aircraft_on_ground"):
        return (
            False,
            "technical faults are inherent in operating aircraft: not extraordinary "
            "(Wallentin-Hermann C-549/07)",
        )
    if disruption_type == "crew_sickness":
        return False, (
            "crew availability is part of the carrier's normal activity and within its control: "
            "treated as not extraordinary (the Wallentin-Hermann test; the CJEU held even a co-pilot's "
            "sudden death was not extraordinary, TAP Portugal C-156/22 to C-158/22)"
        )
    return False, "cause not shown to be extraordinary: compensation is budgeted (conservative)"


def delay_compensation_eur(
    distance_km: float, intra_eu: bool, arrival_delay_minutes: int, extraordinary: bool
) -> int:
    """Per passenger, for a delayed flight: the band amount when the arrival delay is 3 h or more."""
    if extraordinary or arrival_delay_minutes < COMPENSATION_DELAY_MINUTES:
        return 0
    return distance_band(distance_km, intra_eu).compensation_eur


def cancellation_exempt_by_notice(
    notice_days: float, reroute_departs_earlier_minutes: int | None, reroute_arrival_delay_minutes: int | None
) -> bool:
    """Art. 5(1)(c): no compensation when told in time, with a close enough reroute for shorter notice."""
    if notice_days >= 14:
        return True
    if reroute_departs_earlier_minutes is None or reroute_arrival_delay_minutes is None:
        return False
    if notice_days >= 7:
        return reroute_departs_earlier_minutes <= 120 and reroute_arrival_delay_minutes < 240
    return reroute_departs_earlier_minutes <= 60 and reroute_arrival_delay_minutes < 120


def cancellation_compensation_eur(
    distance_km: float,
    intra_eu: bool,
    extraordinary: bool,
    notice_days: float,
    reroute_departs_earlier_minutes: int | None,
    reroute_arrival_delay_minutes: int | None,
) -> float:
    """Per passenger, for a cancellation (Art. 5, 7): 0 when extraordinary or notified in time; halved when
    the
    reroute arrives within 2/3/4 h of the original arrival (Art. 7(2))."""
    if extraordinary or cancellation_exempt_by_notice(
        notice_days, reroute_departs_earlier_minutes, reroute_arrival_delay_minutes
    ):
        return 0
    band = distance_band(distance_km, intra_eu)
    if (
        reroute_arrival_delay_minutes is not None
        and reroute_arrival_delay_minutes <= band.reroute_halving_minutes
    ):
        return band.compensation_eur / 2
    return float(band.compensation_eur)


@dataclass(frozen=True)
class Care:
    meals: bool
    hotel: bool
    refund_option: bool
    threshold_minutes: int


def care_due(distance_km: float, intra_eu: bool, departure_delay_minutes: int, overnight: bool) -> Care:
    """Art. 6, 9: meals from 2/3/4 h departure delay by band; hotel when the new departure is the next day;
    refund option from 5 h. Owed whatever the cause (extraordinary circumstances do not remove care)."""
    band = distance_band(distance_km, intra_eu)
    meals = departure_delay_minutes >= band.care_after_minutes
    return Care(
        meals=meals,
        hotel=meals and overnight,
        refund_option=departure_delay_minutes >= 5 * 60,
        threshold_minutes=band.care_after_minutes,
    )
