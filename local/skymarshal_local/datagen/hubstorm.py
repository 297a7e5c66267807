"""A hub storm: N flights out of AUH disrupted together (technical delays), competing for K spare tails, R
reserve crew and the seats of a few later flights to the same destination. Built from the hand-made EY123
scenario (data/scenarios/ey123-technical-delay.json): each disrupted flight is a copy of EY123 (the even ones
with a hydraulic leak, the odd ones with a sick captain), with its own tail, crew, duties and bookings; the
spares have no rotation. Used by tests/workflow/test_fleet.py and benchmarks/bench_fleet.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from skymarshal.domain.operation import OpsDataset

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "data" / "scenarios" / "ey123-technical-delay.json"
RANKS = ("CPT",)  # the storm's sick crew members are captains


def hub_storm(n: int, spares: int, reserves: int, later_flights: int = 3, prefix: str = "S") -> OpsDataset:
    """N disrupted AUH-FRA departures (EY2000...), `spares` serviceable B789 at AUH, `reserves` reserve crew
    (ranks in the order of a B787 complement), `later_flights` later AUH-FRA flights with free seats."""
    base = json.loads(SCENARIO.read_text())
    ey123 = next(f for f in base["flights"] if f["flight_number"] == "EY123" and f["flight_date"] == "2026-12-01")
    rostered = {c["crew_id"]: c for c in base["crew"] if not c.get("is_reserve")}
    duty_of = {d["crew_id"]: d for d in base["duties"]}
    template_bookings = [b for b in base["bookings"] if b["flight_key"] == "EY123/2026-12-01"]
    reserve_template = next(c for c in base["crew"] if c.get("is_reserve"))
    a6bla = next(a for a in base["aircraft"] if a["tail"] == "A6-BLA")
    aircraft, flights, crew, duties, bookings = [], [], [], [], []
    for i in range(n):
        number = f"EY{2000 + i}"
        tail = f"A6-{prefix}{i:03d}"
        defect = {"defect_id": f"D-{i:03d}", "description": "hydraulic leak found at pre-flight",
                  "discovered_on": "2026-12-01", "estimated_rectification_minutes": 200}
        aircraft.append({**a6bla, "tail": tail, "defects": [defect] if i % 2 == 0 else []})
        ids = {cid: f"{prefix}{i:03d}-{cid}" for cid in rostered}
        f = {**ey123, "flight_number": number, "tail": tail,
             "cockpit_crew": [ids[c] for c in ey123["cockpit_crew"]],
             "cabin_crew": [ids[c] for c in ey123["cabin_crew"]]}
        flights.append(f)
        key = f"{number}/2026-12-01"
        for cid, new in ids.items():
            crew.append({**rostered[cid], "crew_id": new, "name": f"Crew {new}"})
            duties.append({**duty_of[cid], "crew_id": new, "flight_keys": [key], "planned_sectors": 1,
                           "report_time_utc": "2026-12-01T04:20Z"})
        for b in template_bookings:
            booking = {**b, "pnr": f"{b['pnr'][:3]}{i:03d}{b['pnr'][3:]}"[:16], "flight_key": key}
            booking.pop("onward", None)
            bookings.append(booking)
    for k in range(spares):
        aircraft.append({**a6bla, "tail": f"A6-AP{k:02d}", "defects": []})
    for r in range(reserves):
        rid = f"R{prefix}{r:03d}-{RANKS[r % len(RANKS)]}"
        crew.append({**reserve_template, "crew_id": rid, "name": f"Reserve {rid}", "rank": RANKS[r % len(RANKS)]})
        duties.append({"crew_id": rid, "duty_date": "2026-12-01", "duty_hours_7d": 20, "duty_hours_14d": 40,
                       "duty_hours_28d": 80, "flight_hours_28d": 50, "flight_hours_calendar_year": 600,
                       "flight_hours_12m": 700, "last_duty_end_utc": "2026-11-30T04:00Z", "last_duty_minutes": 540})
    for j in range(later_flights):
        tail = f"A6-LT{j:02d}"
        aircraft.append({**a6bla, "tail": tail, "station": "FRA"})
        std = _later(ey123["std_utc"], hours=4 + 3 * j)
        sta = _later(ey123["sta_utc"], hours=4 + 3 * j)
        flights.append({**ey123, "flight_number": f"EY{3000 + j}", "tail": tail, "std_utc": std, "sta_utc": sta,
                        "booked_pax": 200, "cockpit_crew": [], "cabin_crew": []})
    doc: dict[str, Any] = {**base, "aircraft": aircraft, "flights": flights, "crew": crew, "duties": duties,
                           "bookings": bookings, "cargo": []}
    return OpsDataset.model_validate(doc)


def _later(stamp: str, hours: int) -> str:
    from datetime import datetime

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def storm_event(i: int, thread_prefix: str, prefix: str = "S") -> dict[str, Any]:
    """The disruption of the i-th storm flight, reported at 05:45Z: even flights a 180 min technical delay (a
    spare tail is the cheap way out), odd flights a sick captain (a reserve captain is)."""
    event: dict[str, Any] = {"event_id": f"{thread_prefix}-{i:03d}", "flight_number": f"EY{2000 + i}",
                             "flight_date": "2026-12-01", "reported_at": "2026-12-01T05:45:00Z", "station": "AUH"}
    if i % 2 == 0:
        return {**event, "disruption_type": "technical", "delay_minutes": 180,
                "cause": "hydraulic leak found at pre-flight", "affected_crew_ids": []}
    return {**event, "disruption_type": "crew_sickness", "cause": "captain reported sick",
            "affected_crew_ids": [f"{prefix}{i:03d}-C123A"]}
