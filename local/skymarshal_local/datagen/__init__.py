"""A deterministic hub airline day: the `OpsDataset` behind `make demo`, `skymarshal seed` and the benchmarks.

`generate_day(day, seed, scale)` builds, from a seeded `random.Random` only (no wall clock, no hash order), an
Etihad-like operation at the AUH hub:
- airports: the hub and 50+ outstations with real IATA/ICAO codes, IANA timezones and coordinates (distances
  are great-circle), curfews where real (FRA 23:00–05:00, SYD 23:00–06:00, ZRH, NRT, DUS), sample MCTs;
- fleet: ~150 tails of A320/A321/A321neo, B787-9/-10, A350-1000 and B777-300ER (families for swaps), some
  with open MEL deferrals; spares at the hub, some with an expired deferral, one in the hangar, one AOG;
- flights: hub-and-spoke rotations timed to five AUH departure banks, curfew-aware, from 00:00 UTC on the
  day until 12:00 UTC the next day (tails fly 2–6 sectors on the day), ~1,000 flights;
- crew: pairings cut from the rotations within EASA Table 2 FDP limits (augmented crews on ultra-long haul),
  rostered greedily with rest respected, cumulative histories (a few near their limits), ~5% reserves;
- bookings: ~150,000 segment bookings with cabins, loyalty tiers, SSRs, revenue, hub connections (same PNR on
  both legs; some tight) and interline onward connections; cargo with handling codes, temperature classes and
  deadlines; the default cost parameters.

The sample events' flights exist at every scale, as in the hand-made scenarios (`SAMPLE_FLIGHTS`): EY123
AUH→FRA 06:20Z on A6-BLA, EY456 AUH→LHR 03:00Z on A6-BLH, EY789 AUH→SYD 17:40Z on A6-BLC (expired MEL
deferral) and EY321 AUH→ZRH 13:20Z on A6-BLK, on the day, each with the scenarios' crew ids, bookings (some
connecting) and special cargo.

`scale` shrinks the fleet (hence flights, crew, bookings, cargo) and the network proportionally, keeping the
minimum that the sample flights and their recovery options need.
"""

from __future__ import annotations

import gzip
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from heapq import heappop, heappush
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from skymarshal.domain.curfew import in_curfew
from skymarshal.domain.eu261 import great_circle_km
from skymarshal.domain.ftl import max_fdp_minutes
from skymarshal.domain.operation import (
    Airport,
    CostParameters,
    MinimumConnectionTimes,
    OpsDataset,
    flight_key,
)

HUB = "AUH"
AIRLINE = "EY"
AWB_PREFIX = "607"
DEFAULT_DAY = date(2026, 12, 1)
HORIZON = timedelta(hours=48)  # the day and the next: rotations, reserves and rebooking have a tomorrow
CURFEW_BUFFER_MINUTES = 15
# The sample events' flights, as in the hand-made scenarios (data/scenarios): origin, destination, scheduled
# departure (UTC) on the generated day and the B787-9 that flies it. Their crews carry the scenarios' ids
# (captain C123A, first officer F123A, SCCM S123A, cabin crew CC123A...): the sample events resolve here too.
SAMPLE_FLIGHTS: dict[str, tuple[str, str, time, str]] = {
    "EY123": (
        "AUH",
        "FRA",
        time(6, 20),
        "A6-BLA",
    ),  # technical delay; its first officer is near 60 h / 7 days
    "EY456": ("AUH", "LHR", time(3, 0), "A6-BLH"),  # captain C456A reports sick
    "EY789": (
        "AUH",
        "SYD",
        time(17, 40),
        "A6-BLC",
    ),  # AOG: MEL 21-31-01 (cat B) deferral expired; augmented crew
    "EY321": ("AUH", "ZRH", time(13, 20), "A6-BLK"),  # weather at AUH; a long delay runs into ZRH's curfew
}
SAMPLE_TYPE = "B789"
_RESERVED_NUMBERS = {int(n[2:]) for n in SAMPLE_FLIGHTS}


# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Port:
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


def _t(hh: int, mm: int = 0) -> time:
    return time(hh, mm)


