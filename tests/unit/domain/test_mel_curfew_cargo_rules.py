"""MEL interval counting, curfews across time zones and midnight, cold-chain tolerances and offload rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from skymarshal.domain import cargo, mel
from skymarshal.domain.curfew import check_curfew, in_curfew
from skymarshal.domain.operation import Aircraft, Airport, CargoShipment, Defect


def defect(
    category: str | None, discovered: date, a_days: int | None = None, rectified: bool = False
) -> Defect:
    return Defect(
        defect_id="D1",
        description="x",
        mel_item="21-31-01",
        mel_category=category,  # type: ignore[arg-type]
        category_a_interval_days=a_days,
        discovered_on=discovered,
        rectified=rectified,
    )


@pytest.mark.parametrize(
    ("category", "last_valid"),
    [("B", date(2026, 11, 29)), ("C", date(2026, 12, 6)), ("D", date(2027, 3, 26))],
)
def test_deferral_runs_its_interval_with_the_discovery_day_not_counted(
    category: str, last_valid: date
) -> None:
    d = defect(category, date(2026, 11, 26))
    assert mel.last_valid_day(d) == last_valid
    assert not mel.deferral_expired(d, last_valid)
    assert mel.deferral_expired(d, date.fromordinal(last_valid.toordinal() + 1))


def test_category_b_discovered_on_the_1st_flies_on_the_4th_not_the_5th() -> None:
    d = defect("B", date(2026, 12, 1))
    assert [mel.deferral_expired(d, date(2026, 12, n)) for n in (1, 2, 3, 4, 5)] == [False] * 4 + [True]


def test_category_a_uses_the_interval_from_the_remarks_and_unknown_means_not_deferrable() -> None:
    assert mel.last_valid_day(defect("A", date(2026, 12, 1), a_days=1)) == date(2026, 12, 2)
    assert mel.deferral_expired(defect("A", date(2026, 12, 1)), date(2026, 12, 1))
    assert mel.deferral_expired(defect(None, date(2026, 12, 1)), date(2026, 12, 1))  # not in the MEL


def test_an_expired_deferral_grounds_the_tail_until_rectified() -> None:
    ac = Aircraft(
        tail="A6-X",
        type_code="B789",
        seats=299,
        home_base="AUH",
        station="AUH",
        defects=[defect("B", date(2026, 11, 26))],
    )
    state = mel.airworthiness(ac, date(2026, 12, 1))
    assert not state.airworthy
    assert state.findings[0].days_over == 2
    assert mel.airworthiness(ac, date(2026, 11, 29)).airworthy
    ac.defects[0].rectified = True
    assert mel.airworthiness(ac, date(2026, 12, 1)).airworthy


FRA = Airport(
    iata="FRA",
    name="Frankfurt",
    timezone="Europe/Berlin",
    lat=50.0,
    lon=8.5,
    curfew_start_local=time(23, 0),
    curfew_end_local=time(5, 0),
)
SYD = Airport(
    iata="SYD",
    name="Sydney",
    timezone="Australia/Sydney",
    lat=-33.9,
    lon=151.2,
    curfew_start_local=time(23, 0),
    curfew_end_local=time(6, 0),
)


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        # FRA in December is UTC+1: 23:00 local = 22:00Z; buffer 15 min: blocked from 21:45Z
        (datetime(2026, 12, 1, 21, 45, tzinfo=UTC), False),
        (datetime(2026, 12, 1, 21, 46, tzinfo=UTC), True),
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), True),  # 00:30 local, after midnight
        (datetime(2026, 12, 2, 4, 14, tzinfo=UTC), True),  # 05:14 local: inside the end buffer
        (datetime(2026, 12, 2, 4, 15, tzinfo=UTC), False),  # 05:15 local
        # In July FRA is UTC+2: 22:30Z is 00:30 local
        (datetime(2026, 7, 1, 20, 45, tzinfo=UTC), False),
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), True),
    ],
)
def test_frankfurt_curfew_in_local_time_with_a_15_minute_buffer(utc: datetime, inside: bool) -> None:
    assert in_curfew(FRA, utc, 15) is inside


def test_sydney_curfew_crosses_midnight_in_summer_time() -> None:
    # December: AEDT, UTC+11. 23:00 local = 12:00Z.
    assert not in_curfew(SYD, datetime(2026, 12, 2, 11, 45, tzinfo=UTC), 15)  # 22:45 local: the last allowed
    assert in_curfew(SYD, datetime(2026, 12, 2, 11, 46, tzinfo=UTC), 15)
    assert in_curfew(SYD, datetime(2026, 12, 2, 19, 0, tzinfo=UTC), 15)  # 06:00 local next day, end buffer
    assert not in_curfew(SYD, datetime(2026, 12, 2, 19, 15, tzinfo=UTC), 15)


def test_curfew_margin_is_minutes_before_the_buffered_start() -> None:
    check = check_curfew(SYD, datetime(2026, 12, 2, 11, 30, tzinfo=UTC), 15)
    assert check is not None and check.margin_minutes == 15 and not check.violated
    inside = check_curfew(SYD, datetime(2026, 12, 2, 13, 30, tzinfo=UTC), 15)
    assert inside is not None and inside.violated and inside.margin_minutes == -105
    assert (
        check_curfew(
            Airport(iata="AUH", name="x", timezone="Asia/Dubai", lat=0, lon=0),
            datetime(2026, 12, 1, tzinfo=UTC),
            15,
        )
        is None
    )


def test_no_buffer_means_the_published_minute() -> None:
    assert not in_curfew(FRA, datetime(2026, 12, 1, 22, 0, tzinfo=UTC), 0)
    assert in_curfew(FRA, datetime(2026, 12, 1, 22, 1, tzinfo=UTC), 0)


POLICY_TOLERANCES = {"frozen": 60, "REF": 120, "COL": 240}


@pytest.mark.parametrize(
    ("klass", "extra", "broken"),
    [
        ("frozen", 60, False),
        ("frozen", 61, True),
        ("REF", 120, False),
        ("REF", 121, True),
        ("COL", 240, False),
        ("COL", 241, True),
    ],
)
def test_cold_chain_tolerates_1h_frozen_2h_ref_4h_col(klass: str, extra: int, broken: bool) -> None:
    s = CargoShipment(awb="607-1", flight_key="EY1/2026-12-01", temperature_class=klass)  # type: ignore[arg-type]
    check = cargo.cold_chain_check(s, extra, POLICY_TOLERANCES)
    assert check is not None and check.violated is broken


def test_exposure_so_far_counts_and_a_shipment_limit_overrides_the_policy() -> None:
    s = CargoShipment(
        awb="607-1", flight_key="EY1/2026-12-01", temperature_class="COL", chain_exposure_minutes=200
    )
    check = cargo.cold_chain_check(s, 41, POLICY_TOLERANCES)
    assert check is not None and check.violated and check.margin_minutes == -1
    own = CargoShipment(
        awb="607-2", flight_key="EY1/2026-12-01", temperature_class="REF", max_time_out_minutes=30
    )
    own_check = cargo.cold_chain_check(own, 31, POLICY_TOLERANCES)
    assert own_check is not None and own_check.violated
    assert (
        cargo.cold_chain_check(
            CargoShipment(awb="607-3", flight_key="EY1/2026-12-01"), 999, POLICY_TOLERANCES
        )
        is None
    )


def test_live_animals_and_human_remains_are_never_offloaded_without_an_alternative() -> None:
    for codes, never in ((["AVI"], True), (["HUM"], True), (["PER", "PIL"], False), ([], False)):
        s = CargoShipment(awb="607-1", flight_key="EY1/2026-12-01", handling_codes=codes)  # type: ignore[arg-type]
        assert cargo.never_offload(s) is never
