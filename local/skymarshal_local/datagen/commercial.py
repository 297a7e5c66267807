"""The commercial load: segment bookings (cabins, party sizes, loyalty tiers, SSRs, revenue), hub connections
(the same PNR on both legs; some tight) and interline onward connections, then cargo with handling codes,
temperature classes and deadlines (and the sample flights' special shipments)."""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from skymarshal_local.datagen.network import Network
from skymarshal_local.datagen.records import Leg
from skymarshal_local.datagen.reference import (
    AWB_PREFIX,
    BEYOND,
    CARGO_KINDS,
    FARE_FACTOR,
    HUB,
    LOAD_FACTOR,
    PARTY,
    PNR_ALPHABET,
    SAMPLE_CARGO,
    SSR,
    TIERS,
)

T = TypeVar("T")
_CARGO_MIX = tuple((kind, kind.probability) for kind in CARGO_KINDS)
_CARGO_RATES = {kind.description: kind.revenue_per_kg for kind in CARGO_KINDS}


_CUMULATIVE: dict[int, tuple[tuple[Any, ...], list[float], Any]] = {}  # id(table) -> (values, cum weights, table)


def pick(rng: random.Random, table: tuple[tuple[T, float], ...]) -> T:
    """One value drawn from (value, weight) pairs (the cumulative weights of a table are summed once)."""
    known = _CUMULATIVE.get(id(table))
    if known is None or known[2] is not table:
        values, weights = tuple(v for v, _ in table), [p for _, p in table]
        known = _CUMULATIVE[id(table)] = (values, list(accumulate(weights)), table)
    values, cumulative, _ = known
    i = bisect_left(cumulative, rng.random() * cumulative[-1])
    return values[min(i, len(values) - 1)]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------
# Passengers
# --------------------------------------------------------------------------------------------------
@dataclass
class _Bookings:
    net: Network
    legs: list[Leg]
    pnrs: set[str] = field(default_factory=set)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    remaining: dict[int, dict[str, int]] = field(default_factory=dict)  # id(leg) -> seats left per cabin

    def pnr(self) -> str:
        rng = self.net.rng
        while True:
            pnr = "".join(rng.choices(PNR_ALPHABET, k=6))
            if pnr not in self.pnrs:
                self.pnrs.add(pnr)
                return pnr

    def book(self, leg: Leg, cabin: str, pax: int, pnr: str, extra: dict[str, Any]) -> None:
        fare = (60 + leg.distance * 0.075) * FARE_FACTOR[cabin] * self.net.rng.uniform(0.6, 1.5)
        self.bookings.append(
            {
                "pnr": pnr,
                "flight_key": leg.key,
                "pax_count": pax,
                "cabin": cabin,
                "revenue_eur": round(fare * pax, 2),
                **extra,
            }
        )

    def profile(self, cabin: str, pax: int) -> dict[str, Any]:
        rng = self.net.rng
        profile: dict[str, Any] = {}
        tier = pick(rng, TIERS[cabin])
        if tier != "none":
            profile["loyalty_tier"] = tier
        needs = [code for code, p in SSR if rng.random() < p and (code != "UMNR" or pax == 1)]
        if needs:
            profile["special_needs"] = needs[:2]
        return profile

    def plan_seats(self) -> None:
        """Seats sold per cabin on each leg: a load factor drawn per cabin (30% to 100%)."""
        rng = self.net.rng
        for leg in self.legs:
            seats: dict[str, int] = {}
            for cabin, n in leg.type.cabins:
                mean, sd = LOAD_FACTOR[cabin]
                seats[cabin] = round(n * min(1.0, max(0.3, rng.gauss(mean, sd))))
            self.remaining[id(leg)] = seats

    def connections(self) -> None:
        """Connections at the hub: the same PNR on the inbound and an onward flight 1 MCT to 8 h later."""
        rng = self.net.rng
        departures = [leg for leg in self.legs if leg.origin == HUB]
        dep_times = [leg.std for leg in departures]
        mct = self.net.airports[HUB].mct.same_terminal
        for leg in self.legs:
            if leg.dest != HUB:
                continue
            seats = self.remaining[id(leg)]
            lo = bisect_left(dep_times, leg.sta + timedelta(minutes=mct))
            hi = bisect_left(dep_times, leg.sta + timedelta(hours=8))
            onward_pool = [d for d in departures[lo:hi] if d.dest != leg.origin]
            for cabin in list(seats):
                budget = round(seats[cabin] * (0.7 if cabin in ("business", "first") else 0.6))
                tries = 0
                while budget > 0 and onward_pool and tries < 400:
                    tries += 1
                    pax = min(pick(rng, PARTY), budget)
                    onward = rng.choice(onward_pool)
                    onward_seats = self.remaining[id(onward)]
                    if onward_seats.get(cabin, 0) < pax:
                        continue
                    self._connect(leg, onward, cabin, pax)
                    seats[cabin] -= pax
                    onward_seats[cabin] -= pax
                    budget -= pax

    def _connect(self, leg: Leg, onward: Leg, cabin: str, pax: int) -> None:
        pnr = self.pnr()
        profile = self.profile(cabin, pax)
        connection = {
            "flight_number": onward.number,
            "flight_date": onward.std.date(),
            "destination": onward.dest,
            "departure_terminal": self.net.ports[HUB].terminal,
        }
        self.book(leg, cabin, pax, pnr, {**profile, "onward": connection})
        self.book(onward, cabin, pax, pnr, profile)

    def point_to_point(self) -> None:
        """Point-to-point passengers fill the rest; some travel on with another carrier beyond."""
        rng = self.net.rng
        for leg in self.legs:
            seats = self.remaining[id(leg)]
            beyond = BEYOND.get(leg.dest) if leg.origin == HUB else None
            for cabin in list(seats):
                while seats[cabin] > 0:
                    pax = min(pick(rng, PARTY), seats[cabin])
                    extra = self.profile(cabin, pax)
                    if beyond is not None and rng.random() < 0.05:
                        carrier, cities = beyond
                        number = f"{carrier}{rng.randrange(100, 9999)}"
                        std = leg.sta + timedelta(minutes=5 * rng.randrange(15, 60))
                        extra["onward"] = {
                            "flight_number": number,
                            "flight_date": std.date(),
                            "std_utc": std,
                            "destination": rng.choice(cities),
                        }
                    self.book(leg, cabin, pax, self.pnr(), extra)
                    seats[cabin] -= pax


