"""The crew: pairings cut from the rotations within EASA Table 2 FDP limits (augmented crews on ultra-long
haul), rostered greedily in report order with rest respected, cumulative duty histories (a few near their
limits; EY123's first officer near 60 h / 7 days), and ~5% reserves on standby."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from heapq import heappop, heappush
from typing import Any
from zoneinfo import ZoneInfo

from skymarshal.domain.ftl import max_fdp_minutes
from skymarshal_local.datagen.network import Network
from skymarshal_local.datagen.records import CrewMember, Duty, Leg, Tail
from skymarshal_local.datagen.reference import (
    FIRST_NAMES,
    HUB,
    LAST_NAMES,
    SAMPLE_FLIGHTS,
    WIDEBODY_FAMILIES,
    AircraftType,
)

# Crew waiting at a station for their next duty, per (rating, rank, station): (available from, seq, member).
_Pools = dict[tuple[str, str, str], list[tuple[datetime, int, CrewMember]]]


# --------------------------------------------------------------------------------------------------
# Pairings
# --------------------------------------------------------------------------------------------------
def _report(first: Leg) -> datetime:
    return first.std - timedelta(minutes=75 if first.type.widebody else 60)


def cut_duty(net: Network, legs: list[Leg], i: int) -> Duty:
    """The longest run of sectors from legs[i] that ends at the hub and fits Table 2 less 45 min."""
    first = legs[i]
    report = _report(first)
    tz = ZoneInfo(net.ports[first.origin].timezone)
    max_sectors = 2 if first.type.widebody else 4
    best: list[Leg] | None = None
    for n in range(1, max_sectors + 1):
        run = legs[i : i + n]
        if len(run) < n or (n > 1 and (run[-1].std - run[-2].sta) > timedelta(hours=3)):
            break
        fdp = int((run[-1].sta - report).total_seconds() // 60)
        if fdp > max_fdp_minutes(report.astimezone(tz), n) - 45:
            break
        if run[-1].dest == HUB:
            best = run
    if best is not None:
        return Duty(best, 0, report, best[-1].sta + timedelta(minutes=30))
    block = first.block
    augmented = 0
    fdp = int((first.sta - report).total_seconds() // 60)
    if fdp > max_fdp_minutes(report.astimezone(tz), 1) - 45:
        augmented = 2 if fdp > 16 * 60 - 45 or block > 12 * 60 else 1
    return Duty([first], augmented, report, first.sta + timedelta(minutes=30))


def pairings(net: Network, tails: list[Tail]) -> list[Duty]:
    """Every tail's legs cut into duties, in report order."""
    duties: list[Duty] = []
    for tail in tails:
        legs = tail.legs
        i = 0
        while i < len(legs):
            duty = cut_duty(net, legs, i)
            duties.append(duty)
            i += len(duty.legs)
    duties.sort(key=lambda d: (d.report, d.legs[0].number or ""))
    return duties


def pool(t: AircraftType, rank: str) -> str:
    """Pilots fly one family (type rating); cabin crew one group: narrowbody, or all three widebodies."""
    if rank in ("CPT", "FO"):
        return t.family
    return "WB" if t.widebody else "NB"


def complement(duty: Duty) -> list[str]:
    t = duty.legs[0].type
    cockpit = ["CPT", "FO"] + (["FO"] if duty.augmented >= 1 else []) + (["CPT"] if duty.augmented >= 2 else [])
    return cockpit + ["SCCM"] + ["CC"] * (t.cabin_crew - 1)


def sample_crew_ids(number: str, ranks: list[str]) -> list[str]:
    """The scenarios' crew ids for a sample flight: C123A, C123B (captains), F123A, S123A, CC123A..."""
    prefix = {"CPT": "C", "FO": "F", "SCCM": "S", "CC": "CC"}
    seen: dict[str, int] = {}
    out = []
    for rank in ranks:
        n = seen.get(rank, 0)
        seen[rank] = n + 1
        out.append(f"{prefix[rank]}{number[2:]}{chr(ord('A') + n)}")
    return out