_HUB_PORT = _Port(
    "AUH",
    "OMAA",
    "Abu Dhabi Zayed International",
    "AE",
    "Asia/Dubai",
    24.4330,
    54.6511,
    slot=True,
    terminal="A",
)
OUTSTATIONS: tuple[_Port, ...] = (
    # Europe
    _Port(
        "FRA",
        "EDDF",
        "Frankfurt",
        "DE",
        "Europe/Berlin",
        50.0379,
        8.5622,
        True,
        True,
        (_t(23), _t(5)),
        3,
        "1",
    ),
    _Port("MUC", "EDDM", "Munich", "DE", "Europe/Berlin", 48.3538, 11.7861, True, True, None, 2, "1"),
    _Port(
        "DUS", "EDDL", "Düsseldorf", "DE", "Europe/Berlin", 51.2895, 6.7668, True, True, (_t(23), _t(6)), 1
    ),
    _Port(
        "CDG",
        "LFPG",
        "Paris Charles de Gaulle",
        "FR",
        "Europe/Paris",
        49.0097,
        2.5479,
        True,
        True,
        None,
        3,
        "1",
    ),
    _Port(
        "AMS", "EHAM", "Amsterdam Schiphol", "NL", "Europe/Amsterdam", 52.3105, 4.7683, True, True, None, 2
    ),
    _Port("BRU", "EBBR", "Brussels", "BE", "Europe/Brussels", 50.9014, 4.4844, True, True, None, 1),
    _Port("MAD", "LEMD", "Madrid Barajas", "ES", "Europe/Madrid", 40.4983, -3.5676, True, True, None, 2, "4"),
    _Port(
        "BCN", "LEBL", "Barcelona El Prat", "ES", "Europe/Madrid", 41.2974, 2.0833, True, True, None, 1, "1"
    ),
    _Port("FCO", "LIRF", "Rome Fiumicino", "IT", "Europe/Rome", 41.8003, 12.2389, True, True, None, 2, "3"),
    _Port("MXP", "LIMC", "Milan Malpensa", "IT", "Europe/Rome", 45.6306, 8.7281, True, True, None, 1, "1"),
    _Port("VIE", "LOWW", "Vienna", "AT", "Europe/Vienna", 48.1103, 16.5697, True, True, None, 1, "3"),
    _Port(
        "ZRH", "LSZH", "Zurich", "CH", "Europe/Zurich", 47.4582, 8.5555, True, True, (_t(23, 30), _t(6)), 1
    ),
    _Port("DUB", "EIDW", "Dublin", "IE", "Europe/Dublin", 53.4264, -6.2499, True, True, None, 1, "2"),
    _Port("CPH", "EKCH", "Copenhagen", "DK", "Europe/Copenhagen", 55.6180, 12.6508, True, True, None, 1, "3"),
    _Port("ATH", "LGAV", "Athens", "GR", "Europe/Athens", 37.9364, 23.9445, True, True, None, 1),
    _Port(
        "LHR", "EGLL", "London Heathrow", "GB", "Europe/London", 51.4700, -0.4543, False, True, None, 4, "4"
    ),
    _Port("MAN", "EGCC", "Manchester", "GB", "Europe/London", 53.3537, -2.2750, False, True, None, 2, "2"),
    _Port("IST", "LTFM", "Istanbul", "TR", "Europe/Istanbul", 41.2753, 28.7519, False, True, None, 1),
    # Middle East and Africa
    _Port("BAH", "OBBI", "Bahrain", "BH", "Asia/Bahrain", 26.2708, 50.6336, weight=2),
    _Port("KWI", "OKKK", "Kuwait", "KW", "Asia/Kuwait", 29.2266, 47.9689, weight=2),
    _Port("MCT", "OOMS", "Muscat", "OM", "Asia/Muscat", 23.5933, 58.2844, weight=1),
    _Port("RUH", "OERK", "Riyadh King Khalid", "SA", "Asia/Riyadh", 24.9576, 46.6988, weight=3),
    _Port("JED", "OEJN", "Jeddah King Abdulaziz", "SA", "Asia/Riyadh", 21.6796, 39.1565, weight=3),
    _Port("DMM", "OEDF", "Dammam King Fahd", "SA", "Asia/Riyadh", 26.4712, 49.7979, weight=1),
    _Port("AMM", "OJAI", "Amman Queen Alia", "JO", "Asia/Amman", 31.7226, 35.9932, weight=2),
    _Port("BEY", "OLBA", "Beirut", "LB", "Asia/Beirut", 33.8209, 35.4884, weight=2),
    _Port("CAI", "HECA", "Cairo", "EG", "Africa/Cairo", 30.1219, 31.4056, weight=2),
    _Port(
        "TLV", "LLBG", "Tel Aviv Ben Gurion", "IL", "Asia/Jerusalem", 32.0114, 34.8867, slot=True, weight=1
    ),
    _Port(
        "JNB", "FAOR", "Johannesburg O. R. Tambo", "ZA", "Africa/Johannesburg", -26.1392, 28.2460, weight=1
    ),
    _Port("NBO", "HKJK", "Nairobi Jomo Kenyatta", "KE", "Africa/Nairobi", -1.3192, 36.9278, weight=1),
    _Port("ADD", "HAAB", "Addis Ababa Bole", "ET", "Africa/Addis_Ababa", 8.9779, 38.7993, weight=1),
    _Port("CMN", "GMMN", "Casablanca Mohammed V", "MA", "Africa/Casablanca", 33.3675, -7.5898, weight=1),
    _Port("SEZ", "FSIA", "Seychelles", "SC", "Indian/Mahe", -4.6743, 55.5218, weight=1),
    # Indian subcontinent
    _Port("BOM", "VABB", "Mumbai", "IN", "Asia/Kolkata", 19.0887, 72.8679, slot=True, weight=4, terminal="2"),
    _Port("DEL", "VIDP", "Delhi", "IN", "Asia/Kolkata", 28.5562, 77.1000, slot=True, weight=3, terminal="3"),
    _Port("BLR", "VOBL", "Bengaluru", "IN", "Asia/Kolkata", 13.1986, 77.7066, weight=2),
    _Port("MAA", "VOMM", "Chennai", "IN", "Asia/Kolkata", 12.9941, 80.1709, weight=2),
    _Port("COK", "VOCI", "Kochi", "IN", "Asia/Kolkata", 10.1520, 76.4019, weight=3),
    _Port("HYD", "VOHS", "Hyderabad", "IN", "Asia/Kolkata", 17.2403, 78.4294, weight=2),
    _Port("KHI", "OPKC", "Karachi", "PK", "Asia/Karachi", 24.9065, 67.1608, weight=2),
    _Port("LHE", "OPLA", "Lahore", "PK", "Asia/Karachi", 31.5216, 74.4036, weight=2),
    _Port("ISB", "OPIS", "Islamabad", "PK", "Asia/Karachi", 33.5491, 72.8256, weight=2),
    _Port("CMB", "VCBI", "Colombo", "LK", "Asia/Colombo", 7.1808, 79.8841, weight=2),
    _Port("DAC", "VGHS", "Dhaka", "BD", "Asia/Dhaka", 23.8433, 90.3978, weight=2),
    _Port("KTM", "VNKT", "Kathmandu", "NP", "Asia/Kathmandu", 27.6966, 85.3591, weight=1),
    _Port("MLE", "VRMM", "Malé", "MV", "Indian/Maldives", 4.1918, 73.5291, weight=1),
    # Asia-Pacific
    _Port("BKK", "VTBS", "Bangkok Suvarnabhumi", "TH", "Asia/Bangkok", 13.6900, 100.7501, weight=2),
    _Port("SIN", "WSSS", "Singapore Changi", "SG", "Asia/Singapore", 1.3644, 103.9915, slot=True, weight=2),
    _Port("KUL", "WMKK", "Kuala Lumpur", "MY", "Asia/Kuala_Lumpur", 2.7456, 101.7099, weight=1),
    _Port("MNL", "RPLL", "Manila", "PH", "Asia/Manila", 14.5086, 121.0194, slot=True, weight=2),
    _Port("HKG", "VHHH", "Hong Kong", "HK", "Asia/Hong_Kong", 22.3080, 113.9185, slot=True, weight=1),
    _Port("PVG", "ZSPD", "Shanghai Pudong", "CN", "Asia/Shanghai", 31.1443, 121.8083, slot=True, weight=1),
    _Port(
        "NRT",
        "RJAA",
        "Tokyo Narita",
        "JP",
        "Asia/Tokyo",
        35.7720,
        140.3929,
        slot=True,
        curfew=(_t(0), _t(6)),
        weight=1,
    ),
    _Port("ICN", "RKSI", "Seoul Incheon", "KR", "Asia/Seoul", 37.4602, 126.4407, slot=True, weight=1),
    _Port(
        "SYD",
        "YSSY",
        "Sydney Kingsford Smith",
        "AU",
        "Australia/Sydney",
        -33.9399,
        151.1753,
        slot=True,
        curfew=(_t(23), _t(6)),
        weight=1,
        terminal="1",
    ),
    # Americas
    _Port(
        "JFK",
        "KJFK",
        "New York JFK",
        "US",
        "America/New_York",
        40.6413,
        -73.7781,
        slot=True,
        weight=2,
        terminal="4",
    ),
    _Port("ORD", "KORD", "Chicago O'Hare", "US", "America/Chicago", 41.9742, -87.9073, slot=True, weight=1),
    _Port(
        "YYZ", "CYYZ", "Toronto Pearson", "CA", "America/Toronto", 43.6777, -79.6248, weight=1, terminal="3"
    ),
)
_MCT_PRESETS = ((45, 75, 100), (60, 90, 120), (75, 100, 150))


@dataclass(frozen=True)
class _Type:
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


TYPES: tuple[_Type, ...] = (
    _Type("A320", "A320", (("business", 8), ("economy", 150)), 6100, 20, ("EI",), 4, max_km=4200),
    _Type("A321", "A320", (("business", 16), ("economy", 180)), 5900, 16, ("AE",), 4, max_km=4200),
    _Type("A21N", "A320", (("business", 16), ("economy", 166)), 7400, 18, ("AF",), 4, max_km=4500),
    _Type("B789", "B787", (("business", 28), ("economy", 271)), 14000, 30, ("BL", "BN"), 7, min_km=1200),
    _Type(
        "B78X",
        "B787",
        (("business", 32), ("premium_economy", 28), ("economy", 247)),
        11900,
        22,
        ("BM",),
        7,
        min_km=1200,
    ),
    _Type("A35K", "A350", (("business", 44), ("economy", 327)), 16100, 10, ("XW",), 8, min_km=1500),
    _Type(
        "B77W",
        "B777",
        (("first", 8), ("business", 40), ("economy", 280)),
        13650,
        22,
        ("ET", "EU"),
        8,
        min_km=1500,
    ),
)
_TYPE_BY_CODE = {t.code: t for t in TYPES}
_WIDEBODY_FAMILIES = ("A350", "B777", "B787")

