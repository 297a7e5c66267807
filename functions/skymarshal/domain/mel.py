"""Minimum Equipment List deferrals: rectification intervals and airworthiness.

Intervals by MEL category: A as stated in the item's remarks; B 3, C 10, D 120 consecutive calendar days; the
day
of discovery is not counted. A tail with an expired deferral, or an open defect the MEL does not allow, is not
airworthy (AOG) until rectified. Source: EASA/ICAO MEL practice (e.g. Transport Canada TP 9155).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .operation import Aircraft, Defect

RULE_MEL = "MEL rectification interval"
RULE_NO_DEFERRAL = "MEL: defect not deferrable"
RULE_STATUS = "Aircraft status"

INTERVAL_DAYS: dict[str, int] = {"B": 3, "C": 10, "D": 120}


def interval_days(defect: Defect) -> int | None:
    """The rectification interval of a deferral (category A from the remarks; None when unknown)."""
    if defect.mel_category is None:
        return None
    if defect.mel_category == "A":
        return defect.category_a_interval_days
    return INTERVAL_DAYS[defect.mel_category]


def last_valid_day(defect: Defect) -> date | None:
    """The last calendar day the deferral covers: discovery day not counted, so discovered_on + interval."""
    days = interval_days(defect)
    return None if days is None else defect.discovered_on + timedelta(days=days)


def deferral_expired(defect: Defect, on: date) -> bool:
    """True when an open deferral no longer covers `on` (or was never allowed)."""
    if defect.rectified:
        return False
    last = last_valid_day(defect)
    return last is None or on > last


@dataclass(frozen=True)
class DefectFinding:
    defect_id: str
    rule: str
    description: str
    last_valid_day: date | None
    days_over: int | None  # days past the last valid day (>0 expired), None when not deferrable
    rectification_minutes: int | None


@dataclass
class Airworthiness:
    tail: str
    airworthy: bool
    findings: list[DefectFinding] = field(default_factory=list)
    open_deferrals: list[tuple[str, date | None]] = field(default_factory=list)

    def return_to_service(self, as_of: datetime, default_minutes: int) -> datetime | None:
        """Estimated return to service: all blocking defects rectified (their estimates in sequence)."""
        if self.airworthy:
            return as_of
        defects = [f for f in self.findings if f.defect_id != "status"] or self.findings
        total = sum(
            f.rectification_minutes if f.rectification_minutes is not None else default_minutes
            for f in defects
        )
        return as_of + timedelta(minutes=total)


def airworthiness(aircraft: Aircraft, on: date) -> Airworthiness:
    """Is the tail airworthy for a departure on `on`? Every open defect is checked against its MEL
    interval."""
    result = Airworthiness(tail=aircraft.tail, airworthy=True)
    if aircraft.status == "aog":
        result.airworthy = False
        result.findings.append(
            DefectFinding("status", RULE_STATUS, "aircraft is recorded AOG", None, None, None)
        )
    for d in aircraft.defects:
        if d.rectified:
            continue
        last = last_valid_day(d)
        if last is None:
            reason = (
                "category A without a stated interval"
                if d.mel_category == "A"
                else "no MEL item allows deferral"
            )
            result.airworthy = False
            result.findings.append(
                DefectFinding(
                    d.defect_id,
                    RULE_NO_DEFERRAL,
                    f"{d.description}: {reason}",
                    None,
                    None,
                    d.estimated_rectification_minutes,
                )
            )
        elif on > last:
            result.airworthy = False
            result.findings.append(
                DefectFinding(
                    d.defect_id,
                    f"{RULE_MEL} (category {d.mel_category})",
                    f"{d.description}: MEL {d.mel_item or '?'} cat {d.mel_category} "
                    f"discovered {d.discovered_on},"
                    f" valid to {last}, expired",
                    last,
                    (on - last).days,
                    d.estimated_rectification_minutes,
                )
            )
        else:
            result.open_deferrals.append((d.defect_id, last))
    return result
