"""Writes the hand-made scenario datasets and their events (deterministic; run from the repo root).

    PYTHONPATH=functions python data/scenarios/build_scenarios.py

Each `<stem>.json` is a valid OpsDataset (validated before it is written) and `<stem>.event.json` the matching
DisruptionEvent. Every number that makes a scenario interesting is chosen here on purpose and explained
inline.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from skymarshal.domain.operation import OpsDataset
from skymarshal.models import DisruptionEvent

HERE = Path(__file__).resolve().parent
DAY = "2026-12-01"

AIRPORTS: dict[str, dict[str, Any]] = {
    "AUH": dict(icao="OMAA", name="Abu Dhabi", country="AE", timezone="Asia/Dubai", lat=24.4330, lon=54.6511),
    "BAH": dict(icao="OBBI", name="Bahrain", country="BH", timezone="Asia/Bahrain", lat=26.2708, lon=50.6336),
    "FRA": dict(
        icao="EDDF",
        name="Frankfurt",
        country="DE",
        timezone="Europe/Berlin",
        lat=50.0379,
        lon=8.5622,
        curfew_start_local="23:00",
        curfew_end_local="05:00",
        slot_coordinated=True,
        is_eu=True,
    ),
    "LHR": dict(
        icao="EGLL",
        name="London Heathrow",
        country="GB",
        timezone="Europe/London",
        lat=51.4700,
        lon=-0.4543,
        slot_coordinated=True,
        is_eu=True,  # UK261 mirrors EU261
    ),
    "SYD": dict(
        icao="YSSY",
        name="Sydney",
        country="AU",
        timezone="Australia/Sydney",
        lat=-33.9399,
        lon=151.1753,
        curfew_start_local="23:00",
        curfew_end_local="06:00",
        slot_coordinated=True,
    ),
    "ZRH": dict(
        icao="LSZH",
        name="Zurich",
        country="CH",
        timezone="Europe/Zurich",
        lat=47.4647,
        lon=8.5492,
        curfew_start_local="23:30",
        curfew_end_local="06:00",
        slot_coordinated=True,
        is_eu=True,
    ),
}
TYPES = [
    {"type_code": "B789", "family": "B787", "seats": 299, "range_km": 14000},
    {"type_code": "A320", "family": "A320", "seats": 174, "range_km": 6100},
]


def km(a: str, b: str) -> float:
    p, q = AIRPORTS[a], AIRPORTS[b]
    la1, la2 = math.radians(p["lat"]), math.radians(q["lat"])
    dl = math.radians(q["lon"] - p["lon"])
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dl / 2) ** 2
    return round(2 * 6371.0088 * math.asin(math.sqrt(h)), 1)


def z(s: str) -> str:
    return s if s.endswith("Z") else s + "Z"


def airport(iata: str) -> dict[str, Any]:
    return {"iata": iata, **AIRPORTS[iata]}


def flight(
    number: str,
    origin: str,
    dest: str,
    std: str,
    sta: str,
    tail: str | None,
    pax: int,
    cockpit: list[str] | None = None,
    cabin: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "flight_number": number,
        "flight_date": std[:10],
        "origin": origin,
        "destination": dest,
        "std_utc": z(std),
        "sta_utc": z(sta),
        "tail": tail,
        "distance_km": km(origin, dest),
        "booked_pax": pax,
        "cockpit_crew": cockpit or [],
        "cabin_crew": cabin or [],
    }


def aircraft(
    tail: str,
    station: str,
    defects: list[dict[str, Any]] | None = None,
    seats: int = 299,
    type_code: str = "B789",
    status: str = "available",
) -> dict[str, Any]:
    return {
        "tail": tail,
        "type_code": type_code,
        "seats": seats,
        "home_base": "AUH",
        "station": station,
        "status": status,
        "defects": defects or [],
    }


def crew(
    cid: str, rank: str, ratings: list[str], reserve: bool = False, until: str = "14:00"
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "crew_id": cid,
        "name": f"Crew {cid}",
        "rank": rank,
        "base": "AUH",
        "type_ratings": ratings if rank in ("CPT", "FO") else [],
    }
    if reserve:
        out |= {
            "is_reserve": True,
            "reserve_start_utc": f"{DAY}T00:00:00Z",
            "reserve_end_utc": f"{DAY}T{until}:00Z",
        }
    return out


def duty(
    cid: str,
    report: str | None,
    keys: list[str],
    *,
    hours7: float = 30,
    last_end: str = "2026-11-30T06:00",
    last_minutes: int = 600,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "crew_id": cid,
        "duty_date": DAY,
        "report_time_utc": z(report) if report else None,
        "report_station": "AUH",
        "planned_sectors": len(keys),
        "flight_keys": keys,
        "duty_hours_7d": hours7,
        "duty_hours_14d": hours7 * 1.8,
        "duty_hours_28d": hours7 * 3.2,
        "flight_hours_28d": 70,
        "flight_hours_calendar_year": 780,
        "flight_hours_12m": 850,
        "last_duty_end_utc": z(last_end),
        "last_duty_minutes": last_minutes,
        **extra,
    }


def bulk_bookings(key: str, prefix: str, pax: int, fare: float, start: int = 1) -> list[dict[str, Any]]:
    """Non-connecting bookings of 1-4 pax (cabin, tier and special needs cycle deterministically)."""
    out = []
    tiers = ["none", "none", "silver", "none", "gold", "none", "none", "platinum"]
    cabins = ["economy"] * 7 + ["business"]
    needs = {5: ["WCHR"], 17: ["MEDA"], 29: ["WCHR"]}
    i = start
    while pax > 0:
        n = min(pax, 1 + (i % 4))
        cabin = cabins[i % len(cabins)]
        out.append(
            {
                "pnr": f"{prefix}{i:03d}",
                "flight_key": key,
                "pax_count": n,
                "cabin": cabin,
                "loyalty_tier": tiers[i % len(tiers)],
                "special_needs": needs.get(i, []),
                "revenue_eur": round(n * fare * (3.5 if cabin == "business" else 1.0), 2),
            }
        )
        pax -= n
        i += 1
    return out


def connecting(
    pnr: str,
    key: str,
    pax: int,
    onward: str,
    onward_date: str,
    std: str,
    dest: str,
    fare: float,
    tier: str = "none",
    needs: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "pnr": pnr,
        "flight_key": key,
        "pax_count": pax,
        "cabin": "economy",
        "loyalty_tier": tier,
        "special_needs": needs or [],
        "revenue_eur": pax * fare,
        "onward": {
            "flight_number": onward,
            "flight_date": onward_date,
            "std_utc": z(std),
            "destination": dest,
        },
    }


def dataset(airports: list[str], **parts: Any) -> dict[str, Any]:
    doc = {
        "schema_version": "1",
        "generated_at": "2026-11-30T18:00:00Z",
        "airline": "SkyMarshal Demo Air (EY)",
        "airports": [airport(a) for a in airports],
        "aircraft_types": TYPES,
        **parts,
    }
    OpsDataset.model_validate(doc)  # refuse to write an invalid scenario
    return doc


def cabin_ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{chr(ord('A') + i)}" for i in range(n)]


# --------------------------------------------------------------------------------------------------
def ey123() -> tuple[dict[str, Any], dict[str, Any]]:
    """Technical delay 180 min. The crew reported 01:30Z (05:30 local) and fly AUH-BAH-AUH before EY123:
    three sectors from the 05:30-05:44 band allow 12:00; planned FDP 11:20; +180 min = 14:20, beyond even
    discretion (14:00). A swap to a spare B787 departs 25 min late (FDP 11:45: legal) but misses two tight
    connections at FRA. Reserves at AUH can take the 180-min delay."""
    key = f"EY123/{DAY}"
    ck, cb = ["C123A", "F123A"], ["S123A", *cabin_ids("CC123", 4)]
    flights = [
        flight("EY101", "AUH", "BAH", f"{DAY}T02:30", f"{DAY}T03:40", "A6-BLA", 180, ck, cb),
        flight("EY102", "BAH", "AUH", f"{DAY}T04:30", f"{DAY}T05:40", "A6-BLA", 170, ck, cb),
        flight("EY123", "AUH", "FRA", f"{DAY}T06:20", f"{DAY}T12:50", "A6-BLA", 230, ck, cb),
        flight("EY124", "FRA", "AUH", f"{DAY}T14:30", f"{DAY}T20:30", "A6-BLA", 240),
        flight("EY125", "AUH", "FRA", f"{DAY}T15:00", f"{DAY}T21:30", "A6-BLF", 250),
        flight("EY123", "AUH", "FRA", "2026-12-02T06:20", "2026-12-02T12:50", "A6-BLF", 200),
        flight("EY131", "AUH", "BAH", f"{DAY}T20:00", f"{DAY}T21:10", "A6-BLB", 120),  # displaced by a swap
    ]
    keys = [f"EY101/{DAY}", f"EY102/{DAY}", key]
    reserves = ["RC-CPT1", "RC-FO1", "RC-SCCM1", "RC-CC1", "RC-CC2", "RC-CC3", "RC-CC4"]
    ranks = ["CPT", "FO", "SCCM", "CC", "CC", "CC", "CC"]
    bookings = [
        # Tight connections at FRA (international MCT 90): made on time, missed by a 25-minute swap delay.
        connecting("TGT001", key, 3, "LH900", DAY, f"{DAY}T14:25", "LHR", 520),
        connecting("TGT002", key, 2, "LH1234", DAY, f"{DAY}T14:40", "LHR", 540, tier="gold"),
        # Comfortable connections, missed only by the 3-hour delay.
        connecting("CNX003", key, 4, "LH400", DAY, f"{DAY}T16:30", "LHR", 610),
        connecting("CNX004", key, 1, "LH1010", DAY, f"{DAY}T17:30", "LHR", 480, needs=["UMNR"]),
        *bulk_bookings(key, "F23", 220, 450),
    ]
    cargo = [
        {
            "awb": "607-12300011",
            "flight_key": key,
            "description": "fresh fish",
            "handling_codes": ["PER"],
            "temperature_class": "REF",
            "chain_exposure_minutes": 30,
            "weight_kg": 1200,
            "revenue_eur": 4800,
        },
        {
            "awb": "607-12300022",
            "flight_key": key,
            "description": "machine parts",
            "weight_kg": 3400,
            "revenue_eur": 6100,
        },
    ]
    data = dataset(
        ["AUH", "BAH", "FRA", "LHR"],
        aircraft=[
            aircraft("A6-BLA", "AUH"),
            aircraft("A6-BLB", "AUH"),
            aircraft("A6-BLF", "AUH"),
            aircraft(
                "A6-BLG",
                "AUH",
                defects=[
                    {
                        "defect_id": "D-BLG-1",
                        "description": "one lavatory inoperative",
                        "mel_item": "38-10-01",
                        "mel_category": "C",
                        "discovered_on": "2026-11-28",
                    }
                ],
            ),
        ],
        flights=flights,
        crew=[
            *(
                crew(c, r, ["B787"])
                for c, r in zip([*ck, *cb], ["CPT", "FO", "SCCM", "CC", "CC", "CC", "CC"], strict=True)
            ),
            *(crew(c, r, ["B787"], reserve=True) for c, r in zip(reserves, ranks, strict=True)),
        ],
        duties=[
            *(duty(c, f"{DAY}T01:30", keys) for c in [*ck, *cb]),
            *(duty(c, None, [], hours7=20) for c in reserves),
        ],
        bookings=bookings,
        cargo=cargo,
    )
    event = {
        "event_id": "ey123-technical-delay",
        "flight_number": "EY123",
        "flight_date": DAY,
        "disruption_type": "technical",
        "delay_minutes": 180,
        "cause": "hydraulic leak on the left main landing gear found at pre-flight",
        "reported_at": f"{DAY}T05:45:00Z",
        "station": "AUH",
        "affected_crew_ids": [],
    }
    return data, event


def ey456() -> tuple[dict[str, Any], dict[str, Any]]:
    """Captain C456A calls in sick 80 min before departure. Reserves at AUH: RC-CPT-A holds only an A320
    rating (unusable on the B787), RC-CPT-B is rated; call-out (90 min) + sign-on (60 min) put the departure
    70 min late, which loses the LHR slot (15 min tolerance) but stays far below the EU261 thresholds."""
    key = f"EY456/{DAY}"
    ck, cb = ["C456A", "F456A"], ["S456A", *cabin_ids("CC456", 4)]
    flights = [
        flight("EY456", "AUH", "LHR", f"{DAY}T03:00", f"{DAY}T10:30", "A6-BLH", 250, ck, cb),
        flight("EY457", "LHR", "AUH", f"{DAY}T12:30", f"{DAY}T19:30", "A6-BLH", 260),
        flight("EY452", "AUH", "LHR", f"{DAY}T09:40", f"{DAY}T17:10", "A6-BLJ", 270),
    ]
    reserves = [("RC-CPT-A", "CPT", ["A320"]), ("RC-CPT-B", "CPT", ["B787"]), ("RC-FO-A", "FO", ["B787"])]
    data = dataset(
        ["AUH", "LHR"],
        aircraft=[aircraft("A6-BLH", "AUH"), aircraft("A6-BLJ", "AUH")],
        flights=flights,
        crew=[
            *(
                crew(c, r, ["B787"])
                for c, r in zip([*ck, *cb], ["CPT", "FO", "SCCM", "CC", "CC", "CC", "CC"], strict=True)
            ),
            *(crew(c, r, ratings, reserve=True) for c, r, ratings in reserves),
        ],
        duties=[
            *(duty(c, f"{DAY}T02:00", [key]) for c in [*ck, *cb]),
            *(duty(c, None, [], hours7=18) for c, _, _ in reserves),
        ],
        bookings=[
            connecting("LON001", key, 2, "BA117", DAY, f"{DAY}T13:10", "LHR", 700, tier="platinum"),
            connecting("LON002", key, 3, "BA306", DAY, f"{DAY}T12:05", "LHR", 380),
            *bulk_bookings(key, "L56", 245, 520),
        ],
        cargo=[
            {
                "awb": "607-45600011",
                "flight_key": key,
                "description": "mail",
                "weight_kg": 900,
                "revenue_eur": 1500,
            }
        ],
    )
    event = {
        "event_id": "ey456-crew-sickness",
        "flight_number": "EY456",
        "flight_date": DAY,
        "disruption_type": "crew_sickness",
        "delay_minutes": 60,
        "cause": "captain reported sick before sign-on",
        "reported_at": f"{DAY}T01:40:00Z",
        "station": "AUH",
        "affected_crew_ids": ["C456A"],
    }
    return data, event


def ey789() -> tuple[dict[str, Any], dict[str, Any]]:
    """A6-BLC's category B deferral (discovered 26 Nov, valid to 29 Nov) has expired: AOG; rectification takes
    10 h, so flying EY789 on it lands in the Sydney curfew and breaks the crew's augmented FDP. Swap candidate
    A6-BLD has an expired category C deferral (18 Nov -> 28 Nov); A6-BLE is serviceable. Pharma (PIL/COL) and
    live animals (AVI) are aboard."""
    key = f"EY789/{DAY}"
    ck = ["C789A", "C789B", "F789A", "F789B"]
    cb = ["S789A", *cabin_ids("CC789", 6)]
    flights = [
        flight("EY789", "AUH", "SYD", f"{DAY}T17:40", "2026-12-02T07:10", "A6-BLC", 270, ck, cb),
        flight("EY790", "SYD", "AUH", "2026-12-02T10:30", "2026-12-03T00:30", "A6-BLC", 260),
        flight("EY451", "AUH", "SYD", "2026-12-02T08:00", "2026-12-02T21:30", "A6-BLM", 250),
        flight("EY789", "AUH", "SYD", "2026-12-02T17:40", "2026-12-03T07:10", "A6-BLN", 265),
    ]
    data = dataset(
        ["AUH", "SYD"],
        aircraft=[
            aircraft(
                "A6-BLC",
                "AUH",
                defects=[
                    {
                        "defect_id": "D-BLC-1",
                        "description": "cabin pressure controller channel B inoperative",
                        "mel_item": "21-31-01",
                        "mel_category": "B",
                        "discovered_on": "2026-11-26",
                        "estimated_rectification_minutes": 600,
                    }
                ],
            ),
            aircraft(
                "A6-BLD",
                "AUH",
                defects=[
                    {
                        "defect_id": "D-BLD-1",
                        "description": "weather radar auto-tilt inoperative",
                        "mel_item": "34-41-02",
                        "mel_category": "C",
                        "discovered_on": "2026-11-18",
                        "estimated_rectification_minutes": 300,
                    }
                ],
            ),
            aircraft(
                "A6-BLE",
                "AUH",
                defects=[
                    {
                        "defect_id": "D-BLE-1",
                        "description": "IFE seat unit 34C inoperative",
                        "mel_item": "44-11-01",
                        "mel_category": "D",
                        "discovered_on": "2026-11-20",
                    }
                ],
            ),
            aircraft("A6-BLM", "AUH"),
            aircraft("A6-BLN", "SYD"),
        ],
        flights=flights,
        crew=[
            *(crew(c, r, ["B787"]) for c, r in zip(ck, ["CPT", "CPT", "FO", "FO"], strict=True)),
            *(crew(c, "SCCM" if c.startswith("S") else "CC", []) for c in cb),
        ],
        # Augmented crew: the operator-approved FDP for 4 pilots with class 1 rest is given on the roster.
        duties=[
            duty(c, f"{DAY}T16:10", [key], augmented=True, fdp_limit_override_minutes=17 * 60)
            for c in [*ck, *cb]
        ],
        bookings=[
            connecting("SYD001", key, 2, "QF511", "2026-12-02", "2026-12-02T09:00", "SYD", 900, tier="gold"),
            *bulk_bookings(key, "S89", 268, 780),
        ],
        cargo=[
            {
                "awb": "607-78900011",
                "flight_key": key,
                "description": "vaccines",
                "handling_codes": ["PIL"],
                "temperature_class": "COL",
                "chain_exposure_minutes": 60,
                "delivery_deadline_utc": "2026-12-02T12:00:00Z",
                "weight_kg": 450,
                "revenue_eur": 18500,
            },
            {
                "awb": "607-78900022",
                "flight_key": key,
                "description": "two dogs",
                "handling_codes": ["AVI"],
                "weight_kg": 80,
                "revenue_eur": 2400,
            },
            {
                "awb": "607-78900033",
                "flight_key": key,
                "description": "general cargo",
                "weight_kg": 5200,
                "revenue_eur": 9000,
            },
        ],
    )
    event = {
        "event_id": "ey789-aog",
        "flight_number": "EY789",
        "flight_date": DAY,
        "disruption_type": "aircraft_on_ground",
        "delay_minutes": None,
        "cause": "A6-BLC grounded: MEL 21-31-01 (cat B) deferral expired, pressure controller to replace",
        "reported_at": f"{DAY}T14:00:00Z",
        "station": "AUH",
        "affected_crew_ids": [],
    }
    return data, event


def ey321() -> tuple[dict[str, Any], dict[str, Any]]:
    """Fog at AUH delays EY321 to Zurich by 240 min: it would land at 01:00 local, inside the ZRH curfew
    (23:30-06:00, 15 min buffer). Weather is an extraordinary circumstance (no EU261 compensation) but care is
    owed: the departure delay passes 4 h (over 3,500 km) and the rebooking is the next day (hotel)."""
    key = f"EY321/{DAY}"
    ck, cb = ["C321A", "F321A"], ["S321A", *cabin_ids("CC321", 4)]
    flights = [
        flight("EY321", "AUH", "ZRH", f"{DAY}T13:20", f"{DAY}T20:00", "A6-BLK", 240, ck, cb),
        flight("EY322", "ZRH", "AUH", f"{DAY}T21:30", "2026-12-02T03:40", "A6-BLK", 230),
        flight("EY323", "AUH", "ZRH", "2026-12-02T03:00", "2026-12-02T09:40", "A6-BLL", 230),
        flight("EY321", "AUH", "ZRH", "2026-12-02T13:20", "2026-12-02T20:00", "A6-BLK", 250),
    ]
    # Evening standby: a crew change is possible, but it cannot beat the fog or the curfew.
    reserves = [
        ("RW-CPT1", "CPT"),
        ("RW-FO1", "FO"),
        ("RW-SCCM1", "SCCM"),
        *((f"RW-CC{i}", "CC") for i in range(1, 5)),
    ]
    data = dataset(
        ["AUH", "ZRH"],
        aircraft=[aircraft("A6-BLK", "AUH"), aircraft("A6-BLL", "AUH")],
        flights=flights,
        crew=[
            *(
                crew(c, r, ["B787"])
                for c, r in zip([*ck, *cb], ["CPT", "FO", "SCCM", "CC", "CC", "CC", "CC"], strict=True)
            ),
            *(crew(c, r, ["B787"], reserve=True, until="22:00") for c, r in reserves),
        ],
        duties=[
            *(duty(c, f"{DAY}T12:20", [key]) for c in [*ck, *cb]),
            *(duty(c, None, [], hours7=12) for c, _ in reserves),
        ],
        bookings=[
            connecting("ZRH001", key, 2, "LX1612", "2026-12-01", f"{DAY}T21:40", "ZRH", 560, tier="silver"),
            *bulk_bookings(key, "Z21", 238, 430),
        ],
        cargo=[
            {
                "awb": "607-32100011",
                "flight_key": key,
                "description": "chocolate moulds",
                "weight_kg": 700,
                "revenue_eur": 1300,
            }
        ],
    )
    event = {
        "event_id": "ey321-weather-delay",
        "flight_number": "EY321",
        "flight_date": DAY,
        "disruption_type": "weather",
        "delay_minutes": 240,
        "cause": "dense fog at AUH, low-visibility procedures and ATC flow restriction",
        "reported_at": f"{DAY}T12:30:00Z",
        "station": "AUH",
        "affected_crew_ids": [],
    }
    return data, event


SCENARIOS = {
    "ey123-technical-delay": ey123,
    "ey456-crew-sickness": ey456,
    "ey789-aog": ey789,
    "ey321-weather-delay": ey321,
}


def main() -> None:
    for stem, build in SCENARIOS.items():
        data, event = build()
        DisruptionEvent.model_validate(event)
        (HERE / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n")
        (HERE / f"{stem}.event.json").write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote {stem}.json ({len(data['flights'])} flights, {len(data['bookings'])} bookings)")


if __name__ == "__main__":
    main()