def _keep_under_limits(h: dict[str, Any], duty: Duty) -> None:
    """Planned rosters are legal: keep the cumulative totals under their limits with this duty."""
    duty_hours = duty.minutes / 60
    flight_hours = duty.block_minutes / 60
    h["duty_hours_7d"] = round(min(h["duty_hours_7d"], 60 - duty_hours - 0.5), 1)
    h["duty_hours_14d"] = round(min(max(h["duty_hours_14d"], h["duty_hours_7d"]), 110 - duty_hours - 1), 1)
    h["duty_hours_28d"] = round(min(max(h["duty_hours_28d"], h["duty_hours_14d"]), 190 - duty_hours - 1), 1)
    h["flight_hours_28d"] = round(min(h["flight_hours_28d"], 100 - flight_hours - 0.5), 1)
    h["flight_hours_calendar_year"] = round(min(h["flight_hours_calendar_year"], 900 - flight_hours - 1), 1)
    h["flight_hours_12m"] = round(
        min(max(h["flight_hours_12m"], h["flight_hours_calendar_year"]), 1000 - flight_hours - 1), 1
    )
    if h["last_duty_end_utc"] > duty.report - timedelta(hours=10):
        h["last_duty_end_utc"] = duty.report - timedelta(hours=12)


def _complete(h: dict[str, Any], duty: Duty) -> None:
    """What the next duty sees: this one completed."""
    duty_hours = duty.minutes / 60
    flight_hours = duty.block_minutes / 60
    h.update(
        duty_hours_7d=round(h["duty_hours_7d"] + duty_hours, 1),
        duty_hours_14d=round(h["duty_hours_14d"] + duty_hours, 1),
        duty_hours_28d=round(h["duty_hours_28d"] + duty_hours, 1),
        flight_hours_28d=round(h["flight_hours_28d"] + flight_hours, 1),
        flight_hours_calendar_year=round(h["flight_hours_calendar_year"] + flight_hours, 1),
        flight_hours_12m=round(h["flight_hours_12m"] + flight_hours, 1),
        last_duty_end_utc=duty.end,
        last_duty_minutes=duty.minutes,
    )


