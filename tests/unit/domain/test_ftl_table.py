"""EASA ORO.FTL.205(b) Table 2 cell by cell, the sector rule, discretion, extension, rest and cumulative
limits.

The table below is copied from shared/domain/FACTS.md as published (rows: FDP start, local; columns: sectors).
"""

from __future__ import annotations

from datetime import time

import pytest

from skymarshal.domain import ftl

TABLE_2 = """
| 06:00–13:29 | 13:00 | 12:30 | 12:00 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 |
| 13:30–13:59 | 12:45 | 12:15 | 11:45 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 |
| 14:00–14:29 | 12:30 | 12:00 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 |
| 14:30–14:59 | 12:15 | 11:45 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 | 09:00 |
| 15:00–15:29 | 12:00 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 | 09:00 |
| 15:30–15:59 | 11:45 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 | 09:00 | 09:00 |
| 16:00–16:29 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 | 09:00 | 09:00 |
| 16:30–16:59 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 | 09:00 | 09:00 | 09:00 |
| 17:00–04:59 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 | 09:00 | 09:00 | 09:00 |
| 05:00–05:14 | 12:00 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 | 09:00 |
| 05:15–05:29 | 12:15 | 11:45 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 | 09:00 |
| 05:30–05:44 | 12:30 | 12:00 | 11:30 | 11:00 | 10:30 | 10:00 | 09:30 | 09:00 | 09:00 |
| 05:45–05:59 | 12:45 | 12:15 | 11:45 | 11:15 | 10:45 | 10:15 | 09:45 | 09:15 | 09:00 |
"""
COLUMNS = ((1, 2), (3,), (4,), (5,), (6,), (7,), (8,), (9,), (10,))


def _t(s: str) -> time:
    h, m = s.split(":")
    return time(int(h), int(m))


