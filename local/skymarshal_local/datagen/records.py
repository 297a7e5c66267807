"""Working records the generators hand to each other (legs, tails, crew members, duties) before the day is
written out as an `OpsDataset`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from skymarshal.domain.operation import flight_key
from skymarshal_local.datagen.reference import AircraftType


@dataclass
class Leg:
    origin: str
    dest: str
    std: datetime
    sta: datetime
    tail: str
    type: AircraftType
    distance: float
    number: str | None = None
    cockpit: list[str] = field(default_factory=list)
    cabin: list[str] = field(default_factory=list)
    pax: int = 0

    @property
    def block(self) -> int:
        return int((self.sta - self.std).total_seconds() // 60)

    @property
    def key(self) -> str:
        assert self.number is not None
        return flight_key(self.number, self.std.date())


@dataclass
class Tail:
    tail: str
    type: AircraftType
    station: str
    ready: datetime
    status: str = "available"
    deferrals: str = "clean"  # clean | open | expired | aog | sample_aog
    forced: list[tuple[str, str, datetime]] = field(default_factory=list)  # (destination, number, std)
    spare: bool = False  # kept on the ground at the hub (swap candidate, hangar or AOG)
    legs: list[Leg] = field(default_factory=list)


@dataclass
class CrewMember:
    crew_id: str
    rank: str
    rating: str
    base: str
    location: str
    available: datetime
    history: dict[str, Any]
    dates: list[date] = field(default_factory=list)
    acclimatised: bool = True
    reserve: tuple[datetime, datetime] | None = None
    ratings: list[str] = field(default_factory=list)
    name: str = ""


@dataclass
class Duty:
    legs: list[Leg]
    augmented: int  # extra pilots (0, 1 or 2)
    report: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.report).total_seconds() // 60)

    @property
    def block_minutes(self) -> int:
        return sum(leg.block for leg in self.legs)


def round5(moment: datetime, up: bool = True) -> datetime:
    extra = (moment.minute % 5) * 60 + moment.second + moment.microsecond / 1e6
    if extra == 0:
        return moment
    base = moment - timedelta(seconds=extra)
    return base + timedelta(minutes=5) if up else base