# --------------------------------------------------------------------------------------------------
# Rosters and reserves
# --------------------------------------------------------------------------------------------------
@dataclass
class Roster:
    net: Network
    t0: datetime
    crew: list[CrewMember] = field(default_factory=list)
    duty_records: list[dict[str, Any]] = field(default_factory=list)

    def history(self, report: datetime, near_limit: bool) -> dict[str, Any]:
        rng = self.net.rng
        d7 = min(52.0, max(6.0, rng.gauss(30, 8)))
        if near_limit:
            d7 = rng.uniform(50, 55)
        d14 = d7 + rng.uniform(16, 40)
        d28 = min(180.0, d14 + rng.uniform(35, 70))
        f28 = rng.uniform(92, 97) if near_limit and rng.random() < 0.5 else rng.uniform(40, 85)
        year_fraction = (report.timetuple().tm_yday - 1) / 365
        fy = rng.uniform(620, 820) * year_fraction / (334 / 365)
        if near_limit and rng.random() < 0.3:
            fy = rng.uniform(870, 890)
        f12 = min(990.0, fy + rng.uniform(40, 80) * (1 - year_fraction + 0.1))
        last_minutes = 5 * rng.randrange(72, 160)
        rest = max(12 * 60, last_minutes) + 5 * rng.randrange(0, 400)
        roll = rng.random()
        return {
            "duty_hours_7d": round(d7, 1),
            "duty_hours_14d": round(d14, 1),
            "duty_hours_28d": round(d28, 1),
            "flight_hours_28d": round(f28, 1),
            "flight_hours_calendar_year": round(fy, 1),
            "flight_hours_12m": round(max(f12, fy), 1),
            "last_duty_end_utc": report - timedelta(minutes=rest),
            "last_duty_minutes": last_minutes,
            "extensions_used_7d": 0 if roll < 0.85 else (1 if roll < 0.97 else 2),
            "discretion_used_7d": 1 if rng.random() < 0.05 else 0,
        }

    def hire(
        self, rank: str, rating: str, base: str, location: str, report: datetime, crew_id: str | None = None
    ) -> CrewMember:
        """A new crew member (cabin crew hold up to three type qualifications) with a history."""
        rng = self.net.rng
        crew_id = crew_id or f"C{len(self.crew) + 10001:05d}"
        if rank in ("SCCM", "CC"):
            ratings = list(WIDEBODY_FAMILIES) if rating == "WB" else ["A320", *rng.choice(([], [], ["B787"]))]
        else:
            ratings = [rating]
        member = CrewMember(
            crew_id=crew_id,
            rank=rank,
            rating=rating,
            base=base,
            location=location,
            available=self.t0 - timedelta(days=1),
            history=self.history(report, near_limit=rng.random() < 0.03),
            ratings=ratings,
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        )
        if location != base:
            offset = abs(self.net.utc_offset(location, report) - self.net.utc_offset(base, report))
            member.acclimatised = offset < 4
        self.crew.append(member)
        return member

    def _longest_rested(self, pools: _Pools, key: tuple[str, str, str], duty: Duty) -> CrewMember | None:
        """The member at the station available longest, not yet on a duty that day."""
        day = duty.legs[0].std.date()
        heap = pools.setdefault(key, [])
        stash: list[tuple[datetime, int, CrewMember]] = []
        member: CrewMember | None = None
        while heap and heap[0][0] <= duty.report:
            entry = heappop(heap)
            if day in entry[2].dates:
                stash.append(entry)
                continue
            member = entry[2]
            break
        for entry in stash:
            heappush(heap, entry)
        return member

    def _crew_for(self, duty: Duty, pools: _Pools) -> list[CrewMember]:
        first = duty.legs[0]
        station = first.origin
        ranks = complement(duty)
        sample = next((leg.number for leg in duty.legs if leg.number in SAMPLE_FLIGHTS), None)
        named = sample_crew_ids(sample, ranks) if first.std.date() == self.net.day and sample else []
        assigned: list[CrewMember] = []
        for i, rank in enumerate(ranks):
            rating = pool(first.type, rank)
            if named:
                assigned.append(self.hire(rank, rating, HUB, station, duty.report, crew_id=named[i]))
                continue
            member = self._longest_rested(pools, (rating, rank, station), duty)
            if member is None:
                member = self.hire(rank, rating, HUB, station, duty.report)
            assigned.append(member)
        return assigned

    def roster(self, tails: list[Tail]) -> None:
        """Assign crew to duties in report order: the longest-rested member at the station, else a new one."""
        pools: _Pools = {}
        seq = 0
        for duty in pairings(self.net, tails):
            assigned = self._crew_for(duty, pools)
            self._record_duty(duty, assigned)
            last = duty.legs[-1].dest
            for member in assigned:
                rest = max(12 * 60 if last == member.base else 10 * 60, duty.minutes)
                member.available = duty.end + timedelta(minutes=rest)
                member.location = last
                member.dates.append(duty.legs[0].std.date())
                seq += 1
                heappush(pools.setdefault((member.rating, member.rank, last), []), (member.available, seq, member))

    def _record_duty(self, duty: Duty, crew: list[CrewMember]) -> None:
        keys = [leg.key for leg in duty.legs]
        cockpit = [c.crew_id for c in crew if c.rank in ("CPT", "FO")]
        cabin = [c.crew_id for c in crew if c.rank in ("SCCM", "CC")]
        for leg in duty.legs:
            leg.cockpit, leg.cabin = cockpit, cabin
        override = {0: None, 1: 16 * 60, 2: 17 * 60}[duty.augmented]
        for member in crew:
            h = member.history
            _keep_under_limits(h, duty)
            record: dict[str, Any] = {
                "crew_id": member.crew_id,
                "duty_date": duty.legs[0].std.date(),
                "report_time_utc": duty.report,
                "report_station": duty.legs[0].origin,
                "planned_sectors": len(keys),
                "flight_keys": keys,
                "augmented": duty.augmented > 0,
                **{k: v for k, v in h.items()},
            }
            if override is not None:
                record["fdp_limit_override_minutes"] = override
            self.duty_records.append(record)
            _complete(h, duty)

    def near_limit_on_sample(self, legs: list[Leg]) -> None:
        """EY123's first officer is close to the 60 h / 7 days limit: a 3-hour delay breaks it."""
        leg = next(leg for leg in legs if leg.number == "EY123")
        fo = next(c for c in self.crew if c.crew_id in leg.cockpit and c.rank == "FO")
        for record in self.duty_records:
            if record["crew_id"] == fo.crew_id and record["duty_date"] == leg.std.date():
                report: datetime = record["report_time_utc"]
                planned = (leg.sta + timedelta(minutes=30) - report).total_seconds() / 3600
                record["duty_hours_7d"] = round(60 - planned - 1.5, 1)
                record["duty_hours_14d"] = max(record["duty_hours_14d"], record["duty_hours_7d"] + 12)
                record["duty_hours_28d"] = max(record["duty_hours_28d"], record["duty_hours_14d"] + 30)

    def reserves(self, legs: list[Leg]) -> None:
        """About 5% of crew on standby: most at the hub, a few at the outstation crew bases."""
        rng = self.net.rng
        demand: dict[tuple[str, str], int] = {}
        for c in self.crew:
            demand[(c.rating, c.rank)] = demand.get((c.rating, c.rank), 0) + 1
        wanted = round(len(self.crew) * 0.05 / 0.95)
        total = sum(demand.values())
        starts = [-2, 6, 14, 2, 10, 18, 22, 30]  # 12-hour standby shifts; the first three cover the day
        for rating, rank in sorted(demand):
            n = max(3, round(wanted * demand[(rating, rank)] / total))
            for i in range(n):
                start = self.t0 + timedelta(hours=starts[i % len(starts)] + rng.choice((0, 1)))
                self._reserve(rank, rating, HUB, start, start + timedelta(hours=12))
        types_at: dict[str, dict[str, AircraftType]] = {}
        for leg in legs:
            if leg.origin != HUB:
                types_at.setdefault(leg.origin, {}).setdefault(leg.type.family, leg.type)
        for base in ("FRA", "LHR", "BOM"):
            for family in sorted(types_at.get(base, {})):
                t = types_at[base][family]
                for rank in ("CPT", "FO", "SCCM", "CC", "CC"):
                    start = self.t0 + timedelta(hours=rng.choice((0, 4, 8)))
                    self._reserve(rank, pool(t, rank), base, start, start + timedelta(hours=14))

    def _reserve(self, rank: str, rating: str, base: str, start: datetime, end: datetime) -> None:
        member = self.hire(rank, rating, base, base, start)
        member.reserve = (start, end)
        day = start.date()
        while datetime.combine(day, time(0), tzinfo=UTC) < end:
            self.duty_records.append(
                {"crew_id": member.crew_id, "duty_date": day, "report_station": base, **member.history}
            )
            day += timedelta(days=1)

    def crew_records(self) -> list[dict[str, Any]]:
        crew = []
        for c in sorted(self.crew, key=lambda c: c.crew_id):
            record: dict[str, Any] = {
                "crew_id": c.crew_id,
                "name": c.name,
                "rank": c.rank,
                "base": c.base,
                "type_ratings": c.ratings,
                "acclimatised": c.acclimatised,
            }
            if c.reserve is not None:
                record.update(is_reserve=True, reserve_start_utc=c.reserve[0], reserve_end_utc=c.reserve[1])
            crew.append(record)
        return crew

    def duty_records_sorted(self) -> list[dict[str, Any]]:
        return sorted(self.duty_records, key=lambda d: (d["crew_id"], d["duty_date"]))
