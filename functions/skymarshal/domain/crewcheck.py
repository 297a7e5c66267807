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
    out: list[CrewFinding] = []
    cid = member.crew_id
    as_of = snapshot.as_of_utc
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
    duty = snapshot.duties.get(cid)
    if duty is None:
        out.append(
            CrewFinding(
                cid, "records", RULE_RECORDS, f"no duty record for {cid}: limits cannot be verified", True
            )
        )
        return out
    sign_on = timedelta(minutes=policy.report_before_departure_minutes)
    if reserve:
        sectors_list, sectors = [(snapshot.flight_key, departure, arrival)], 1
        report = departure - sign_on
        earliest = as_of + timedelta(minutes=policy.reserve_callout_minutes)
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
    else:
        sectors_list, sectors = duty_sectors(snapshot, duty, departure, arrival, policy)
        report = duty.report_time_utc or (sectors_list[0][1] - sign_on)
    report = report.astimezone(UTC)
    fdp_end = sectors_list[-1][2]
    fdp = minutes(fdp_end - report)
    station = duty.report_station or snapshot.flights[sectors_list[0][0]].origin
    airport = snapshot.airports.get(station) or snapshot.origin
    report_local = report.astimezone(airport.tz)
    limits = ftl.fdp_limits(
        report_local,
        sectors,
        acclimatised=member.acclimatised,
        augmented=duty.augmented,
        override_minutes=duty.fdp_limit_override_minutes,
        extensions_used_7d=duty.extensions_used_7d,
        extension_plannable=as_of < report,
    )
    verdict = ftl.fdp_verdict(fdp, limits)
    what = (
        f"{cid} FDP {hhmm(fdp)} from report {report_local:%H:%M} local at {station}, {sectors} sector(s); "
        f"max {hhmm(limits.basic)}"
    )
    if verdict == "within_basic":
        out.append(CrewFinding(cid, "fdp", limits.rule, what, False, limits.basic, fdp, "min"))
    elif verdict == "needs_extension":
        assert limits.extension is not None
        out.append(
            CrewFinding(
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
        )
    elif verdict == "needs_discretion":
        allowed = policy.plan_with_commanders_discretion
        out.append(
            CrewFinding(
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
        )
    else:
        out.append(
            CrewFinding(
                cid,
                "fdp",
                limits.rule,
                what + f"; exceeds even commander's discretion ({hhmm(limits.discretion)})",
                True,
                limits.basic,
                fdp,
                "min",
            )
        )
    if duty.last_duty_end_utc is not None:
        rest = minutes(report - duty.last_duty_end_utc)
        required = ftl.min_rest_minutes(duty.last_duty_minutes, station == member.base)
        where = "home base" if station == member.base else "away from base"
        out.append(
            CrewFinding(
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
        )
    duty_hours = (fdp + policy.post_flight_duty_minutes) / 60
    flight_hours = sum(minutes(a - d) for _, d, a in sectors_list) / 60
    for c in ftl.cumulative_checks(duty, duty_hours, flight_hours):
        out.append(
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
        )
    return out


def crew_is_legal(findings: list[CrewFinding]) -> bool:
    return not any(f.violated for f in findings)
