"""The fleet: tails per type (the sample flights' B787-9s first, then the flying fleet, then the spares kept at
the hub), their hub-and-spoke rotations timed to the hub banks and the outstations' curfews, and their MEL
deferrals (open, expired, AOG)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from skymarshal_local.datagen.network import Network
from skymarshal_local.datagen.records import Leg, Tail, round5
from skymarshal_local.datagen.reference import (
    ARRIVAL_WINDOW,
    DEFERRABLE,
    HUB,
    NON_DEFERRABLE,
    SAMPLE_FLIGHTS,
    SAMPLE_TYPE,
    SPARES,
    TYPE_BY_CODE,
    TYPES,
    AircraftType,
)


# --------------------------------------------------------------------------------------------------
# Tails
# --------------------------------------------------------------------------------------------------
def _registrations() -> Callable[[AircraftType], str]:
    """Registrations per type, A6-<prefix><letter> (then A6-<prefix><nn>), skipping the sample flights' tails."""
    counters: dict[str, int] = {t.code: 0 for t in TYPES}
    taken = {tail for _, _, _, tail in SAMPLE_FLIGHTS.values()}

    def registration(t: AircraftType) -> str:
        while True:
            n = counters[t.code]
            counters[t.code] += 1
            prefix = t.prefixes[min(n // 26, len(t.prefixes) - 1)]
            reg = f"A6-{prefix}{chr(ord('A') + n % 26)}" if n < 26 * len(t.prefixes) else f"A6-{prefix}{n:02d}"
            if reg not in taken:
                return reg

    return registration


def build_fleet(net: Network, t0: datetime, scale: float) -> list[Tail]:
    """The sample flights' tails, the flying fleet (half at the hub, half at outstations) and the spares."""
    rng = net.rng
    registration = _registrations()
    tails: list[Tail] = []
    for number, (origin, dest, clock, reg) in SAMPLE_FLIGHTS.items():
        std = datetime.combine(net.day, clock, tzinfo=UTC)
        deferrals = "sample_aog" if number == "EY789" else "clean"
        tails.append(
            Tail(reg, TYPE_BY_CODE[SAMPLE_TYPE], origin, std, deferrals=deferrals, forced=[(dest, number, std)])
        )
    for t in TYPES:
        flying = max(1, round(t.fleet * scale))
        if t.code == SAMPLE_TYPE:
            flying = max(0, flying - len(SAMPLE_FLIGHTS))
        for _ in range(flying):
            reg = registration(t)
            if rng.random() < 0.5:
                station, ready = HUB, t0 + timedelta(minutes=rng.randrange(0, 6 * 60, 5))
            else:
                eligible = net.outstations_for(t)
                station = net.pick_destination(eligible) if eligible else HUB
                ready = t0 + timedelta(minutes=rng.randrange(0, 10 * 60, 5))
            tails.append(Tail(reg, t, station, ready))
    keep = max(3, round(len(SPARES) * scale))
    for code, status, deferrals in SPARES[:keep]:
        t = TYPE_BY_CODE[code]
        tails.append(Tail(registration(t), t, HUB, t0, status=status, deferrals=deferrals, spare=True))
    for tail in tails:
        if tail.deferrals == "clean" and not tail.forced and rng.random() < 0.15:
            tail.deferrals = "open"
    return tails


# --------------------------------------------------------------------------------------------------
# Rotations
# --------------------------------------------------------------------------------------------------
def _outbound(net: Network, tail: Tail, ready: datetime, t_end: datetime) -> Leg | None:
    """Out of the hub in one of the next banks, to a ranked destination reachable outside its curfew."""
    rng = net.rng
    order = net.ranked_destinations(net.outstations_for(tail.type))[:6]
    windows = net.hub_windows(ready)[:4]
    for candidate in order:
        block = net.block(HUB, candidate)
        for start, end in windows:
            earliest = max(round5(ready), start)
            if earliest > end:
                continue
            span = int((end - earliest).total_seconds() // 300)
            std = earliest + timedelta(minutes=5 * int(span * rng.random() ** 2))
            if std >= t_end:
                return None
            if not net.in_curfew(candidate, std + block):
                return net.leg(tail, HUB, candidate, std)
    return None


def _inbound(net: Network, tail: Tail, origin: str, ready: datetime) -> Leg:
    """Back to the hub once the outstation's curfew allows, into an arrival bank if that waits at most 2 h."""
    rng = net.rng
    block = net.block(origin, HUB)
    std = round5(ready)
    for _ in range(72):
        if not net.in_curfew(origin, std):
            break
        std += timedelta(minutes=15)
    sta = std + block
    for start, _ in net.hub_windows(sta - timedelta(hours=6)):
        arrive_from = start - timedelta(minutes=ARRIVAL_WINDOW[0])
        arrive_to = start - timedelta(minutes=ARRIVAL_WINDOW[1])
        if sta > arrive_to:
            continue
        if sta < arrive_from:
            shift = arrive_from - sta + timedelta(minutes=5 * rng.randrange(0, 12))
            moved = std + shift
            if shift <= timedelta(hours=2) and not net.in_curfew(origin, moved):
                std = moved
        break
    return Leg(origin, HUB, std, std + block, tail.tail, tail.type, net.distances[(origin, HUB)])


def _turn(rng: random.Random, t: AircraftType, leg: Leg) -> timedelta:
    at_hub = leg.dest == HUB
    if not t.widebody:
        minutes = 45 if at_hub else 50
    elif leg.block >= 8 * 60:
        minutes = 120 if at_hub else 150
    else:
        minutes = 90 if at_hub else 100
    return timedelta(minutes=minutes + 5 * rng.randrange(0, 7))


def fly_rotations(net: Network, tails: list[Tail], t_end: datetime) -> list[Leg]:
    """Each flying tail's legs until the horizon: its forced (sample) legs, then out of and back to the hub."""
    legs: list[Leg] = []
    for tail in tails:
        if tail.spare:
            continue
        loc, ready = tail.station, tail.ready
        forced = list(tail.forced)
        while True:
            number: str | None = None
            if forced:
                dest, number, std = forced.pop(0)
                leg: Leg | None = net.leg(tail, loc, dest, std)
            elif loc == HUB:
                leg = _outbound(net, tail, ready, t_end)
            else:
                leg = _inbound(net, tail, loc, ready)
            if leg is None or leg.std >= t_end:
                break
            leg.number = number
            tail.legs.append(leg)
            loc, ready = leg.dest, leg.sta + _turn(net.rng, tail.type, leg)
        legs.extend(tail.legs)
    return legs


# --------------------------------------------------------------------------------------------------
# MEL deferrals and the aircraft records
# --------------------------------------------------------------------------------------------------
def _deferral(rng: random.Random, day: date, tail: Tail, expired: bool, n: int) -> dict[str, Any]:
    mel = rng.choice(DEFERRABLE)
    interval = {"A": mel.category_a_interval_days or 1, "B": 3, "C": 10, "D": 120}[mel.category]
    if expired:
        found = day - timedelta(days=interval + rng.randint(1, 4))
    else:
        found = day - timedelta(days=rng.randint(0, max(0, interval - 1)))
    d: dict[str, Any] = {
        "defect_id": f"{tail.tail.replace('-', '')}-D{n}",
        "description": mel.description,
        "mel_item": mel.item,
        "mel_category": mel.category,
        "discovered_on": found,
    }
    if mel.category == "A":
        d["category_a_interval_days"] = interval
    return d


def _aog_defect(tail: Tail, day: date) -> dict[str, Any]:
    if tail.deferrals == "sample_aog":  # the EY789 scenario: found expired on the day
        return {
            "defect_id": "D-BLC-1",
            "description": "Cabin pressure controller channel B inoperative",
            "mel_item": "21-31-01",
            "mel_category": "B",
            "discovered_on": day - timedelta(days=5),
            "estimated_rectification_minutes": 600,
        }
    return {
        "defect_id": f"{tail.tail.replace('-', '')}-D1",
        "description": NON_DEFERRABLE[1],
        "mel_item": NON_DEFERRABLE[0],
        "discovered_on": day - timedelta(days=1),
        "estimated_rectification_minutes": 600,
    }


def defects(rng: random.Random, day: date, tail: Tail) -> list[dict[str, Any]]:
    """A tail's defect history: sometimes a rectified one, then what its deferral state says."""
    out: list[dict[str, Any]] = []
    if rng.random() < 0.3:
        old = _deferral(rng, day, tail, False, 0)
        old.update(rectified=True, discovered_on=day - timedelta(days=rng.randint(15, 60)))
        out.append(old)
    if tail.deferrals == "open":
        out.extend(_deferral(rng, day, tail, False, i + 1) for i in range(rng.choice((1, 1, 2))))
    elif tail.deferrals == "expired":
        out.append(_deferral(rng, day, tail, True, 1))
    elif tail.deferrals in ("sample_aog", "aog"):
        out.append(_aog_defect(tail, day))
    return out


def aircraft_records(rng: random.Random, day: date, tails: list[Tail]) -> list[dict[str, Any]]:
    return [
        {
            "tail": tail.tail,
            "type_code": tail.type.code,
            "seats": tail.type.seats,
            "home_base": HUB,
            "station": tail.legs[0].origin if tail.legs else tail.station,
            "status": tail.status,
            "defects": defects(rng, day, tail),
        }
        for tail in sorted(tails, key=lambda t: t.tail)
    ]


def aircraft_type_records(tails: list[Tail]) -> list[dict[str, Any]]:
    """The types flown or held (in the reference order)."""
    return [
        {"type_code": t.code, "family": t.family, "seats": t.seats, "range_km": t.range_km}
        for t in TYPES
        if any(tail.type is t for tail in tails)
    ]
