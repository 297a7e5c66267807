"""EU261: distance bands at their edges, the 3-hour arrival rule, extraordinary circumstances, reroute
halving,
cancellation notice and the right to care."""

from __future__ import annotations

import pytest

from skymarshal.domain import eu261
from skymarshal.domain.operation import Airport


@pytest.mark.parametrize(
    ("km", "intra_eu", "amount"),
    [
        (1499.9, False, 250),
        (1500.0, False, 250),
        (1500.1, False, 400),
        (3500.0, False, 400),
        (3500.1, False, 600),
        (9000.0, False, 600),
        (1500.0, True, 250),
        (1500.1, True, 400),
        (3500.1, True, 400),
        (4200.0, True, 400),
    ],
)
def test_compensation_depends_on_great_circle_distance_band(km: float, intra_eu: bool, amount: int) -> None:
    assert eu261.delay_compensation_eur(km, intra_eu, 180, extraordinary=False) == amount


@pytest.mark.parametrize(
    ("arrival_delay", "owed"), [(0, False), (179, False), (180, True), (181, True), (600, True)]
)
def test_compensation_is_owed_from_three_hours_of_arrival_delay(arrival_delay: int, owed: bool) -> None:
    assert (eu261.delay_compensation_eur(2000, False, arrival_delay, extraordinary=False) > 0) is owed


@pytest.mark.parametrize(
    ("cause", "extraordinary"),
    [
        ("weather", True),
        ("atc", True),
        ("security", True),
        ("technical", False),
        ("aircraft_on_ground", False),
        ("crew_sickness", False),
        ("other", False),
    ],
)
def test_extraordinary_circumstances_by_disruption_type_with_a_reason(
    cause: str, extraordinary: bool
) -> None:
    ec, why = eu261.extraordinary_circumstances(cause)  # type: ignore[arg-type]
    assert ec is extraordinary
    assert why
    assert eu261.delay_compensation_eur(5000, False, 300, extraordinary=ec) == (0 if ec else 600)


def test_crew_sickness_is_not_extraordinary_and_says_why() -> None:
    ec, why = eu261.extraordinary_circumstances("crew_sickness")
    assert not ec and "normal activity" in why


@pytest.mark.parametrize(
    ("km", "reroute_arrival_delay", "expected"),
    [
        (1000, 120, 125.0),
        (1000, 121, 250.0),  # up to 1,500 km: halved within 2 h
        (2500, 180, 200.0),
        (2500, 181, 400.0),  # 1,500-3,500 km: within 3 h
        (6000, 240, 300.0),
        (6000, 241, 600.0),  # over 3,500 km: within 4 h
    ],
)
def test_reroute_arriving_within_2_3_4_hours_halves_cancellation_compensation(
    km: float, reroute_arrival_delay: int, expected: float
) -> None:
    assert eu261.cancellation_compensation_eur(km, False, False, 1, 0, reroute_arrival_delay) == expected


def test_cancellation_notice_rules() -> None:
    assert eu261.cancellation_compensation_eur(6000, False, False, 14, None, None) == 0  # told 14 days ahead
    # 7-14 days: exempt with a reroute leaving <= 2 h earlier and arriving < 4 h later
    assert eu261.cancellation_exempt_by_notice(10, 120, 239)
    assert not eu261.cancellation_exempt_by_notice(10, 121, 100)
    assert not eu261.cancellation_exempt_by_notice(10, 60, 240)
    # < 7 days: <= 1 h earlier and < 2 h later
    assert eu261.cancellation_exempt_by_notice(3, 60, 119)
    assert not eu261.cancellation_exempt_by_notice(3, 61, 60)
    assert not eu261.cancellation_exempt_by_notice(3, 0, 120)
    assert eu261.cancellation_compensation_eur(6000, False, True, 0, None, None) == 0  # extraordinary


@pytest.mark.parametrize(
    ("km", "delay", "meals"),
    [
        (1500, 119, False),
        (1500, 120, True),
        (3000, 179, False),
        (3000, 180, True),
        (5000, 239, False),
        (5000, 240, True),
    ],
)
def test_meals_are_due_from_2_3_4_hours_of_departure_delay(km: float, delay: int, meals: bool) -> None:
    assert eu261.care_due(km, False, delay, overnight=False).meals is meals


def test_hotel_when_the_new_departure_is_the_next_day_and_refund_from_five_hours() -> None:
    care = eu261.care_due(5000, False, 300, overnight=True)
    assert care.hotel and care.meals and care.refund_option
    assert not eu261.care_due(5000, False, 299, overnight=False).refund_option
    assert not eu261.care_due(5000, False, 100, overnight=True).hotel


def test_great_circle_distance_and_scope() -> None:
    auh = Airport(iata="AUH", name="Abu Dhabi", timezone="Asia/Dubai", lat=24.433, lon=54.6511)
    fra = Airport(iata="FRA", name="Frankfurt", timezone="Europe/Berlin", lat=50.0379, lon=8.5622, is_eu=True)
    assert 4800 < eu261.airport_distance_km(auh, fra) < 4950  # published AUH-FRA: about 4,860 km
    assert eu261.in_scope(fra, auh, community_carrier=False)  # departing the EU: any carrier
    assert eu261.in_scope(auh, fra, community_carrier=True)
    assert not eu261.in_scope(auh, fra, community_carrier=False)  # into the EU on a non-EU carrier
