"""EASA flight time limitations (Regulation (EU) 965/2012, Annex III, Subpart FTL), as the planner needs them.

- ORO.FTL.205(b) Table 2: maximum basic daily FDP, acclimatised crew, by local report time and sectors.
- ORO.FTL.205(d): planned extension without in-flight rest, +1 h, at most twice in any 7 days.
- ORO.FTL.205(f): commander's discretion, +2 h (+3 h augmented) — flagged, never assumed.
- ORO.FTL.235: minimum rest before an FDP.
- ORO.FTL.210: cumulative duty and flight-time limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

RULE_TABLE_2 = "EASA ORO.FTL.205(b) Table 2"
RULE_EXTENSION = "EASA ORO.FTL.205(d)"
RULE_DISCRETION = "EASA ORO.FTL.205(f)"
RULE_REST = "EASA ORO.FTL.235"
RULE_CUMULATIVE = "EASA ORO.FTL.210"

MIN_FDP_MINUTES = 9 * 60  # no cell of Table 2 is below 09:00
SECTOR_REDUCTION_MINUTES = 30  # per sector beyond two
EXTENSION_MINUTES = 60
MAX_EXTENSIONS_7D = 2
DISCRETION_MINUTES = 2 * 60
DISCRETION_AUGMENTED_MINUTES = 3 * 60
REST_HOME_MINUTES = 12 * 60
REST_AWAY_MINUTES = 10 * 60

# (first minute of the band, last minute of the band, 1–2 sector maximum) — local time of the FDP start.
# The 17:00–04:59 band wraps midnight and is the fallback for any minute not in another row.
TABLE_2_BANDS: tuple[tuple[int, int, int], ...] = (
    (6 * 60, 13 * 60 + 29, 13 * 60),
    (13 * 60 + 30, 13 * 60 + 59, 12 * 60 + 45),
    (14 * 60, 14 * 60 + 29, 12 * 60 + 30),
    (14 * 60 + 30, 14 * 60 + 59, 12 * 60 + 15),
    (15 * 60, 15 * 60 + 29, 12 * 60),
    (15 * 60 + 30, 15 * 60 + 59, 11 * 60 + 45),
    (16 * 60, 16 * 60 + 29, 11 * 60 + 30),
    (16 * 60 + 30, 16 * 60 + 59, 11 * 60 + 15),
    (5 * 60, 5 * 60 + 14, 12 * 60),
    (5 * 60 + 15, 5 * 60 + 29, 12 * 60 + 15),
    (5 * 60 + 30, 5 * 60 + 44, 12 * 60 + 30),
    (5 * 60 + 45, 5 * 60 + 59, 12 * 60 + 45),
)
NIGHT_BAND_MINUTES = 11 * 60  # 17:00–04:59


def _clock(report_local: time | datetime) -> int:
    t = report_local.time() if isinstance(report_local, datetime) else report_local
    return t.hour * 60 + t.minute


def base_fdp_minutes(report_local: time | datetime) -> int:
    """The 1–2 sector column of Table 2 for the row that contains the local report time."""
    minute = _clock(report_local)
    for first, last, limit in TABLE_2_BANDS:
        if first <= minute <= last:
            return limit
    return NIGHT_BAND_MINUTES


def max_fdp_minutes(report_local: time | datetime, sectors: int) -> int:
    """ORO.FTL.205(b) Table 2: the 1–2 sector value minus 30 min per sector beyond two, never below 09:00."""
    if sectors < 1:
        raise ValueError("an FDP has at least one sector")
    reduced = base_fdp_minutes(report_local) - SECTOR_REDUCTION_MINUTES * max(0, sectors - 2)
    return max(MIN_FDP_MINUTES, reduced)


def max_fdp(report_local: time | datetime, sectors: int) -> timedelta:
    """Maximum basic daily FDP for acclimatised crew (ORO.FTL.205(b) Table 2), as a duration."""
    return timedelta(minutes=max_fdp_minutes(report_local, sectors))


@dataclass(frozen=True)
class FdpLimits:
    """The limits that apply to one FDP: basic, with a planned extension, with commander's discretion."""

    basic: int
    extension: int | None  # None when no extension is available (used twice in 7 days, or already reported)
    discretion: int
    rule: str