# Non-flying tails at the hub, in the order they are kept when scaling down: (type, status, deferral state).
_SPARES: tuple[tuple[str, str, str], ...] = (
    ("B789", "available", "clean"),
    ("B78X", "available", "expired"),  # the tracker still says available: the maintenance agent must catch it
    ("A321", "available", "open"),
    ("A35K", "available", "clean"),
    ("B77W", "available", "expired"),
    ("A320", "maintenance", "clean"),
    ("B789", "aog", "aog"),
    ("A21N", "available", "expired"),
    ("B77W", "available", "open"),
    ("B78X", "available", "clean"),
    ("A320", "available", "clean"),
    ("B789", "maintenance", "open"),
    ("A35K", "available", "open"),
)

# (MEL item, description, category, category-A interval days)
_DEFERRABLE: tuple[tuple[str, str, str, int | None], ...] = (
    ("21-51-01", "Air conditioning pack 2 inoperative", "C", None),
    ("30-42-01", "Windshield heat inoperative, F/O side", "C", None),
    ("34-11-02", "Standby airspeed indication flag intermittent", "B", None),
    ("25-21-03", "Passenger seat recline inoperative", "D", None),
    ("33-44-01", "Cabin sign lighting partially inoperative", "D", None),
    ("49-11-01", "APU inoperative", "C", None),
    ("36-11-04", "Engine 1 bleed valve deactivated closed", "B", None),
    ("23-31-01", "Passenger address speaker inoperative", "C", None),
    ("28-42-02", "Fuel quantity indication channel 2 degraded", "B", None),
    ("32-42-05", "Brake temperature sensor inoperative", "A", 2),
    ("38-11-01", "Potable water heater inoperative, aft galley", "D", None),
    ("35-21-02", "Passenger oxygen mask door stowage defect", "A", 1),
)
_NON_DEFERRABLE = ("29-11-00", "Hydraulic green system leak at engine-driven pump case drain")

_FIRST_NAMES = (
    "Aisha",
    "Omar",
    "Fatima",
    "Khalid",
    "Maryam",
    "Rashid",
    "Noura",
    "Yousef",
    "Priya",
    "Arjun",
    "Ananya",
    "Rahul",
    "Deepa",
    "Vikram",
    "Maria",
    "Jose",
    "Angelica",
    "Mark",
    "Grace",
    "Paolo",
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Elena",
    "Marco",
    "Chiara",
    "Lucas",
    "Camille",
    "Hugo",
    "Emma",
    "James",
    "Olivia",
    "Thomas",
    "Sarah",
    "Daniel",
    "Hannah",
    "Ivan",
    "Olga",
    "Mehmet",
    "Elif",
    "Kenji",
    "Yuki",
    "Min-jun",
    "Seo-yeon",
    "Chen",
    "Li",
    "Nadia",
    "Tariq",
    "Zainab",
    "Samuel",
    "Amara",
    "Kwame",
    "Lerato",
    "Sipho",
)
_LAST_NAMES = (
    "Al Mansouri",
    "Al Hashimi",
    "Al Suwaidi",
    "Haddad",
    "Khoury",
    "Nasser",
    "Sharma",
    "Patel",
    "Nair",
    "Iyer",
    "Reddy",
    "Menon",
    "Santos",
    "Reyes",
    "Cruz",
    "Garcia",
    "Müller",
    "Schmidt",
    "Weber",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Martin",
    "Smith",
    "Jones",
    "Brown",
    "O'Brien",
    "Kowalski",
    "Novak",
    "Ivanova",
    "Yilmaz",
    "Demir",
    "Tanaka",
    "Sato",
    "Kim",
    "Park",
    "Wang",
    "Zhang",
    "Khan",
    "Ahmed",
    "Hussain",
    "Mensah",
    "Okafor",
    "Dlamini",
    "van Dijk",
    "Jensen",
    "Papadopoulos",
    "Fernandes",
    "Silva",
    "Costa",
)

# Interline onward destinations beyond an outstation (other carriers' flights, not in the dataset).
_BEYOND: dict[str, tuple[str, tuple[str, ...]]] = {
    "FRA": ("LH", ("HAM", "BER", "VIE", "WAW", "OSL")),
    "CDG": ("AF", ("NCE", "LYS", "TLS", "GVA", "BOD")),
    "LHR": ("BA", ("EDI", "GLA", "DUB", "JER", "ABZ")),
    "ZRH": ("LX", ("GVA", "LUG", "PRG", "NCE", "BUD")),
    "AMS": ("KL", ("BLL", "BRE", "HAJ", "NCL", "BHX")),
    "MUC": ("LH", ("HAM", "BER", "DUS", "CGN", "ZAG")),
    "BOM": ("AI", ("GOI", "PNQ", "AMD", "IDR", "NAG")),
    "DEL": ("AI", ("ATQ", "IXC", "JAI", "LKO", "VNS")),
    "SYD": ("QF", ("MEL", "BNE", "CBR", "OOL", "AKL")),
    "JFK": ("AA", ("BOS", "MIA", "LAX", "SFO", "ORD")),
    "SIN": ("SQ", ("DPS", "CGK", "PER", "HAN", "SGN")),
}
_SSR = (
    ("WCHR", 0.02),
    ("WCHS", 0.004),
    ("WCHC", 0.002),
    ("MAAS", 0.005),
    ("UMNR", 0.003),
    ("MEDA", 0.0015),
    ("BLND", 0.001),
    ("DEAF", 0.001),
    ("INFT", 0.025),
    ("PETC", 0.002),
)
_TIERS = {
    "economy": (("none", 0.72), ("silver", 0.15), ("gold", 0.09), ("platinum", 0.04)),
    "premium_economy": (("none", 0.55), ("silver", 0.22), ("gold", 0.15), ("platinum", 0.08)),
    "business": (("none", 0.35), ("silver", 0.25), ("gold", 0.25), ("platinum", 0.15)),
    "first": (("none", 0.2), ("silver", 0.2), ("gold", 0.3), ("platinum", 0.3)),
}
_FARE_FACTOR = {"economy": 1.0, "premium_economy": 1.8, "business": 3.6, "first": 6.5}
_LOAD_FACTOR = {
    "economy": (0.87, 0.07),
    "premium_economy": (0.8, 0.1),
    "business": (0.72, 0.14),
    "first": (0.55, 0.2),
}
_PARTY = ((1, 0.76), (2, 0.16), (3, 0.045), (4, 0.025), (5, 0.007), (6, 0.003))
_PNR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# (handling codes, temperature class, description, probability, weight kg range, revenue per kg)
_CARGO_KINDS: tuple[tuple[tuple[str, ...], str, str, float, tuple[int, int], float], ...] = (
    ((), "none", "General cargo", 0.58, (50, 1800), 1.6),
    ((), "none", "E-commerce consolidation", 0.10, (100, 2500), 1.9),
    (("PER",), "REF", "Chilled seafood", 0.05, (200, 1500), 2.8),
    (("PER",), "COL", "Fresh flowers", 0.03, (100, 900), 2.5),
    (("PER",), "COL", "Fruit and vegetables", 0.04, (300, 2000), 2.0),
    (("PER",), "frozen", "Frozen meat", 0.02, (300, 1800), 2.4),
    (("DGR",), "none", "Lithium ion batteries UN3481", 0.035, (20, 400), 4.5),
    (("DGR",), "none", "Perfumes UN1266", 0.025, (30, 500), 3.8),
    (("PIL",), "COL", "Vaccines", 0.025, (50, 600), 7.5),
    (("PIL",), "REF", "Insulin", 0.015, (30, 300), 8.0),
    (("PIL",), "frozen", "Biological samples", 0.01, (10, 120), 12.0),
    (("AVI",), "none", "Live falcons", 0.005, (10, 80), 20.0),
    (("AVI",), "none", "Pet dog in kennel", 0.01, (20, 60), 15.0),
    (("AVI",), "none", "Live horses", 0.002, (500, 1200), 18.0),
    (("VAL",), "none", "Gold bullion", 0.012, (10, 200), 40.0),
    (("VAL",), "none", "Banknotes", 0.006, (50, 400), 25.0),
    (("HUM",), "none", "Human remains", 0.004, (80, 150), 10.0),
    (("PER", "PIL"), "REF", "Temperature-controlled clinical trial kits", 0.006, (20, 200), 14.0),
)
# Special shipments put on the sample flights: (codes, temperature, description, deadline after arrival, min)
_SAMPLE_CARGO: dict[str, tuple[tuple[tuple[str, ...], str, str, int], ...]] = {
    "EY123": (
        (("PER",), "REF", "Chilled seafood", 360),
        (("AVI",), "none", "Live falcons", 240),
        (("DGR",), "none", "Lithium ion batteries UN3481", 1440),
    ),
    "EY456": (
        (("VAL",), "none", "Gold jewellery", 180),
        (("DGR",), "none", "Perfumes UN1266", 1440),
        (("PER",), "COL", "Fresh flowers", 300),
    ),
    "EY789": (
        (("PIL",), "frozen", "Biological samples", 240),
        (("PIL",), "REF", "Insulin", 480),
        (("HUM",), "none", "Human remains", 720),
    ),
    "EY321": (
        (("PER",), "COL", "Fresh dates", 600),
        (("PIL",), "COL", "Vaccines", 360),
        (("AVI",), "none", "Pet dog in kennel", 180),
    ),
}
# AUH departure banks, local hub time (start of a 100-minute departure window); arrivals land before them.
_BANKS_LOCAL = (time(2, 0), time(8, 0), time(11, 30), time(14, 30), time(19, 30), time(22, 30))
_BANK_MINUTES = 120
_ARRIVAL_WINDOW = (150, 20)  # an arrival bank spans [bank start - 150 min, bank start - 20 min]


