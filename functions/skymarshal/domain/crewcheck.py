"""Crew legality of one crew member on one option: fitness, type rating, FDP, rest and cumulative limits.

Used by the option generator (who needs replacing, which reserve can) and by the crew_compliance agent (the
binding constraints). Each finding names its rule and carries limit / actual / margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import ftl
from .operation import CrewDuty, CrewMember, Flight, Snapshot
from .policy import Policy

RULE_FITNESS = "EASA MED.A.020 (crew reported unfit)"
RULE_TYPE_RATING = "Part-FCL FCL.700 (type rating)"
RULE_RECORDS = "EASA ORO.FTL.210 (duty records)"
RULE_STANDBY = "EASA ORO.FTL.225 (standby window)"
RULE_COMPLEMENT = "EASA ORO.FC.100 / ORO.CC.100 (crew composition)"


@dataclass(frozen=True)
class CrewFinding:
    crew_id: str
    kind: str  # fitness | rating | records | standby | fdp | rest | cumulative
    rule: str
    description: str
    violated: bool
    limit: float | None = None
    actual: float | None = None
    unit: str | None = None
    flag: str | None = None
    minimum: bool = False  # actual must reach limit (rest); otherwise actual must not exceed it

    @property
    def margin(self) -> float | None:
        if self.limit is None or self.actual is None:
            return None
        return round((self.actual - self.limit) if self.minimum else (self.limit - self.actual), 2)


def minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def hhmm(total_minutes: float) -> str:
    sign = "-" if total_minutes < 0 else ""
    m = abs(int(total_minutes))
    return f"{sign}{m // 60}:{m % 60:02d}"


def duty_sectors(
    snapshot: Snapshot, duty: CrewDuty | None, departure: datetime, arrival: datetime, policy: Policy
) -> tuple[list[tuple[str, datetime, datetime]], int]:
    """The FDP's sectors with the disrupted flight moved to its new times and later sectors cascaded.

    Returns ([(flight key, departure, arrival)], planned sector count). When the duty lists no flights, the
    disrupted flight is taken as the last sector (a simplification, documented).
    """
    key = snapshot.flight_key
    turn = timedelta(minutes=policy.min_turnaround_minutes)
    keys = [k for k in (duty.flight_keys if duty else []) if k in snapshot.flights]
    if key not in keys:
        sectors = max(duty.planned_sectors if duty else 1, 1)
        return [(key, departure, arrival)], sectors
    out: list[tuple[str, datetime, datetime]] = []
    previous_arrival: datetime | None = None
    after = False
    for k in keys:
        f: Flight = snapshot.flights[k]
        if k == key:
            dep, arr, after = departure, arrival, True
        elif after and previous_arrival is not None:
            dep = max(f.departure_utc, previous_arrival + turn)
            arr = dep + (f.sta_utc - f.std_utc)
        else:
            dep, arr = f.departure_utc, f.arrival_utc
        out.append((k, dep, arr))
        previous_arrival = arr
    return out, max(duty.planned_sectors if duty else 0, len(keys))


def check_crew_member(
    snapshot: Snapshot,
    member: CrewMember,
    *,
    departure: datetime,
    arrival: datetime,
    aircraft_rating: str | None,
    policy: Policy,
    reserve: bool,
) -> list[CrewFinding]:
    """Every crew rule for `member` operating the disrupted flight at the option's new times."""
    out = _fitness_and_rating(snapshot, member, aircraft_rating)
    cid = member.crew_id
    duty = snapshot.duties.get(cid)
    if duty is None:
        out.append(
            CrewFinding(
                cid, "records", RULE_RECORDS, f"no duty record for {cid}: limits cannot be verified", True
            )
        )
        return out
    if reserve:
        sectors_list, sectors = [(snapshot.flight_key, departure, arrival)], 1
        report = departure - timedelta(minutes=policy.report_before_departure_minutes)
        out.extend(_standby_findings(snapshot, member, report, policy))
    else:
        sectors_list, sectors = duty_sectors(snapshot, duty, departure, arrival, policy)
        report = duty.report_time_utc or (
            sectors_list[0][1] - timedelta(minutes=policy.report_before_departure_minutes)
        )
    report = report.astimezone(UTC)
    fdp = minutes(sectors_list[-1][2] - report)
    station = duty.report_station or snapshot.flights[sectors_list[0][0]].origin
    out.append(_fdp_finding(snapshot, member, duty, report, station, fdp, sectors, policy))
    if duty.last_duty_end_utc is not None:
        out.append(_rest_finding(member, duty, report, station))
    out.extend(_cumulative_findings(cid, duty, fdp, sectors_list, policy))
    return out


def _fitness_and_rating(snapshot: Snapshot, member: CrewMember, aircraft_rating: str | None) -> list[CrewFinding]:
    """MED.A.020: a crew member reported unfit does not operate; FCL.700: a pilot needs the aircraft's type
    rating."""
    out: list[CrewFinding] = []
    cid = member.crew_id
    if cid in snapshot.event.affected_crew_ids:
        out.append(CrewFinding(cid, "fitness", RULE_FITNESS, f"{cid} is reported unfit to operate", True))
    if member.cockpit and aircraft_rating is not None and aircraft_rating not in member.type_ratings:
        out.append(
            CrewFinding(
                cid,
                "rating",
                RULE_TYPE_RATING,
                f"{cid} ({member.rank}) holds {', '.join(member.type_ratings) or 'no'} rating, "
                f"needs {aircraft_rating}",
                True,
            )
        )
    return out