def fdp_limits(
    report_local: time | datetime,
    sectors: int,
    *,
    acclimatised: bool = True,
    augmented: bool = False,
    override_minutes: int | None = None,
    extensions_used_7d: int = 0,
    extension_plannable: bool = True,
) -> FdpLimits:
    """The FDP limits for a duty.

    Simplifications (documented): crew not acclimatised get the most restrictive row of Table 2 (17:00–04:59);
    augmented crew use the operator-approved limit given on the duty (`override_minutes`) or else Table 2.
    A planned extension (ORO.FTL.205(d)) is only possible before reporting and if fewer than two were used in
    the last 7 days; discretion (ORO.FTL.205(f)) adds 2 h, or 3 h for augmented crew.
    """
    if override_minutes is not None:
        basic, rule = override_minutes, "EASA ORO.FTL.205 (operator-approved augmented FDP)"
    elif acclimatised:
        basic, rule = max_fdp_minutes(report_local, sectors), RULE_TABLE_2
    else:
        basic = max(MIN_FDP_MINUTES, NIGHT_BAND_MINUTES - SECTOR_REDUCTION_MINUTES * max(0, sectors - 2))
        rule = RULE_TABLE_2 + " (most restrictive row: not acclimatised)"
    extension = (
        basic + EXTENSION_MINUTES
        if extension_plannable and extensions_used_7d < MAX_EXTENSIONS_7D and override_minutes is None
        else None
    )
    discretion = basic + (DISCRETION_AUGMENTED_MINUTES if augmented else DISCRETION_MINUTES)
    return FdpLimits(basic=basic, extension=extension, discretion=discretion, rule=rule)


FdpVerdict = Literal["within_basic", "needs_extension", "needs_discretion", "exceeds"]


def fdp_verdict(fdp_minutes: int, limits: FdpLimits) -> FdpVerdict:
    """Which limit an FDP of this length needs."""
    if fdp_minutes <= limits.basic:
        return "within_basic"
    if limits.extension is not None and fdp_minutes <= limits.extension:
        return "needs_extension"
    if fdp_minutes <= limits.discretion:
        return "needs_discretion"
    return "exceeds"


def min_rest_minutes(preceding_duty_minutes: int | None, at_home_base: bool) -> int:
    """ORO.FTL.235: at home base the preceding duty or 12 h, away the preceding duty or 10 h (the longer)."""
    floor = REST_HOME_MINUTES if at_home_base else REST_AWAY_MINUTES
    return max(floor, preceding_duty_minutes or 0)


# ORO.FTL.210 cumulative limits: (label, record field, limit hours, kind)
CUMULATIVE_LIMITS: tuple[tuple[str, str, float, str], ...] = (
    ("duty time in 7 days", "duty_hours_7d", 60, "duty"),
    ("duty time in 14 days", "duty_hours_14d", 110, "duty"),
    ("duty time in 28 days", "duty_hours_28d", 190, "duty"),
    ("flight time in 28 days", "flight_hours_28d", 100, "flight"),
    ("flight time in the calendar year", "flight_hours_calendar_year", 900, "flight"),
    ("flight time in 12 months", "flight_hours_12m", 1000, "flight"),
)


@dataclass(frozen=True)
class CumulativeCheck:
    label: str
    limit_hours: float
    actual_hours: float

    @property
    def margin_hours(self) -> float:
        return round(self.limit_hours - self.actual_hours, 2)

    @property
    def violated(self) -> bool:
        return self.actual_hours > self.limit_hours


def cumulative_checks(history: object, duty_hours: float, flight_hours: float) -> list[CumulativeCheck]:
    """ORO.FTL.210: each window's completed hours plus this duty's, against its limit.

    `history` is any object with the `CUMULATIVE_LIMITS` fields (an `operation.CrewDuty`).
    """
    checks = []
    for label, field, limit, kind in CUMULATIVE_LIMITS:
        done = float(getattr(history, field, 0) or 0)
        added = duty_hours if kind == "duty" else flight_hours
        checks.append(CumulativeCheck(label=label, limit_hours=limit, actual_hours=round(done + added, 2)))
    return checks