# --------------------------------------------------------------------------------------------------
# Working records
# --------------------------------------------------------------------------------------------------
@dataclass
class _Leg:
    origin: str
    dest: str
    std: datetime
    sta: datetime
    tail: str
    type: _Type
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
class _Tail:
    tail: str
    type: _Type
    station: str
    ready: datetime
    status: str = "available"
    deferrals: str = "clean"  # clean | open | expired | aog | sample_aog
    forced: list[tuple[str, str, datetime]] = field(default_factory=list)  # (destination, number, std)
    spare: bool = False  # kept on the ground at the hub (swap candidate, hangar or AOG)
    legs: list[_Leg] = field(default_factory=list)


@dataclass
class _Crew:
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
class _Duty:
    legs: list[_Leg]
    augmented: int  # extra pilots (0, 1 or 2)
    report: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.report).total_seconds() // 60)

    @property
    def block_minutes(self) -> int:
        return sum(leg.block for leg in self.legs)


def _round5(moment: datetime, up: bool = True) -> datetime:
    extra = (moment.minute % 5) * 60 + moment.second + moment.microsecond / 1e6
    if extra == 0:
        return moment
    base = moment - timedelta(seconds=extra)
    return base + timedelta(minutes=5) if up else base


# --------------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------------
class _DayGenerator:
    def __init__(self, day: date, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.day = day
        self.scale = scale
        self.rng = random.Random(seed * 1_000_003 + day.toordinal())
        self.t0 = datetime.combine(day, time(0), tzinfo=UTC)
        self.t_end = self.t0 + HORIZON
        self.ports: dict[str, _Port] = {}
        self.airports: dict[str, Airport] = {}
        self.distances: dict[tuple[str, str], float] = {}
        self.frequency: dict[str, int] = {}
        self.tails: list[_Tail] = []
        self.legs: list[_Leg] = []

    # -- network -------------------------------------------------------------------------------------
    def _network(self) -> None:
        rng = self.rng
        required = sorted({p for o, d, _, _ in SAMPLE_FLIGHTS.values() for p in (o, d)} - {HUB})
        others = [p for p in OUTSTATIONS if p.iata not in required]
        wanted = max(8, round(len(OUTSTATIONS) * self.scale))
        keyed = sorted(others, key=lambda p: -(rng.random() ** (1 / p.weight)))
        chosen = [p for p in OUTSTATIONS if p.iata in required] + keyed[: max(0, wanted - len(required))]
        ports = [_HUB_PORT, *sorted(chosen, key=lambda p: p.iata)]
        for p in ports:
            mct = (60, 90, 120) if p.iata == HUB else _MCT_PRESETS[rng.choice((0, 1, 1, 1, 2))]
            self.ports[p.iata] = p
            self.airports[p.iata] = Airport(
                iata=p.iata,
                icao=p.icao,
                name=p.name,
                country=p.country,
                timezone=p.timezone,
                curfew_start_local=p.curfew[0] if p.curfew else None,
                curfew_end_local=p.curfew[1] if p.curfew else None,
                mct=MinimumConnectionTimes(
                    same_terminal=mct[0], international=mct[1], terminal_change=mct[2]
                ),
                slot_coordinated=p.slot,
                is_eu=p.eu,
                lat=p.lat,
                lon=p.lon,
            )
            self.frequency[p.iata] = 0
        hub = self.ports[HUB]
        for p in ports[1:]:
            d = round(great_circle_km(hub.lat, hub.lon, p.lat, p.lon), 1)
            self.distances[(HUB, p.iata)] = self.distances[(p.iata, HUB)] = d

    def _block(self, origin: str, dest: str) -> timedelta:
        """Block time: 30 min taxi/climb allowance, cruise faster on long sectors (12–15 km/min), and a
        prevailing-wind factor (westerlies): AUH–FRA 6h40, AUH–LHR 7h25, AUH–SYD 13h30, SYD–AUH 14h25."""
        d = self.distances[(origin, dest)]
        eastbound = self.ports[dest].lon > self.ports[origin].lon
        minutes = (30 + d / (12.0 + min(d, 9000) / 3000)) * (0.97 if eastbound else 1.04)
        return timedelta(minutes=5 * round(minutes / 5))

    def _eligible(self, t: _Type, iata: str) -> bool:
        d = self.distances[(HUB, iata)]
        return t.min_km <= d <= min(t.max_km, t.range_km * 0.9)

    def _curfew(self, iata: str, moment: datetime) -> bool:
        return in_curfew(self.airports[iata], moment, CURFEW_BUFFER_MINUTES)

    # -- fleet -------------------------------------------------------------------------------------
    def _fleet(self) -> None:
        rng, t0 = self.rng, self.t0
        counters: dict[str, int] = {t.code: 0 for t in TYPES}
        taken = {tail for _, _, _, tail in SAMPLE_FLIGHTS.values()}

        def registration(t: _Type) -> str:
            while True:
                n = counters[t.code]
                counters[t.code] += 1
                prefix = t.prefixes[min(n // 26, len(t.prefixes) - 1)]
                reg = (
                    f"A6-{prefix}{chr(ord('A') + n % 26)}"
                    if n < 26 * len(t.prefixes)
                    else f"A6-{prefix}{n:02d}"
                )
                if reg not in taken:
                    return reg

        for number, (origin, dest, clock, reg) in SAMPLE_FLIGHTS.items():
            std = datetime.combine(self.day, clock, tzinfo=UTC)
            t = _TYPE_BY_CODE[SAMPLE_TYPE]
            deferrals = "sample_aog" if number == "EY789" else "clean"
            self.tails.append(_Tail(reg, t, origin, std, deferrals=deferrals, forced=[(dest, number, std)]))
        for t in TYPES:
            flying = max(1, round(t.fleet * self.scale))
            if t.code == SAMPLE_TYPE:
                flying = max(0, flying - len(SAMPLE_FLIGHTS))
            for _ in range(flying):
                reg = registration(t)
                if rng.random() < 0.5:
                    station, ready = HUB, t0 + timedelta(minutes=rng.randrange(0, 6 * 60, 5))
                else:
                    eligible = [p for p in self.ports if p != HUB and self._eligible(t, p)]
                    station = self._pick_destination(eligible) if eligible else HUB
                    ready = t0 + timedelta(minutes=rng.randrange(0, 10 * 60, 5))
                self.tails.append(_Tail(reg, t, station, ready))
        keep = max(3, round(len(_SPARES) * self.scale))
        for code, status, deferrals in _SPARES[:keep]:
            t = _TYPE_BY_CODE[code]
            self.tails.append(
                _Tail(registration(t), t, HUB, t0, status=status, deferrals=deferrals, spare=True)
            )
        for tail in self.tails:
            if tail.deferrals == "clean" and not tail.forced and rng.random() < 0.15:
                tail.deferrals = "open"

    def _pick_destination(self, candidates: list[str]) -> str:
        return self._ranked_destinations(candidates)[0]

    def _ranked_destinations(self, candidates: list[str]) -> list[str]:
        """Weighted random order (Efraimidis–Spirakis): demand, fewer flights so far, shorter sectors."""
        rng = self.rng
        keyed = []
        for iata in candidates:
            d = self.distances[(HUB, iata)]
            w = self.ports[iata].weight / (1 + self.frequency[iata]) / (1 + d / 2500)
            keyed.append((rng.random() ** (1 / w), iata))
        keyed.sort(reverse=True)
        return [iata for _, iata in keyed]

    # -- rotations ---------------------------------------------------------------------------------
    def _hub_windows(self, after: datetime) -> list[tuple[datetime, datetime]]:
        tz = ZoneInfo(self.ports[HUB].timezone)
        out = []
        for offset in range(-1, 4):
            d = self.day + timedelta(days=offset)
            for bank in _BANKS_LOCAL:
                start = datetime.combine(d, bank, tzinfo=tz).astimezone(UTC)
                end = start + timedelta(minutes=_BANK_MINUTES)
                if end >= after:
                    out.append((start, end))
        return sorted(out)

    def _leg(self, tail: _Tail, origin: str, dest: str, std: datetime) -> _Leg:
        if origin == HUB:
            self.frequency[dest] += 1
        sta = std + self._block(origin, dest)
        return _Leg(origin, dest, std, sta, tail.tail, tail.type, self.distances[(origin, dest)])

    def _outbound(self, tail: _Tail, ready: datetime) -> _Leg | None:
        rng = self.rng
        eligible = [p for p in self.ports if p != HUB and self._eligible(tail.type, p)]
        order = self._ranked_destinations(eligible)[:6]
        windows = self._hub_windows(ready)[:4]
        for candidate in order:
            block = self._block(HUB, candidate)
            for start, end in windows:
                earliest = max(_round5(ready), start)
                if earliest > end:
                    continue
                span = int((end - earliest).total_seconds() // 300)
                std = earliest + timedelta(minutes=5 * int(span * rng.random() ** 2))
                if std >= self.t_end:
                    return None
                if not self._curfew(candidate, std + block):
                    return self._leg(tail, HUB, candidate, std)
        return None

    def _inbound(self, tail: _Tail, origin: str, ready: datetime) -> _Leg:
        rng = self.rng
        block = self._block(origin, HUB)
        std = _round5(ready)
        for _ in range(72):
            if not self._curfew(origin, std):
                break
            std += timedelta(minutes=15)
        # Time the arrival into a hub bank when that costs at most two hours on the ground.
        sta = std + block
        for start, _ in self._hub_windows(sta - timedelta(hours=6)):
            arrive_from = start - timedelta(minutes=_ARRIVAL_WINDOW[0])
            arrive_to = start - timedelta(minutes=_ARRIVAL_WINDOW[1])
            if sta > arrive_to:
                continue
            if sta < arrive_from:
                shift = arrive_from - sta + timedelta(minutes=5 * rng.randrange(0, 12))
                moved = std + shift
                if shift <= timedelta(hours=2) and not self._curfew(origin, moved):
                    std = moved
            break
        return _Leg(origin, HUB, std, std + block, tail.tail, tail.type, self.distances[(origin, HUB)])

    def _turn(self, t: _Type, leg: _Leg) -> timedelta:
        at_hub = leg.dest == HUB
        if not t.widebody:
            minutes = 45 if at_hub else 50
        elif leg.block >= 8 * 60:
            minutes = 120 if at_hub else 150
        else:
            minutes = 90 if at_hub else 100
        return timedelta(minutes=minutes + 5 * self.rng.randrange(0, 7))

    def _rotations(self) -> None:
        for tail in self.tails:
            if tail.spare:
                continue
            loc, ready = tail.station, tail.ready
            forced = list(tail.forced)
            while True:
                number: str | None = None
                if forced:
                    dest, number, std = forced.pop(0)
                    leg: _Leg | None = self._leg(tail, loc, dest, std)
                elif loc == HUB:
                    leg = self._outbound(tail, ready)
                else:
                    leg = self._inbound(tail, loc, ready)
                if leg is None or leg.std >= self.t_end:
                    break
                leg.number = number
                tail.legs.append(leg)
                loc, ready = leg.dest, leg.sta + self._turn(tail.type, leg)
            self.legs.extend(tail.legs)

    def _numbers(self) -> None:
        """Flight numbers: a block of 20 per route (odd out of the hub, even back), in departure order."""
        index = {p.iata: i for i, p in enumerate(OUTSTATIONS)}
        used: dict[date, set[int]] = {}
        for leg in self.legs:
            if leg.number is not None:
                used.setdefault(leg.std.date(), set()).add(int(leg.number[2:]))
        ordinal: dict[tuple[date, str, str], int] = {}
        spill = 7000
        for leg in sorted(self.legs, key=lambda leg: (leg.std, leg.origin, leg.dest)):
            if leg.number is not None:
                continue
            day = leg.std.date()
            taken = used.setdefault(day, set())
            k = ordinal.get((day, leg.origin, leg.dest), 0)
            ordinal[(day, leg.origin, leg.dest)] = k + 1
            outbound = leg.origin == HUB
            base = 100 + 20 * index[leg.dest if outbound else leg.origin]
            number = base + 2 * k + (1 if outbound else 2)
            if k >= 10 or number in taken or number in _RESERVED_NUMBERS:
                while spill in taken:
                    spill += 1
                number = spill
            taken.add(number)
            leg.number = f"{AIRLINE}{number}"
        self.legs.sort(key=lambda leg: (leg.std, leg.number or ""))

    # -- crew ----------------------------------------------------------------------------------------
    def _duties(self) -> list[_Duty]:
        duties: list[_Duty] = []
        for tail in self.tails:
            legs = tail.legs
            i = 0
            while i < len(legs):
                duty = self._cut_duty(legs, i)
                duties.append(duty)
                i += len(duty.legs)
        duties.sort(key=lambda d: (d.report, d.legs[0].number or ""))
        return duties

    def _report(self, first: _Leg) -> datetime:
        return first.std - timedelta(minutes=75 if first.type.widebody else 60)

    def _cut_duty(self, legs: list[_Leg], i: int) -> _Duty:
        """The longest run of sectors from legs[i] that ends at the hub and fits Table 2 less 45 min."""
        first = legs[i]
        report = self._report(first)
        tz = ZoneInfo(self.ports[first.origin].timezone)
        max_sectors = 2 if first.type.widebody else 4
        best: list[_Leg] | None = None
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
            return _Duty(best, 0, report, best[-1].sta + timedelta(minutes=30))
        block = first.block
        augmented = 0
        fdp = int((first.sta - report).total_seconds() // 60)
        if fdp > max_fdp_minutes(report.astimezone(tz), 1) - 45:
            augmented = 2 if fdp > 16 * 60 - 45 or block > 12 * 60 else 1
        return _Duty([first], augmented, report, first.sta + timedelta(minutes=30))

    def _history(self, crew_id: str, report: datetime, near_limit: bool) -> dict[str, Any]:
        rng = self.rng
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

    def _new_crew(
        self, rank: str, rating: str, base: str, location: str, report: datetime, crew_id: str | None = None
    ) -> _Crew:
        rng = self.rng
        crew_id = crew_id or f"C{len(self.crew) + 10001:05d}"
        if rank in ("SCCM", "CC"):  # cabin crew hold up to three type qualifications
            ratings = (
                list(_WIDEBODY_FAMILIES) if rating == "WB" else ["A320", *rng.choice(([], [], ["B787"]))]
            )
        else:
            ratings = [rating]
        member = _Crew(
            crew_id=crew_id,
            rank=rank,
            rating=rating,
            base=base,
            location=location,
            available=self.t0 - timedelta(days=1),
            history=self._history(crew_id, report, near_limit=rng.random() < 0.03),
            ratings=ratings,
            name=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        )
        if location != base:
            offset = abs(self._utc_offset(location, report) - self._utc_offset(base, report))
            member.acclimatised = offset < 4
        self.crew.append(member)
        return member

    def _utc_offset(self, iata: str, moment: datetime) -> float:
        off = moment.astimezone(ZoneInfo(self.ports[iata].timezone)).utcoffset()
        return 0.0 if off is None else off.total_seconds() / 3600

    @staticmethod
    def _pool(t: _Type, rank: str) -> str:
        """Pilots fly one family (type rating); cabin crew one group: narrowbody, or all three widebodies."""
        if rank in ("CPT", "FO"):
            return t.family
        return "WB" if t.widebody else "NB"

    def _complement(self, duty: _Duty) -> list[str]:
        t = duty.legs[0].type
        cockpit = (
            ["CPT", "FO"] + (["FO"] if duty.augmented >= 1 else []) + (["CPT"] if duty.augmented >= 2 else [])
        )
        return cockpit + ["SCCM"] + ["CC"] * (t.cabin_crew - 1)

    def _roster(self) -> None:
        """Assign crew to duties in report order: the longest-rested member at the station, else a new one."""
        self.crew: list[_Crew] = []
        self.duty_records: list[dict[str, Any]] = []
        pools: dict[tuple[str, str, str], list[tuple[datetime, int, _Crew]]] = {}
        seq = 0
        for duty in self._duties():
            first = duty.legs[0]
            station, day = first.origin, first.std.date()
            assigned: list[_Crew] = []
            sample = next((leg.number for leg in duty.legs if leg.number in SAMPLE_FLIGHTS), None)
            named = (
                self._sample_crew_ids(sample, self._complement(duty)) if day == self.day and sample else []
            )
            for i, rank in enumerate(self._complement(duty)):
                rating = self._pool(first.type, rank)
                if named:
                    assigned.append(self._new_crew(rank, rating, HUB, station, duty.report, crew_id=named[i]))
                    continue
                heap = pools.setdefault((rating, rank, station), [])
                stash: list[tuple[datetime, int, _Crew]] = []
                member: _Crew | None = None
                while heap and heap[0][0] <= duty.report:
                    entry = heappop(heap)
                    if day in entry[2].dates:
                        stash.append(entry)
                        continue
                    member = entry[2]
                    break
                for entry in stash:
                    heappush(heap, entry)
                if member is None:
                    member = self._new_crew(rank, rating, HUB, station, duty.report)
                assigned.append(member)
            self._record_duty(duty, assigned)
            last = duty.legs[-1].dest
            for member in assigned:
                home = last == member.base
                rest = max(12 * 60 if home else 10 * 60, duty.minutes)
                member.available = duty.end + timedelta(minutes=rest)
                member.location = last
                member.dates.append(day)
                seq += 1
                heappush(
                    pools.setdefault((member.rating, member.rank, last), []), (member.available, seq, member)
                )

    @staticmethod
    def _sample_crew_ids(number: str, ranks: list[str]) -> list[str]:
        """The scenarios' crew ids for a sample flight: C123A, C123B (captains), F123A, S123A, CC123A..."""
        prefix = {"CPT": "C", "FO": "F", "SCCM": "S", "CC": "CC"}
        seen: dict[str, int] = {}
        out = []
        for rank in ranks:
            n = seen.get(rank, 0)
            seen[rank] = n + 1
            out.append(f"{prefix[rank]}{number[2:]}{chr(ord('A') + n)}")
        return out

    def _record_duty(self, duty: _Duty, crew: list[_Crew]) -> None:
        keys = [leg.key for leg in duty.legs]
        cockpit = [c.crew_id for c in crew if c.rank in ("CPT", "FO")]
        cabin = [c.crew_id for c in crew if c.rank in ("SCCM", "CC")]
        for leg in duty.legs:
            leg.cockpit, leg.cabin = cockpit, cabin
        duty_hours = duty.minutes / 60
        flight_hours = duty.block_minutes / 60
        override = {0: None, 1: 16 * 60, 2: 17 * 60}[duty.augmented]
        for member in crew:
            h = member.history
            # Planned rosters are legal: keep the cumulative totals under their limits with this duty.
            h["duty_hours_7d"] = round(min(h["duty_hours_7d"], 60 - duty_hours - 0.5), 1)
            h["duty_hours_14d"] = round(
                min(max(h["duty_hours_14d"], h["duty_hours_7d"]), 110 - duty_hours - 1), 1
            )
            h["duty_hours_28d"] = round(
                min(max(h["duty_hours_28d"], h["duty_hours_14d"]), 190 - duty_hours - 1), 1
            )
            h["flight_hours_28d"] = round(min(h["flight_hours_28d"], 100 - flight_hours - 0.5), 1)
            h["flight_hours_calendar_year"] = round(
                min(h["flight_hours_calendar_year"], 900 - flight_hours - 1), 1
            )
            h["flight_hours_12m"] = round(
                min(max(h["flight_hours_12m"], h["flight_hours_calendar_year"]), 1000 - flight_hours - 1), 1
            )
            if h["last_duty_end_utc"] > duty.report - timedelta(hours=10):
                h["last_duty_end_utc"] = duty.report - timedelta(hours=12)
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
            # What the next duty sees: this one completed.
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

    def _near_limit_on_sample(self) -> None:
        """EY123's first officer is close to the 60 h / 7 days limit: a 3-hour delay breaks it."""
        leg = next(leg for leg in self.legs if leg.number == "EY123")
        fo = next(c for c in self.crew if c.crew_id in leg.cockpit and c.rank == "FO")
        for record in self.duty_records:
            if record["crew_id"] == fo.crew_id and record["duty_date"] == leg.std.date():
                report: datetime = record["report_time_utc"]
                planned = (leg.sta + timedelta(minutes=30) - report).total_seconds() / 3600
                record["duty_hours_7d"] = round(60 - planned - 1.5, 1)
                record["duty_hours_14d"] = max(record["duty_hours_14d"], record["duty_hours_7d"] + 12)
                record["duty_hours_28d"] = max(record["duty_hours_28d"], record["duty_hours_14d"] + 30)

    def _reserves(self) -> None:
        """About 5% of crew on standby: most at the hub, a few at the outstation crew bases."""
        rng = self.rng
        rostered = len(self.crew)
        demand: dict[tuple[str, str], int] = {}
        for c in self.crew:
            demand[(c.rating, c.rank)] = demand.get((c.rating, c.rank), 0) + 1
        wanted = round(rostered * 0.05 / 0.95)
        keys = sorted(demand)
        total = sum(demand.values())
        starts = [-2, 6, 14, 2, 10, 18, 22, 30]  # 12-hour standby shifts; the first three cover the day
        for rating, rank in keys:
            n = max(3, round(wanted * demand[(rating, rank)] / total))
            for i in range(n):
                start = self.t0 + timedelta(hours=starts[i % len(starts)] + rng.choice((0, 1)))
                self._reserve(rank, rating, HUB, start, start + timedelta(hours=12))
        types_at: dict[str, dict[str, _Type]] = {}
        for leg in self.legs:
            if leg.origin != HUB:
                types_at.setdefault(leg.origin, {}).setdefault(leg.type.family, leg.type)
        for base in ("FRA", "LHR", "BOM"):
            for family in sorted(types_at.get(base, {})):
                t = types_at[base][family]
                for rank in ("CPT", "FO", "SCCM", "CC", "CC"):
                    start = self.t0 + timedelta(hours=rng.choice((0, 4, 8)))
                    self._reserve(rank, self._pool(t, rank), base, start, start + timedelta(hours=14))

    def _reserve(self, rank: str, rating: str, base: str, start: datetime, end: datetime) -> None:
        member = self._new_crew(rank, rating, base, base, start)
        member.reserve = (start, end)
        day = start.date()
        while datetime.combine(day, time(0), tzinfo=UTC) < end:
            self.duty_records.append(
                {"crew_id": member.crew_id, "duty_date": day, "report_station": base, **member.history}
            )
            day += timedelta(days=1)

    # -- passengers --------------------------------------------------------------------------------
    def _pnr(self) -> str:
        rng = self.rng
        while True:
            pnr = "".join(rng.choices(_PNR_ALPHABET, k=6))
            if pnr not in self.pnrs:
                self.pnrs.add(pnr)
                return pnr

    @staticmethod
    def _pick(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
        x = rng.random() * sum(p for _, p in table)
        for value, p in table:
            x -= p
            if x <= 0:
                return value
        return table[-1][0]

    def _fare(self, leg: _Leg, cabin: str) -> float:
        return (60 + leg.distance * 0.075) * _FARE_FACTOR[cabin] * self.rng.uniform(0.6, 1.5)

    def _booking(self, leg: _Leg, cabin: str, pax: int, pnr: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "pnr": pnr,
            "flight_key": leg.key,
            "pax_count": pax,
            "cabin": cabin,
            "revenue_eur": round(self._fare(leg, cabin) * pax, 2),
            **extra,
        }

    def _passenger_profile(self, cabin: str, pax: int) -> dict[str, Any]:
        rng = self.rng
        profile: dict[str, Any] = {}
        tier = self._pick(rng, _TIERS[cabin])
        if tier != "none":
            profile["loyalty_tier"] = tier
        needs = [code for code, p in _SSR if rng.random() < p and (code != "UMNR" or pax == 1)]
        if needs:
            profile["special_needs"] = needs[:2]
        return profile

    def _bookings(self) -> None:
        rng = self.rng
        self.pnrs: set[str] = set()
        self.bookings: list[dict[str, Any]] = []
        remaining: list[dict[str, int]] = []
        for leg in self.legs:
            seats: dict[str, int] = {}
            for cabin, n in leg.type.cabins:
                mean, sd = _LOAD_FACTOR[cabin]
                seats[cabin] = round(n * min(1.0, max(0.3, rng.gauss(mean, sd))))
            remaining.append(seats)
        position = {id(leg): i for i, leg in enumerate(self.legs)}
        departures = [leg for leg in self.legs if leg.origin == HUB]
        dep_times = [leg.std for leg in departures]
        mct = self.airports[HUB].mct.same_terminal
        # 1. Connections at the hub: the same PNR on the inbound and the onward flight.
        for leg in self.legs:
            if leg.dest != HUB:
                continue
            seats = remaining[position[id(leg)]]
            lo = bisect_left(dep_times, leg.sta + timedelta(minutes=mct))
            hi = bisect_left(dep_times, leg.sta + timedelta(hours=8))
            onward_pool = [d for d in departures[lo:hi] if d.dest != leg.origin]
            for cabin in list(seats):
                share = 0.7 if cabin in ("business", "first") else 0.6
                budget = round(seats[cabin] * share)
                tries = 0
                while budget > 0 and onward_pool and tries < 400:
                    tries += 1
                    pax = min(self._pick(rng, _PARTY), budget)
                    onward = rng.choice(onward_pool)
                    onward_seats = remaining[position[id(onward)]]
                    if onward_seats.get(cabin, 0) < pax:
                        continue
                    pnr = self._pnr()
                    profile = self._passenger_profile(cabin, pax)
                    connection = {
                        "flight_number": onward.number,
                        "flight_date": onward.std.date(),
                        "destination": onward.dest,
                        "departure_terminal": self.ports[HUB].terminal,
                    }
                    self.bookings.append(
                        self._booking(leg, cabin, pax, pnr, {**profile, "onward": connection})
                    )
                    self.bookings.append(self._booking(onward, cabin, pax, pnr, profile))
                    seats[cabin] -= pax
                    onward_seats[cabin] -= pax
                    budget -= pax
        # 2. Point-to-point passengers fill the rest; some travel on with another carrier beyond.
        for leg in self.legs:
            seats = remaining[position[id(leg)]]
            beyond = _BEYOND.get(leg.dest) if leg.origin == HUB else None
            for cabin in list(seats):
                while seats[cabin] > 0:
                    pax = min(self._pick(rng, _PARTY), seats[cabin])
                    extra = self._passenger_profile(cabin, pax)
                    if beyond is not None and rng.random() < 0.05:
                        carrier, cities = beyond
                        extra["onward"] = {
                            "flight_number": f"{carrier}{rng.randrange(100, 9999)}",
                            "flight_date": (leg.sta + timedelta(minutes=90)).date(),
                            "std_utc": leg.sta + timedelta(minutes=5 * rng.randrange(15, 60)),
                            "destination": rng.choice(cities),
                        }
                        extra["onward"]["flight_date"] = extra["onward"]["std_utc"].date()
                    self.bookings.append(self._booking(leg, cabin, pax, self._pnr(), extra))
                    seats[cabin] -= pax
        pax_by_key: dict[str, int] = {}
        for b in self.bookings:
            pax_by_key[b["flight_key"]] = pax_by_key.get(b["flight_key"], 0) + b["pax_count"]
        for leg in self.legs:
            leg.pax = pax_by_key.get(leg.key, 0)
        self.bookings.sort(key=lambda b: (b["flight_key"], b["pnr"]))

    # -- cargo ---------------------------------------------------------------------------------------
    def _awb(self) -> str:
        serial = self.rng.randrange(1_000_000, 9_999_999)
        return f"{AWB_PREFIX}-{serial}{serial % 7}"

    def _shipment(
        self,
        leg: _Leg,
        codes: tuple[str, ...],
        temp: str,
        desc: str,
        weight: float,
        rate: float,
        deadline_after: int | None,
    ) -> dict[str, Any]:
        rng = self.rng
        s: dict[str, Any] = {
            "awb": self._awb(),
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

    def _cargo(self) -> None:
        rng = self.rng
        self.cargo: list[dict[str, Any]] = []
        table = tuple((kind, kind[3]) for kind in _CARGO_KINDS)
        rates = {kind[2]: kind[5] for kind in _CARGO_KINDS}
        for leg in self.legs:
            n = rng.randint(6, 22) if leg.type.widebody else rng.randint(1, 5)
            seen: set[str] = set()
            for _ in range(n):
                codes, temp, desc, _p, (lo, hi), rate = self._pick(rng, table)
                if not leg.type.widebody and "AVI" in codes and desc == "Live horses":
                    continue
                deadline = None
                if codes:
                    deadline = 5 * rng.randrange(24, 576)  # 2 h to 48 h after arrival
                    if rng.random() < 0.15:
                        deadline = 5 * rng.randrange(12, 48)  # tight: 1–4 h
                s = self._shipment(leg, codes, temp, desc, rng.uniform(lo, hi), rate, deadline)
                if s["awb"] not in seen:
                    seen.add(s["awb"])
                    self.cargo.append(s)
            if leg.std.date() == self.day:
                for codes, temp, desc, after in _SAMPLE_CARGO.get(leg.number or "", ()):
                    rate = rates.get(desc, 30.0)
                    self.cargo.append(
                        self._shipment(leg, codes, temp, desc, rng.uniform(20, 400), rate, after)
                    )
        self.cargo.sort(key=lambda s: (s["flight_key"], s["awb"]))

    # -- records -------------------------------------------------------------------------------------
    def _defects(self, tail: _Tail) -> list[dict[str, Any]]:
        rng, day = self.rng, self.day
        out: list[dict[str, Any]] = []

        def deferral(expired: bool, n: int) -> dict[str, Any]:
            item, desc, cat, a_days = rng.choice(_DEFERRABLE)
            interval = {"A": a_days or 1, "B": 3, "C": 10, "D": 120}[cat]
            if expired:
                found = day - timedelta(days=interval + rng.randint(1, 4))
            else:
                found = day - timedelta(days=rng.randint(0, max(0, interval - 1)))
            d: dict[str, Any] = {
                "defect_id": f"{tail.tail.replace('-', '')}-D{n}",
                "description": desc,
                "mel_item": item,
                "mel_category": cat,
                "discovered_on": found,
            }
            if cat == "A":
                d["category_a_interval_days"] = interval
            return d

        if rng.random() < 0.3:
            old = deferral(False, 0)
            old.update(rectified=True, discovered_on=day - timedelta(days=rng.randint(15, 60)))
            out.append(old)
        if tail.deferrals == "open":
            out.extend(deferral(False, i + 1) for i in range(rng.choice((1, 1, 2))))
        elif tail.deferrals == "expired":
            out.append(deferral(True, 1))
        elif tail.deferrals == "sample_aog":  # the EY789 scenario: found expired on the day
            out.append(
                {
                    "defect_id": "D-BLC-1",
                    "description": "Cabin pressure controller channel B inoperative",
                    "mel_item": "21-31-01",
                    "mel_category": "B",
                    "discovered_on": day - timedelta(days=5),
                    "estimated_rectification_minutes": 600,
                }
            )
        elif tail.deferrals == "aog":
            out.append(
                {
                    "defect_id": f"{tail.tail.replace('-', '')}-D1",
                    "description": _NON_DEFERRABLE[1],
                    "mel_item": _NON_DEFERRABLE[0],
                    "discovered_on": day - timedelta(days=1),
                    "estimated_rectification_minutes": 600,
                }
            )
        return out

    def _document(self) -> dict[str, Any]:
        aircraft = []
        for tail in sorted(self.tails, key=lambda t: t.tail):
            aircraft.append(
                {
                    "tail": tail.tail,
                    "type_code": tail.type.code,
                    "seats": tail.type.seats,
                    "home_base": HUB,
                    "station": tail.legs[0].origin if tail.legs else tail.station,
                    "status": tail.status,
                    "defects": self._defects(tail),
                }
            )
        flights = []
        for leg in self.legs:
            flights.append(
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
                    "departure_terminal": self.ports[leg.origin].terminal,
                    "arrival_terminal": self.ports[leg.dest].terminal,
                    "cockpit_crew": leg.cockpit,
                    "cabin_crew": leg.cabin,
                }
            )
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
        types = [
            {"type_code": t.code, "family": t.family, "seats": t.seats, "range_km": t.range_km}
            for t in TYPES
            if any(tail.type is t for tail in self.tails)
        ]
        return {
            "generated_at": self.t0,
            "airline": AIRLINE,
            "airports": [a.model_dump() for a in self.airports.values()],
            "aircraft_types": types,
            "aircraft": aircraft,
            "flights": flights,
            "crew": crew,
            "duties": sorted(self.duty_records, key=lambda d: (d["crew_id"], d["duty_date"])),
            "bookings": self.bookings,
            "cargo": self.cargo,
            "cost_parameters": CostParameters().model_dump(),
        }

    def run(self) -> OpsDataset:
        self._network()
        self._fleet()
        self._rotations()
        self._numbers()
        self._roster()
        self._near_limit_on_sample()
        self._reserves()
        self._bookings()
        self._cargo()
        return OpsDataset.model_validate(self._document())


def generate_day(day: date = DEFAULT_DAY, seed: int = 7, scale: float = 1.0) -> OpsDataset:
    """A deterministic hub airline day (same arguments, same dataset, byte for byte). See the module doc."""
    return _DayGenerator(day, seed, scale).run()


def write_dataset(ds: OpsDataset, path: str | Path, *, indent: int | None = None) -> Path:
    """Write the import document as JSON (gzip-compressed when the name ends in `.gz`); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = ds.model_dump_json(indent=indent).encode()
    if target.suffix == ".gz":
        with gzip.GzipFile(filename=target, mode="wb", mtime=0) as fh:
            fh.write(data)
    else:
        target.write_bytes(data)
    return target


def read_dataset(path: str | Path) -> OpsDataset:
    """Read an import document written by `write_dataset` (plain or `.gz`)."""
    source = Path(path)
    data = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
    return OpsDataset.model_validate_json(data)


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


__all__ = ["DEFAULT_DAY", "HUB", "SAMPLE_FLIGHTS", "generate_day", "read_dataset", "summary", "write_dataset"]
