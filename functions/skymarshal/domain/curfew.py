"""Airport curfews: no movements inside a local-time window (e.g. Frankfurt 23:00–05:00, Sydney 23:00–06:00).

The window is airport data; the buffer (15 min by default) is policy and widens the window on both sides, so a
plan is never scheduled to the minute of a curfew. Windows may cross midnight; local time comes from zoneinfo.
A movement exactly at the buffered edge is allowed (margin 0); one minute inside is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .operation import Airport

RULE_CURFEW = "Airport curfew"


@dataclass(frozen=True)
class CurfewCheck:
    airport: str
    moment_local: datetime
    violated: bool
    margin_minutes: int  # minutes before the buffered window starts (negative: inside it)
    window_start_local: datetime  # the (unbuffered) curfew instance concerned
    window_end_local: datetime


def _windows(airport: Airport, local: datetime) -> list[tuple[datetime, datetime]]:
    assert airport.curfew_start_local is not None and airport.curfew_end_local is not None
    tz = airport.tz
    out = []
    for offset in (-1, 0, 1):
        day = local.date() + timedelta(days=offset)
        start = datetime.combine(day, airport.curfew_start_local, tzinfo=tz)
        end_day = day + timedelta(days=1) if airport.curfew_end_local <= airport.curfew_start_local else day
        end = datetime.combine(end_day, airport.curfew_end_local, tzinfo=tz)
        out.append((start, end))
    return out


def check_curfew(airport: Airport, moment_utc: datetime, buffer_minutes: int) -> CurfewCheck | None:
    """Where a movement at `moment_utc` stands against the airport's curfew (None: the airport has none)."""
    if not airport.has_curfew:
        return None
    local = moment_utc.astimezone(airport.tz)
    at = moment_utc.astimezone(UTC)
    buffer = timedelta(minutes=buffer_minutes)
    upcoming: tuple[datetime, datetime] | None = None
    for start, end in _windows(airport, local):
        b_start, b_end = start.astimezone(UTC) - buffer, end.astimezone(UTC) + buffer
        if b_start < at < b_end:
            margin = int((b_start - at).total_seconds() // 60)
            return CurfewCheck(airport.iata, local, True, margin, start, end)
        if b_start >= at and upcoming is None:
            upcoming = (start, end)
    assert upcoming is not None
    start, end = upcoming
    margin = int((start.astimezone(UTC) - buffer - at).total_seconds() // 60)
    return CurfewCheck(airport.iata, local, False, margin, start, end)


def in_curfew(airport: Airport, moment_utc: datetime, buffer_minutes: int = 15) -> bool:
    check = check_curfew(airport, moment_utc, buffer_minutes)
    return check is not None and check.violated
