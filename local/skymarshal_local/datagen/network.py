"""The network: the airports served (the hub and a demand-weighted draw of outstations), the routes between
them (great-circle distances, block times, which type may fly where), the hub's banks and the flight numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from skymarshal.domain.curfew import in_curfew
from skymarshal.domain.eu261 import great_circle_km
from skymarshal.domain.operation import Airport, MinimumConnectionTimes
from skymarshal_local.datagen.records import Leg, Tail
from skymarshal_local.datagen.reference import (
    AIRLINE,
    BANK_MINUTES,
    BANKS_LOCAL,
    CURFEW_BUFFER_MINUTES,
    HUB,
    HUB_PORT,
    MCT_PRESETS,
    OUTSTATIONS,
    RESERVED_NUMBERS,
    SAMPLE_FLIGHTS,
    AircraftType,
    Port,
)


@dataclass
class Network:
    day: date
    rng: random.Random
    ports: dict[str, Port] = field(default_factory=dict)
    airports: dict[str, Airport] = field(default_factory=dict)
    distances: dict[tuple[str, str], float] = field(default_factory=dict)
    frequency: dict[str, int] = field(default_factory=dict)  # departures from the hub so far

    def add(self, port: Port, mct: tuple[int, int, int]) -> None:
        self.ports[port.iata] = port
        self.airports[port.iata] = Airport(
            iata=port.iata,
            icao=port.icao,
            name=port.name,
            country=port.country,
            timezone=port.timezone,
            curfew_start_local=port.curfew[0] if port.curfew else None,
            curfew_end_local=port.curfew[1] if port.curfew else None,
            mct=MinimumConnectionTimes(same_terminal=mct[0], international=mct[1], terminal_change=mct[2]),
            slot_coordinated=port.slot,
            is_eu=port.eu,
            lat=port.lat,
            lon=port.lon,
        )
        self.frequency[port.iata] = 0

    def block(self, origin: str, dest: str) -> timedelta:
        """Block time: 30 min taxi/climb allowance, cruise faster on long sectors (12–15 km/min), and a
        prevailing-wind factor (westerlies): AUH–FRA 6h40, AUH–LHR 7h25, AUH–SYD 13h30, SYD–AUH 14h25."""
        d = self.distances[(origin, dest)]
        eastbound = self.ports[dest].lon > self.ports[origin].lon
        minutes = (30 + d / (12.0 + min(d, 9000) / 3000)) * (0.97 if eastbound else 1.04)
        return timedelta(minutes=5 * round(minutes / 5))

    def eligible(self, t: AircraftType, iata: str) -> bool:
        d = self.distances[(HUB, iata)]
        return t.min_km <= d <= min(t.max_km, t.range_km * 0.9)

    def outstations_for(self, t: AircraftType) -> list[str]:
        return [p for p in self.ports if p != HUB and self.eligible(t, p)]

    def in_curfew(self, iata: str, moment: datetime) -> bool:
        return in_curfew(self.airports[iata], moment, CURFEW_BUFFER_MINUTES)

    def ranked_destinations(self, candidates: list[str]) -> list[str]:
        """Weighted random order (Efraimidis–Spirakis): demand, fewer flights so far, shorter sectors."""
        rng = self.rng
        keyed = []
        for iata in candidates:
            d = self.distances[(HUB, iata)]
            w = self.ports[iata].weight / (1 + self.frequency[iata]) / (1 + d / 2500)
            keyed.append((rng.random() ** (1 / w), iata))
        keyed.sort(reverse=True)
        return [iata for _, iata in keyed]

    def pick_destination(self, candidates: list[str]) -> str:
        return self.ranked_destinations(candidates)[0]

    def leg(self, tail: Tail, origin: str, dest: str, std: datetime) -> Leg:
        if origin == HUB:
            self.frequency[dest] += 1
        sta = std + self.block(origin, dest)
        return Leg(origin, dest, std, sta, tail.tail, tail.type, self.distances[(origin, dest)])

    def hub_windows(self, after: datetime) -> list[tuple[datetime, datetime]]:
        """The hub's departure banks (UTC start, end) that end at or after `after`, from the day before on."""
        tz = ZoneInfo(self.ports[HUB].timezone)
        out = []
        for offset in range(-1, 4):
            d = self.day + timedelta(days=offset)
            for bank in BANKS_LOCAL:
                start = datetime.combine(d, bank, tzinfo=tz).astimezone(UTC)
                end = start + timedelta(minutes=BANK_MINUTES)
                if end >= after:
                    out.append((start, end))
        return sorted(out)

    def utc_offset(self, iata: str, moment: datetime) -> float:
        off = moment.astimezone(ZoneInfo(self.ports[iata].timezone)).utcoffset()
        return 0.0 if off is None else off.total_seconds() / 3600


def build_network(day: date, rng: random.Random, scale: float) -> Network:
    """The hub, the sample flights' outstations and a demand-weighted draw of the others (at least 8)."""
    required = sorted({p for o, d, _, _ in SAMPLE_FLIGHTS.values() for p in (o, d)} - {HUB})
    others = [p for p in OUTSTATIONS if p.iata not in required]
    wanted = max(8, round(len(OUTSTATIONS) * scale))
    keyed = sorted(others, key=lambda p: -(rng.random() ** (1 / p.weight)))
    chosen = [p for p in OUTSTATIONS if p.iata in required] + keyed[: max(0, wanted - len(required))]
    ports = [HUB_PORT, *sorted(chosen, key=lambda p: p.iata)]
    network = Network(day, rng)
    for p in ports:
        network.add(p, (60, 90, 120) if p.iata == HUB else MCT_PRESETS[rng.choice((0, 1, 1, 1, 2))])
    for p in ports[1:]:
        d = round(great_circle_km(HUB_PORT.lat, HUB_PORT.lon, p.lat, p.lon), 1)
        network.distances[(HUB, p.iata)] = network.distances[(p.iata, HUB)] = d
    return network


def number_flights(legs: list[Leg]) -> None:
    """Flight numbers: a block of 20 per route (odd out of the hub, even back), in departure order; then the
    legs are sorted by departure."""
    index = {p.iata: i for i, p in enumerate(OUTSTATIONS)}
    used: dict[date, set[int]] = {}
    for leg in legs:
        if leg.number is not None:
            used.setdefault(leg.std.date(), set()).add(int(leg.number[2:]))
    ordinal: dict[tuple[date, str, str], int] = {}
    spill = 7000
    for leg in sorted(legs, key=lambda leg: (leg.std, leg.origin, leg.dest)):
        if leg.number is not None:
            continue
        day = leg.std.date()
        taken = used.setdefault(day, set())
        k = ordinal.get((day, leg.origin, leg.dest), 0)
        ordinal[(day, leg.origin, leg.dest)] = k + 1
        outbound = leg.origin == HUB
        base = 100 + 20 * index[leg.dest if outbound else leg.origin]
        number = base + 2 * k + (1 if outbound else 2)
        if k >= 10 or number in taken or number in RESERVED_NUMBERS:
            while spill in taken:
                spill += 1
            number = spill
        taken.add(number)
        leg.number = f"{AIRLINE}{number}"
    legs.sort(key=lambda leg: (leg.std, leg.number or ""))