def _standby_findings(
    snapshot: Snapshot, member: CrewMember, report: datetime, policy: Policy
) -> list[CrewFinding]:
    """ORO.FTL.225: a reserve reports no earlier than the call-out time allows, within the standby window."""
    out: list[CrewFinding] = []
    cid = member.crew_id
    earliest = snapshot.as_of_utc + timedelta(minutes=policy.reserve_callout_minutes)
    if report < earliest:
        out.append(
            CrewFinding(
                cid,
                "standby",
                RULE_STANDBY,
                f"{cid} cannot report before {earliest:%H:%MZ} "
                f"(call-out {policy.reserve_callout_minutes} min)",
                True,
                limit=0,
                actual=minutes(earliest - report),
                unit="min",
            )
        )
    if (
        member.reserve_start_utc
        and member.reserve_end_utc
        and not (member.reserve_start_utc <= report <= member.reserve_end_utc)
    ):
        out.append(
            CrewFinding(
                cid,
                "standby",
                RULE_STANDBY,
                f"{cid} would report at {report:%H:%MZ}, outside the standby window "
                f"{member.reserve_start_utc:%H:%MZ}-{member.reserve_end_utc:%H:%MZ}",
                True,
            )
        )
    return out


def _fdp_finding(
    snapshot: Snapshot,
    member: CrewMember,
    duty: CrewDuty,
    report: datetime,
    station: str,
    fdp: int,
    sectors: int,
    policy: Policy,
) -> CrewFinding:
    """ORO.FTL.205: the FDP against Table 2 (or the override), a planned extension (d), commander's
    discretion (f)."""
    airport = snapshot.airports.get(station) or snapshot.origin
    report_local = report.astimezone(airport.tz)
    limits = ftl.fdp_limits(
        report_local,
        sectors,
        acclimatised=member.acclimatised,
        augmented=duty.augmented,
        override_minutes=duty.fdp_limit_override_minutes,
        extensions_used_7d=duty.extensions_used_7d,
        extension_plannable=snapshot.as_of_utc < report,
    )
    what = (
        f"{member.crew_id} FDP {hhmm(fdp)} from report {report_local:%H:%M} local at {station}, "
        f"{sectors} sector(s); max {hhmm(limits.basic)}"
    )
    return _fdp_verdict_finding(member.crew_id, ftl.fdp_verdict(fdp, limits), limits, what, fdp, duty, policy)


def _fdp_verdict_finding(
    cid: str,
    verdict: ftl.FdpVerdict,
    limits: ftl.FdpLimits,
    what: str,
    fdp: int,
    duty: CrewDuty,
    policy: Policy,
) -> CrewFinding:
    """The finding for each FDP verdict: within the basic limit, needs an extension, needs discretion, over."""
    if verdict == "within_basic":
        return CrewFinding(cid, "fdp", limits.rule, what, False, limits.basic, fdp, "min")
    if verdict == "needs_extension":
        assert limits.extension is not None
        return CrewFinding(
            cid,
            "fdp",
            ftl.RULE_EXTENSION,
            what + f"; needs a planned extension to {hhmm(limits.extension)}"
            f" ({duty.extensions_used_7d} used in 7 days)",
            False,
            limits.extension,
            fdp,
            "min",
            flag="fdp_extension_planned",
        )
    if verdict == "needs_discretion":
        allowed = policy.plan_with_commanders_discretion
        return CrewFinding(
            cid,
            "fdp",
            ftl.RULE_DISCRETION,
            what
            + f"; only within commander's discretion (to {hhmm(limits.discretion)}), which is the "
            + ("captain's call: flagged for approval" if allowed else "captain's call, not planned on"),
            not allowed,
            limits.discretion if allowed else limits.basic,
            fdp,
            "min",
            flag="commanders_discretion_required",
        )
    return CrewFinding(
        cid,
        "fdp",
        limits.rule,
        what + f"; exceeds even commander's discretion ({hhmm(limits.discretion)})",
        True,
        limits.basic,
        fdp,
        "min",
    )


def _rest_finding(member: CrewMember, duty: CrewDuty, report: datetime, station: str) -> CrewFinding:
    """ORO.FTL.235: the rest before this duty's report, at home base or away."""
    assert duty.last_duty_end_utc is not None
    cid = member.crew_id
    rest = minutes(report - duty.last_duty_end_utc)
    required = ftl.min_rest_minutes(duty.last_duty_minutes, station == member.base)
    where = "home base" if station == member.base else "away from base"
    return CrewFinding(
        cid,
        "rest",
        ftl.RULE_REST,
        f"{cid} rest before report {hhmm(rest)} ({where}), needs {hhmm(required)}",
        rest < required,
        required,
        rest,
        "min",
        minimum=True,
    )


def _cumulative_findings(
    cid: str, duty: CrewDuty, fdp: int, sectors_list: list[tuple[str, datetime, datetime]], policy: Policy
) -> list[CrewFinding]:
    """ORO.FTL.210: duty and flight hours over the rolling windows, with this duty added."""
    duty_hours = (fdp + policy.post_flight_duty_minutes) / 60
    flight_hours = sum(minutes(a - d) for _, d, a in sectors_list) / 60
    return [
        CrewFinding(
            cid,
            "cumulative",
            ftl.RULE_CUMULATIVE,
            f"{cid} {c.label}: {c.actual_hours:g} h with this duty, limit {c.limit_hours:g} h",
            c.violated,
            c.limit_hours,
            c.actual_hours,
            "h",
        )
        for c in ftl.cumulative_checks(duty, duty_hours, flight_hours)
    ]


def crew_is_legal(findings: list[CrewFinding]) -> bool:
    return not any(f.violated for f in findings)
