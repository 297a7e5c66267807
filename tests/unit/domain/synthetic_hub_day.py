"""A deterministic 1,000-flight hub day (150 aircraft, 3,000 crew, 150,000 bookings) for the timing test.

Small and self-contained on purpose: the project's realistic generator lives elsewhere; this one only needs
the
volumes and the shapes (rotations, crew duties, reserves, connecting bookings, cargo) the snapshot reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from skymarshal.domain import OpsDataset

DAY = datetime(2026, 12, 1, tzinfo=UTC)
STATIONS = [
    ("BAH", "Asia/Bahrain", 26.27, 50.63, 70),
    ("DOH", "Asia/Qatar", 25.27, 51.61, 60),
    ("MCT", "Asia/Muscat", 23.59, 58.28, 65),
    ("BOM", "Asia/Kolkata", 19.09, 72.87, 190),
    ("DEL", "Asia/Kolkata", 28.56, 77.10, 215),
    ("CAI", "Africa/Cairo", 30.12, 31.41, 220),
    ("IST", "Europe/Istanbul", 41.26, 28.74, 270),
    ("ATH", "Europe/Athens", 37.94, 23.94, 280),
    ("FRA", "Europe/Berlin", 50.04, 8.56, 400),
    ("MUC", "Europe/Berlin", 48.35, 11.79, 385),
    ("ZRH", "Europe/Zurich", 47.46, 8.55, 400),
    ("CDG", "Europe/Paris", 49.01, 2.55, 420),
    ("LHR", "Europe/London", 51.47, -0.45, 450),
    ("BKK", "Asia/Bangkok", 13.69, 100.75, 380),
    ("SIN", "Asia/Singapore", 1.36, 103.99, 450),
    ("KUL", "Asia/Kuala_Lumpur", 2.74, 101.70, 420),
    ("NBO", "Africa/Nairobi", -1.32, 36.93, 300),
    ("JNB", "Africa/Johannesburg", -26.14, 28.25, 490),
    ("KHI", "Asia/Karachi", 24.91, 67.16, 140),
    ("CMB", "Asia/Colombo", 7.18, 79.88, 270),
]


def build(
    flights_target: int = 1000, aircraft: int = 150, crew_per_flight: int = 7, bookings_per_flight: int = 150
) -> OpsDataset:
    airports: list[dict[str, Any]] = [
        {
            "iata": "AUH",
            "name": "Abu Dhabi",
            "country": "AE",
            "timezone": "Asia/Dubai",
            "lat": 24.43,
            "lon": 54.65,
        },
    ]
    for iata, tz, lat, lon, _ in STATIONS:
        airports.append(
            {
                "iata": iata,
                "name": iata,
                "timezone": tz,
                "lat": lat,
                "lon": lon,
                "is_eu": tz.startswith("Europe/") and iata not in ("IST",),
            }
        )
    types = [
        {"type_code": "B789", "family": "B787", "seats": 299, "range_km": 14000},
        {"type_code": "A321", "family": "A320", "seats": 196, "range_km": 5900},
    ]
    tails = [
        {
            "tail": f"A6-{i:03d}",
            "type_code": "B789" if i % 2 else "A321",
            "seats": 299 if i % 2 else 196,
            "home_base": "AUH",
            "station": "AUH",
        }
        for i in range(aircraft)
    ]
    flights: list[dict[str, Any]] = []
    crew: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    cargo: list[dict[str, Any]] = []
    number = 100
    pair = 0
    ready = {t["tail"]: DAY for t in tails}  # a tail flies its next rotation after a 60 min turnaround
    while len(flights) < flights_target:
        tail = tails[pair % aircraft]
        wave = pair // aircraft
        iata, _, _, _, block = STATIONS[pair % len(STATIONS)]
        std = max(DAY + timedelta(minutes=60 + wave * 5 * 60 + (pair % 37) * 5),
                  ready[tail["tail"]] + timedelta(minutes=60))
        out_sta = std + timedelta(minutes=block)
        back_std = out_sta + timedelta(minutes=75)
        back_sta = back_std + timedelta(minutes=block)
        ready[tail["tail"]] = back_sta
        ids = [f"X{pair:04d}{k}" for k in range(crew_per_flight)]
        for k, cid in enumerate(ids):
            rank = ("CPT", "FO", "SCCM")[k] if k < 3 else "CC"
            crew.append(
                {
                    "crew_id": cid,
                    "name": cid,
                    "rank": rank,
                    "base": "AUH",
                    "type_ratings": ["B787" if tail["type_code"] == "B789" else "A320"],
                }
            )
        keys = []
        for origin, dest, dep, arr in (("AUH", iata, std, out_sta), (iata, "AUH", back_std, back_sta)):
            fn = f"EY{number}"
            number += 1
            flights.append(
                {
                    "flight_number": fn,
                    "flight_date": dep.date().isoformat(),
                    "origin": origin,
                    "destination": dest,
                    "std_utc": dep.isoformat(),
                    "sta_utc": arr.isoformat(),
                    "tail": tail["tail"],
                    "booked_pax": bookings_per_flight,
                    "cockpit_crew": ids[:2],
                    "cabin_crew": ids[2:],
                }
            )
            keys.append(f"{fn}/{dep.date().isoformat()}")
        for cid in ids:
            duties.append(
                {
                    "crew_id": cid,
                    "duty_date": DAY.date().isoformat(),
                    "report_time_utc": (std - timedelta(minutes=60)).isoformat(),
                    "report_station": "AUH",
                    "planned_sectors": 2,
                    "flight_keys": keys,
                    "duty_hours_7d": 30,
                    "last_duty_end_utc": (DAY - timedelta(hours=20)).isoformat(),
                    "last_duty_minutes": 600,
                }
            )
        pair += 1
    by_origin: dict[str, list[dict[str, Any]]] = {}
    for f in flights:
        by_origin.setdefault(f["origin"], []).append(f)
    hub_departures = sorted(by_origin["AUH"], key=lambda f: f["std_utc"])
    for i, f in enumerate(flights):
        key = f"{f['flight_number']}/{f['flight_date']}"
        for b in range(bookings_per_flight):
            booking: dict[str, Any] = {
                "pnr": f"P{i:04d}{b:03d}",
                "flight_key": key,
                "pax_count": 1,
                "loyalty_tier": ("none", "silver", "gold", "platinum")[b % 4] if b % 5 == 0 else "none",
                "revenue_eur": 300.0,
            }
            if f["destination"] == "AUH" and b % 10 == 0:
                later = [g for g in hub_departures if g["std_utc"] > f["sta_utc"]]
                if later:
                    g = later[(i + b) % min(len(later), 20)]
                    booking["onward"] = {"flight_number": g["flight_number"], "flight_date": g["flight_date"]}
            bookings.append(booking)
        cargo.append(
            {
                "awb": f"607-{i:08d}",
                "flight_key": key,
                "handling_codes": ["PER"],
                "temperature_class": "REF",
                "weight_kg": 500,
                "revenue_eur": 2000,
            }
        )
    reserves = []
    for r in range(100):
        rank = ("CPT", "FO", "SCCM", "CC", "CC", "CC", "CC")[r % 7]
        cid = f"R{r:03d}"
        reserves.append(
            {
                "crew_id": cid,
                "name": cid,
                "rank": rank,
                "base": "AUH",
                "type_ratings": ["B787", "A320"][r % 2 : r % 2 + 1],
                "is_reserve": True,
                "reserve_start_utc": DAY.isoformat(),
                "reserve_end_utc": (DAY + timedelta(hours=20)).isoformat(),
            }
        )
        duties.append(
            {
                "crew_id": cid,
                "duty_date": DAY.date().isoformat(),
                "duty_hours_7d": 20,
                "last_duty_end_utc": (DAY - timedelta(hours=30)).isoformat(),
                "last_duty_minutes": 600,
            }
        )
    return OpsDataset.model_validate(
        {
            "schema_version": "1",
            "airline": "synthetic",
            "airports": airports,
            "aircraft_types": types,
            "aircraft": tails,
            "flights": flights,
            "crew": crew + reserves,
            "duties": duties,
            "bookings": bookings,
            "cargo": cargo,
        }
    )
