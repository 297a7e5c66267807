"""The orchestrator: one seeded `random.Random` drawn in a fixed order through the network, the fleet and its
rotations, the crew roster, the bookings and the cargo, then the import document as an `OpsDataset`."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from typing import Any

from skymarshal.domain.operation import CostParameters, OpsDataset
from skymarshal_local.collector import collector_paused
from skymarshal_local.datagen.commercial import book_passengers, load_cargo
from skymarshal_local.datagen.crew import Roster
from skymarshal_local.datagen.fleet import aircraft_records, aircraft_type_records, build_fleet, fly_rotations
from skymarshal_local.datagen.network import Network, build_network, number_flights
from skymarshal_local.datagen.records import Leg
from skymarshal_local.datagen.reference import AIRLINE, DEFAULT_DAY, HORIZON


def _flight_records(net: Network, legs: list[Leg]) -> list[dict[str, Any]]:
    return [
        {
            "flight_number": leg.number,
            "flight_date": leg.std.date(),
            "origin": leg.origin,
            "destination": leg.dest,
            "std_utc": leg.std,
            "sta_utc": leg.sta,
            "tail": leg.tail,
            "distance_km": leg.distance,
            "booked_pax": leg.pax,
            "capacity": leg.type.seats,
            "departure_terminal": net.ports[leg.origin].terminal,
            "arrival_terminal": net.ports[leg.dest].terminal,
            "cockpit_crew": leg.cockpit,
            "cabin_crew": leg.cabin,
        }
        for leg in legs
    ]


def generate_day(day: date = DEFAULT_DAY, seed: int = 7, scale: float = 1.0) -> OpsDataset:
    """A deterministic hub airline day (same arguments, same dataset, byte for byte). See the package doc.

    The steps draw from one random stream in this order; reordering them changes the day."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    with collector_paused():  # ~165,000 long-lived records: the collector only rescanned them
        rng = random.Random(seed * 1_000_003 + day.toordinal())
        t0 = datetime.combine(day, time(0), tzinfo=UTC)
        net = build_network(day, rng, scale)
        tails = build_fleet(net, t0, scale)
        legs = fly_rotations(net, tails, t0 + HORIZON)
        number_flights(legs)
        roster = Roster(net, t0)
        roster.roster(tails)
        roster.near_limit_on_sample(legs)
        roster.reserves(legs)
        bookings = book_passengers(net, legs)
        cargo = load_cargo(rng, day, legs)
        document = {
            "generated_at": t0,
            "airline": AIRLINE,
            "airports": [a.model_dump() for a in net.airports.values()],
            "aircraft_types": aircraft_type_records(tails),
            "aircraft": aircraft_records(rng, day, tails),  # draws the MEL history: after the cargo
            "flights": _flight_records(net, legs),
            "crew": roster.crew_records(),
            "duties": roster.duty_records_sorted(),
            "bookings": bookings,
            "cargo": cargo,
            "cost_parameters": CostParameters().model_dump(),
        }
        return OpsDataset.model_validate(document)


def summary(ds: OpsDataset) -> dict[str, int]:
    """Record counts per collection (for logs, `skymarshal seed` and the benchmarks)."""
    return {
        "airports": len(ds.airports),
        "aircraft": len(ds.aircraft),
        "flights": len(ds.flights),
        "crew": len(ds.crew),
        "reserves": sum(1 for c in ds.crew if c.is_reserve),
        "duties": len(ds.duties),
        "bookings": len(ds.bookings),
        "passengers": sum(b.pax_count for b in ds.bookings),
        "cargo": len(ds.cargo),
    }
