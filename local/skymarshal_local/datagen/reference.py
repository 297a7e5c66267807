"""The reference data behind the generated day, read once from the JSON files in `data/` (packaged with the
module: pyproject.toml's package-data): airports and hub banks, aircraft types, spares and MEL items, crew
names, passenger demand and the cargo mix, and the sample events' flights.

Each file's `_about` says what it holds; the tables keep the files' order (the generator draws from them in
that order, so reordering a file changes the generated day).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time, timedelta
from importlib.resources import files
from typing import Any

HUB = "AUH"
AIRLINE = "EY"
AWB_PREFIX = "607"
DEFAULT_DAY = date(2026, 12, 1)
HORIZON = timedelta(hours=48)  # the day and the next: rotations, reserves and rebooking have a tomorrow
CURFEW_BUFFER_MINUTES = 15
PNR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files(__package__).joinpath("data", name).read_text(encoding="utf-8"))
    return data


def _clock(hhmm: str) -> time:
    return time.fromisoformat(hhmm)


@dataclass(frozen=True)
class Port:
    iata: str
    icao: str
    name: str
    country: str
    timezone: str
    lat: float
    lon: float
    eu: bool = False  # in EU261 scope (EU/EEA/CH)
    slot: bool = False  # IATA level 3 (slot coordinated)
    curfew: tuple[time, time] | None = None
    weight: float = 1.0  # relative demand: frequencies and load
    terminal: str | None = None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Port:
        curfew = row.get("curfew_local")
        return cls(
            iata=row["iata"],
            icao=row["icao"],
            name=row["name"],
            country=row["country"],
            timezone=row["timezone"],
            lat=row["lat"],
            lon=row["lon"],
            eu=row.get("eu261", False),
            slot=row.get("slot_coordinated", False),
            curfew=(_clock(curfew[0]), _clock(curfew[1])) if curfew else None,
            weight=row["weight"],
            terminal=row.get("terminal"),
        )


@dataclass(frozen=True)
class AircraftType:
    code: str
    family: str
    cabins: tuple[tuple[str, int], ...]  # (cabin, seats)
    range_km: float
    fleet: int  # flying tails at scale 1
    prefixes: tuple[str, ...]  # registrations: "A6-" + prefix + letter
    cabin_crew: int  # SCCM included
    min_km: float = 0.0
    max_km: float = 20_000.0

    @property
    def seats(self) -> int:
        return sum(n for _, n in self.cabins)

    @property
    def widebody(self) -> bool:
        return self.family != "A320"

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> AircraftType:
        return cls(
            code=row["code"],
            family=row["family"],
            cabins=tuple(row["cabins"].items()),
            range_km=row["range_km"],
            fleet=row["fleet"],
            prefixes=tuple(row["registration_prefixes"]),
            cabin_crew=row["cabin_crew"],
            min_km=row.get("min_km", 0.0),
            max_km=row.get("max_km", 20_000.0),
        )


@dataclass(frozen=True)
class MelItem:
    item: str
    description: str
    category: str
    category_a_interval_days: int | None = None


@dataclass(frozen=True)
class CargoKind:
    codes: tuple[str, ...]  # IATA special handling codes
    temperature: str
    description: str
    probability: float
    weight_kg: tuple[int, int]
    revenue_per_kg: float


@dataclass(frozen=True)
class SampleCargo:
    codes: tuple[str, ...]
    temperature: str
    description: str
    deadline_after_arrival: int  # minutes


# --------------------------------------------------------------------------------------------------
# network.json
# --------------------------------------------------------------------------------------------------
_network = _load("network.json")
HUB_PORT = Port.from_json(_network["hub"])
OUTSTATIONS: tuple[Port, ...] = tuple(
    Port.from_json(row) for region in _network["outstations"].values() for row in region
)
MCT_PRESETS: tuple[tuple[int, int, int], ...] = tuple(
    (m["same_terminal"], m["international"], m["terminal_change"]) for m in _network["mct_presets_minutes"]
)
# AUH departure banks, local hub time (start of a departure window); arrivals land before them.
BANKS_LOCAL: tuple[time, ...] = tuple(_clock(t) for t in _network["hub_departure_banks_local"])
BANK_MINUTES: int = _network["bank_minutes"]
# An arrival bank spans [bank start - earliest, bank start - latest] minutes.
ARRIVAL_WINDOW: tuple[int, int] = (
    _network["arrival_window_minutes_before_bank"]["earliest"],
    _network["arrival_window_minutes_before_bank"]["latest"],
)

# --------------------------------------------------------------------------------------------------
# fleet.json
# --------------------------------------------------------------------------------------------------
_fleet = _load("fleet.json")
TYPES: tuple[AircraftType, ...] = tuple(AircraftType.from_json(row) for row in _fleet["types"])
TYPE_BY_CODE = {t.code: t for t in TYPES}
WIDEBODY_FAMILIES = ("A350", "B777", "B787")
# Non-flying tails at the hub, in the order they are kept when scaling down: (type, status, deferral state).
SPARES: tuple[tuple[str, str, str], ...] = tuple((s["type"], s["status"], s["deferrals"]) for s in _fleet["spares"])
DEFERRABLE: tuple[MelItem, ...] = tuple(
    MelItem(m["mel_item"], m["description"], m["category"], m.get("category_a_interval_days"))
    for m in _fleet["deferrable_mel_items"]
)
# The AOG spare's defect (MEL item, description): no MEL relief.
NON_DEFERRABLE: tuple[str, str] = (
    _fleet["non_deferrable_defect"]["mel_item"],
    _fleet["non_deferrable_defect"]["description"],
)

# --------------------------------------------------------------------------------------------------
# crew.json
# --------------------------------------------------------------------------------------------------
_crew = _load("crew.json")
FIRST_NAMES: tuple[str, ...] = tuple(_crew["first_names"])
LAST_NAMES: tuple[str, ...] = tuple(_crew["last_names"])

# --------------------------------------------------------------------------------------------------
# commercial.json
# --------------------------------------------------------------------------------------------------
_commercial = _load("commercial.json")
LOAD_FACTOR: dict[str, tuple[float, float]] = {
    cabin: (lf["mean"], lf["sd"]) for cabin, lf in _commercial["load_factor"].items()
}
PARTY: tuple[tuple[int, float], ...] = tuple((size, p) for size, p in _commercial["party_sizes"])
FARE_FACTOR: dict[str, float] = _commercial["fare_factor"]
TIERS: dict[str, tuple[tuple[str, float], ...]] = {
    cabin: tuple(tiers.items()) for cabin, tiers in _commercial["loyalty_tiers"].items()
}
SSR: tuple[tuple[str, float], ...] = tuple(_commercial["special_service_requests"].items())
# Interline onward destinations beyond an outstation (other carriers' flights, not in the dataset).
BEYOND: dict[str, tuple[str, tuple[str, ...]]] = {
    iata: (b["carrier"], tuple(b["destinations"])) for iata, b in _commercial["interline_beyond"].items()
}
CARGO_KINDS: tuple[CargoKind, ...] = tuple(
    CargoKind(
        tuple(k["handling_codes"]),
        k["temperature_class"],
        k["description"],
        k["probability"],
        (k["weight_kg"][0], k["weight_kg"][1]),
        k["revenue_per_kg_eur"],
    )
    for k in _commercial["cargo_kinds"]
)

# --------------------------------------------------------------------------------------------------
# samples.json
# --------------------------------------------------------------------------------------------------
_samples = _load("samples.json")
SAMPLE_TYPE: str = _samples["type"]
# The sample events' flights, as in the hand-made scenarios (data/scenarios): origin, destination, scheduled
# departure (UTC) on the generated day and the tail that flies it. Their crews carry the scenarios' ids
# (captain C123A, first officer F123A, SCCM S123A, cabin crew CC123A...): the sample events resolve here too.
SAMPLE_FLIGHTS: dict[str, tuple[str, str, time, str]] = {
    number: (f["origin"], f["destination"], _clock(f["std_utc"]), f["tail"])
    for number, f in _samples["flights"].items()
}
# Special shipments put on the sample flights.
SAMPLE_CARGO: dict[str, tuple[SampleCargo, ...]] = {
    number: tuple(
        SampleCargo(
            tuple(c["handling_codes"]), c["temperature_class"], c["description"], c["deadline_after_arrival_minutes"]
        )
        for c in f["cargo"]
    )
    for number, f in _samples["flights"].items()
}
RESERVED_NUMBERS = {int(n[2:]) for n in SAMPLE_FLIGHTS}