def book_passengers(net: Network, legs: list[Leg]) -> list[dict[str, Any]]:
    """The bookings on every leg, sorted by flight and PNR; each leg's `pax` is set to its passengers."""
    plan = _Bookings(net, legs)
    plan.plan_seats()
    plan.connections()
    plan.point_to_point()
    pax_by_key: dict[str, int] = {}
    for b in plan.bookings:
        pax_by_key[b["flight_key"]] = pax_by_key.get(b["flight_key"], 0) + b["pax_count"]
    for leg in legs:
        leg.pax = pax_by_key.get(leg.key, 0)
    return sorted(plan.bookings, key=lambda b: (b["flight_key"], b["pnr"]))


# --------------------------------------------------------------------------------------------------
# Cargo
# --------------------------------------------------------------------------------------------------
def _shipment(
    rng: random.Random,
    leg: Leg,
    codes: tuple[str, ...],
    temp: str,
    desc: str,
    weight: float,
    rate: float,
    deadline_after: int | None,
) -> dict[str, Any]:
    serial = rng.randrange(1_000_000, 9_999_999)
    s: dict[str, Any] = {
        "awb": f"{AWB_PREFIX}-{serial}{serial % 7}",
        "flight_key": leg.key,
        "description": desc,
        "weight_kg": round(weight, 1),
        "revenue_eur": round(weight * rate * rng.uniform(0.8, 1.2), 2),
    }
    if codes:
        s["handling_codes"] = list(codes)
    if temp != "none":
        s["temperature_class"] = temp
        s["chain_exposure_minutes"] = 5 * rng.randrange(0, 9)
    if deadline_after is not None:
        s["delivery_deadline_utc"] = leg.sta + timedelta(minutes=deadline_after)
    return s


def _leg_cargo(rng: random.Random, leg: Leg) -> list[dict[str, Any]]:
    """1–5 shipments on a narrowbody, 6–22 on a widebody, from the cargo mix (no horses on a narrowbody)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(rng.randint(6, 22) if leg.type.widebody else rng.randint(1, 5)):
        kind = pick(rng, _CARGO_MIX)
        if not leg.type.widebody and "AVI" in kind.codes and kind.description == "Live horses":
            continue
        deadline = None
        if kind.codes:
            deadline = 5 * rng.randrange(24, 576)  # 2 h to 48 h after arrival
            if rng.random() < 0.15:
                deadline = 5 * rng.randrange(12, 48)  # tight: 1–4 h
        weight = rng.uniform(*kind.weight_kg)
        s = _shipment(rng, leg, kind.codes, kind.temperature, kind.description, weight, kind.revenue_per_kg, deadline)
        if s["awb"] not in seen:
            seen.add(s["awb"])
            out.append(s)
    return out


def load_cargo(rng: random.Random, day: date, legs: list[Leg]) -> list[dict[str, Any]]:
    """The cargo on every leg, plus the sample flights' special shipments on the day, sorted by flight and AWB."""
    cargo: list[dict[str, Any]] = []
    for leg in legs:
        cargo.extend(_leg_cargo(rng, leg))
        if leg.std.date() == day:
            for c in SAMPLE_CARGO.get(leg.number or "", ()):
                weight, rate = rng.uniform(20, 400), _CARGO_RATES.get(c.description, 30.0)
                cargo.append(
                    _shipment(rng, leg, c.codes, c.temperature, c.description, weight, rate, c.deadline_after_arrival)
                )
    return sorted(cargo, key=lambda s: (s["flight_key"], s["awb"]))