def _minutes(s: str) -> int:
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def _cells() -> list[tuple[str, time, int, int]]:
    """Every (row, report time, sectors, expected minutes): the first, last and a middle minute of each
    row."""
    out = []
    for line in TABLE_2.strip().splitlines():
        cols = [c.strip() for c in line.strip("|").split("|")]
        start, end = (_t(x) for x in cols[0].split("–"))
        probes = {start, end}
        if start < end:
            mid = (_minutes(cols[0].split("–")[0]) + _minutes(cols[0].split("–")[1])) // 2
            probes.add(time(mid // 60, mid % 60))
        else:  # the 17:00–04:59 row wraps midnight
            probes |= {time(23, 59), time(0, 0), time(2, 30)}
        for col, value in zip(COLUMNS, cols[1:], strict=True):
            for sectors in col:
                for probe in sorted(probes):
                    out.append((cols[0], probe, sectors, _minutes(value)))
    return out


@pytest.mark.parametrize(("row", "report", "sectors", "expected"), _cells())
def test_max_fdp_matches_every_cell_of_table_2(row: str, report: time, sectors: int, expected: int) -> None:
    assert ftl.max_fdp_minutes(report, sectors) == expected, f"row {row}, {report}, {sectors} sectors"


@pytest.mark.parametrize(
    ("before", "after", "limit_before", "limit_after"),
    [
        (time(13, 29), time(13, 30), 13 * 60, 12 * 60 + 45),
        (time(13, 59), time(14, 0), 12 * 60 + 45, 12 * 60 + 30),
        (time(16, 59), time(17, 0), 11 * 60 + 15, 11 * 60),
        (time(4, 59), time(5, 0), 11 * 60, 12 * 60),
        (time(5, 14), time(5, 15), 12 * 60, 12 * 60 + 15),
        (time(5, 29), time(5, 30), 12 * 60 + 15, 12 * 60 + 30),
        (time(5, 44), time(5, 45), 12 * 60 + 30, 12 * 60 + 45),
        (time(5, 59), time(6, 0), 12 * 60 + 45, 13 * 60),
        (time(23, 59), time(0, 0), 11 * 60, 11 * 60),
    ],
)
def test_band_edges_change_the_limit_at_the_published_minute(
    before: time, after: time, limit_before: int, limit_after: int
) -> None:
    assert ftl.max_fdp_minutes(before, 2) == limit_before
    assert ftl.max_fdp_minutes(after, 2) == limit_after


def test_sector_rule_is_two_sector_value_minus_30_per_extra_sector_never_below_nine_hours() -> None:
    for minute in range(24 * 60):  # every minute of the day
        report = time(minute // 60, minute % 60)
        base = ftl.max_fdp_minutes(report, 2)
        assert ftl.max_fdp_minutes(report, 1) == base
        for sectors in range(3, 13):
            expected = max(540, base - 30 * (sectors - 2))
            assert ftl.max_fdp_minutes(report, sectors) == expected, (report, sectors)


def test_seconds_and_datetimes_use_the_local_clock_minute() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert ftl.max_fdp_minutes(time(13, 29, 59), 1) == 13 * 60
    local = datetime(2026, 12, 1, 5, 30, tzinfo=ZoneInfo("Asia/Dubai"))
    assert ftl.max_fdp(local, 3).total_seconds() == 12 * 3600


def test_an_fdp_has_at_least_one_sector() -> None:
    with pytest.raises(ValueError):
        ftl.max_fdp_minutes(time(8, 0), 0)


def test_discretion_adds_two_hours_or_three_with_augmented_crew_and_is_flagged() -> None:
    normal = ftl.fdp_limits(time(8, 0), 2)
    augmented = ftl.fdp_limits(time(8, 0), 2, augmented=True)
    assert normal.discretion == 15 * 60 and augmented.discretion == 16 * 60
    assert ftl.fdp_verdict(13 * 60 + 1, ftl.fdp_limits(time(8, 0), 2, extension_plannable=False)) == (
        "needs_discretion"
    )
    assert ftl.fdp_verdict(15 * 60 + 1, normal) == "exceeds"


def test_extension_is_one_hour_at_most_twice_in_seven_days_and_only_before_reporting() -> None:
    assert ftl.fdp_limits(time(8, 0), 2, extensions_used_7d=1).extension == 14 * 60
    assert ftl.fdp_limits(time(8, 0), 2, extensions_used_7d=2).extension is None
    assert ftl.fdp_limits(time(8, 0), 2, extension_plannable=False).extension is None
    assert ftl.fdp_verdict(13 * 60 + 30, ftl.fdp_limits(time(8, 0), 2)) == "needs_extension"


def test_crew_not_acclimatised_get_the_most_restrictive_row() -> None:
    assert ftl.fdp_limits(time(8, 0), 2, acclimatised=False).basic == 11 * 60
    assert ftl.fdp_limits(time(8, 0), 5, acclimatised=False).basic == 9 * 60 + 30


@pytest.mark.parametrize(
    ("preceding", "home", "expected"),
    [
        (None, True, 720),
        (600, True, 720),
        (800, True, 800),
        (None, False, 600),
        (540, False, 600),
        (660, False, 660),
    ],
)
def test_minimum_rest_is_the_preceding_duty_or_12h_home_10h_away(
    preceding: int | None, home: bool, expected: int
) -> None:
    assert ftl.min_rest_minutes(preceding, home) == expected


def test_cumulative_limits_are_60_110_190_duty_and_100_900_1000_flight_hours() -> None:
    class History:
        duty_hours_7d, duty_hours_14d, duty_hours_28d = 50.0, 100.0, 180.0
        flight_hours_28d, flight_hours_calendar_year, flight_hours_12m = 95.0, 890.0, 990.0

    checks = {c.label: c for c in ftl.cumulative_checks(History(), duty_hours=10.0, flight_hours=5.0)}
    assert [c.limit_hours for c in checks.values()] == [60, 110, 190, 100, 900, 1000]
    assert not checks["duty time in 7 days"].violated  # exactly 60 is allowed
    assert checks["flight time in the calendar year"].violated is False  # 895
    assert ftl.cumulative_checks(History(), duty_hours=10.5, flight_hours=5.5)[0].violated
    assert ftl.cumulative_checks(History(), duty_hours=0, flight_hours=10.5)[5].violated  # 1000.5 h
