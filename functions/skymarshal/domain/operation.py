"""Operational data: the import document, the read patterns the agents need, and the per-disruption snapshot.

- `OpsDataset` is the ONE import document (JSON, `schema_version` "1"): airports, aircraft types, aircraft,
  flights, crew, duties, bookings, cargo and cost parameters; cross-references are checked with clear errors.
- A flight is addressed by its key `"EY123/2026-12-01"` (`flight_key()`); every datetime is aware UTC and
local
  times come from the airport's IANA timezone; durations are minutes, cumulative crew totals are hours.
- `OpsReader` lists the access patterns, each by key or by an index (never a scan), that a DynamoDB reader
  implements; `InMemoryOpsReader` builds the same indexes once over a dataset (tests, `--ops-data FILE`).
- `Snapshot` is everything one disruption needs, read once and stored as one JSON checkpoint: a registry of
the
  flights involved plus key lists, bookings aggregated except the connecting ones, which stay in detail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..models import DisruptionEvent

SCHEMA_VERSION: Literal["1"] = "1"

IATA = r"^[A-Z]{3}$"
FLIGHT_NUMBER = r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$"
FLIGHT_KEY = r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?/[0-9]{4}-[0-9]{2}-[0-9]{2}$"

AircraftStatus = Literal["available", "maintenance", "aog"]
MelCategory = Literal["A", "B", "C", "D"]
FlightStatus = Literal["scheduled", "delayed", "cancelled", "departed", "arrived"]
Rank = Literal["CPT", "FO", "SCCM", "CC"]
Cabin = Literal["first", "business", "premium_economy", "economy"]
LoyaltyTier = Literal["none", "silver", "gold", "platinum"]
HandlingCode = Literal["PER", "DGR", "AVI", "PIL", "VAL", "HUM"]
TemperatureClass = Literal["none", "frozen", "REF", "COL"]
ConnectionType = Literal["same_terminal", "international", "terminal_change"]

COCKPIT_RANKS: tuple[Rank, ...] = ("CPT", "FO")
CABIN_RANKS: tuple[Rank, ...] = ("SCCM", "CC")


def flight_key(flight_number: str, flight_date: date) -> str:
    """The key of one flight: `EY123/2026-12-01` (number / scheduled departure date, UTC)."""
    return f"{flight_number}/{flight_date.isoformat()}"


def split_flight_key(key: str) -> tuple[str, date]:
    number, _, day = key.partition("/")
    return number, date.fromisoformat(day)


class Record(BaseModel):
    """Base of the operational records: unknown fields are refused, so a typo in an import is an error."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------------
# Airports and aircraft
# --------------------------------------------------------------------------------------------------
class MinimumConnectionTimes(Record):
    """Minimum connection times (minutes) by connection type. Sample values from FACTS.md: 60 / 90 / 120."""

    same_terminal: int = Field(default=60, ge=0, le=600)
    international: int = Field(default=90, ge=0, le=600)
    terminal_change: int = Field(default=120, ge=0, le=600)

    def for_type(self, kind: ConnectionType) -> int:
        return int(getattr(self, kind))


class Airport(Record):
    iata: str = Field(pattern=IATA)
    icao: str | None = Field(default=None, pattern=r"^[A-Z]{4}$")
    name: str
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    timezone: str = Field(description="IANA timezone, e.g. Europe/Berlin")
    curfew_start_local: time | None = Field(default=None, description="No movements from this local time...")
    curfew_end_local: time | None = Field(default=None, description="...until this local time (may wrap)")
    mct: MinimumConnectionTimes = Field(default_factory=MinimumConnectionTimes)
    slot_coordinated: bool = False
    is_eu: bool = Field(default=False, description="In EU261 scope: EU/EEA/CH airport (or UK, under UK261)")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _curfew_both_ends(self) -> Airport:
        if (self.curfew_start_local is None) != (self.curfew_end_local is None):
            raise ValueError("curfew_start_local and curfew_end_local must be given together")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def has_curfew(self) -> bool:
        return self.curfew_start_local is not None and self.curfew_end_local is not None


class AircraftType(Record):
    type_code: str = Field(min_length=2, max_length=8, examples=["B789"])
    family: str = Field(min_length=1, max_length=16, description="Swap compatibility group, e.g. B787")
    type_rating: str | None = Field(default=None, description="Crew type rating code; defaults to the family")
    seats: int = Field(ge=1, le=1000, description="Typical configuration")
    range_km: float | None = Field(default=None, gt=0)

    @property
    def rating(self) -> str:
        return self.type_rating or self.family


class Defect(Record):
    """An open (or rectified) defect. `mel_category` None means the MEL does not allow deferral."""

    defect_id: str
    description: str
    mel_item: str | None = None
    mel_category: MelCategory | None = None
    category_a_interval_days: int | None = Field(
        default=None, ge=0, description="Category A: the interval stated in the item's remarks"
    )
    discovered_on: date
    rectified: bool = False
    estimated_rectification_minutes: int | None = Field(default=None, ge=0)


class Aircraft(Record):
    tail: str = Field(min_length=2, max_length=10, examples=["A6-BLA"])
    type_code: str
    seats: int = Field(ge=1, le=1000)
    home_base: str = Field(pattern=IATA)
    station: str = Field(pattern=IATA, description="Where the aircraft is now")
    status: AircraftStatus = "available"
    defects: list[Defect] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Flights
# --------------------------------------------------------------------------------------------------
class Flight(Record):
    flight_number: str = Field(pattern=FLIGHT_NUMBER)
    flight_date: date = Field(description="Scheduled departure date, UTC")
    origin: str = Field(pattern=IATA)
    destination: str = Field(pattern=IATA)
    std_utc: AwareDatetime
    sta_utc: AwareDatetime
    etd_utc: AwareDatetime | None = None
    eta_utc: AwareDatetime | None = None
    tail: str | None = None
    distance_km: float | None = Field(default=None, gt=0, description="Great-circle; computed when absent")
    booked_pax: int = Field(default=0, ge=0)
    capacity: int | None = Field(default=None, ge=0, description="Seats sold-able; the tail's seats if None")
    departure_terminal: str | None = None
    arrival_terminal: str | None = None
    cockpit_crew: list[str] = Field(default_factory=list)
    cabin_crew: list[str] = Field(default_factory=list)
    status: FlightStatus = "scheduled"

    @model_validator(mode="after")
    def _times(self) -> Flight:
        if self.origin == self.destination:
            raise ValueError("origin and destination must differ")
        if self.sta_utc <= self.std_utc:
            raise ValueError("sta_utc must be after std_utc")
        if self.std_utc.astimezone(UTC).date() != self.flight_date:
            raise ValueError("flight_date must be the UTC date of std_utc")
        return self

    @property
    def key(self) -> str:
        return flight_key(self.flight_number, self.flight_date)

    @property
    def block_minutes(self) -> int:
        return int((self.sta_utc - self.std_utc).total_seconds() // 60)

    @property
    def departure_utc(self) -> datetime:
        """Best known departure: estimated if given, else scheduled."""
        return self.etd_utc or self.std_utc

    @property
    def arrival_utc(self) -> datetime:
        return self.eta_utc or self.sta_utc


# --------------------------------------------------------------------------------------------------
# Crew
# --------------------------------------------------------------------------------------------------
class CrewMember(Record):
    crew_id: str
    name: str
    rank: Rank
    base: str = Field(pattern=IATA)
    type_ratings: list[str] = Field(default_factory=list)
    is_reserve: bool = False
    reserve_start_utc: AwareDatetime | None = None
    reserve_end_utc: AwareDatetime | None = None
    acclimatised: bool = True

    @model_validator(mode="after")
    def _reserve_window(self) -> CrewMember:
        if self.is_reserve and (self.reserve_start_utc is None or self.reserve_end_utc is None):
            raise ValueError("a reserve needs reserve_start_utc and reserve_end_utc")
        if self.reserve_start_utc and self.reserve_end_utc and self.reserve_end_utc <= self.reserve_start_utc:
            raise ValueError("reserve_end_utc must be after reserve_start_utc")
        return self

    @property
    def cockpit(self) -> bool:
        return self.rank in COCKPIT_RANKS


class CrewDuty(Record):
    """One crew member's duty on one date, with the history the FTL rules need.

    Cumulative totals are the hours *completed before* this duty (ORO.FTL.210 windows ending at report).
    A reserve on standby has a duty record with `report_time_utc` None and `planned_sectors` 0.
    """

    crew_id: str
    duty_date: date
    report_time_utc: AwareDatetime | None = None
    report_station: str | None = Field(default=None, pattern=IATA)
    planned_sectors: int = Field(default=0, ge=0, le=12)
    flight_keys: list[str] = Field(default_factory=list, description="Sectors of this FDP in order")
    augmented: bool = Field(default=False, description="Augmented flight crew (in-flight rest)")
    fdp_limit_override_minutes: int | None = Field(
        default=None,
        gt=0,
        description="Operator-approved limit where Table 2 does not apply (augmented crew)",
    )
    duty_hours_7d: float = Field(default=0, ge=0)
    duty_hours_14d: float = Field(default=0, ge=0)
    duty_hours_28d: float = Field(default=0, ge=0)
    flight_hours_28d: float = Field(default=0, ge=0)
    flight_hours_calendar_year: float = Field(default=0, ge=0)
    flight_hours_12m: float = Field(default=0, ge=0)
    last_duty_end_utc: AwareDatetime | None = None
    last_duty_minutes: int | None = Field(default=None, ge=0)
    extensions_used_7d: int = Field(default=0, ge=0)
    discretion_used_7d: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _sectors(self) -> CrewDuty:
        if self.flight_keys and self.planned_sectors < len(self.flight_keys):
            raise ValueError("planned_sectors is less than the number of flight_keys")
        return self


# --------------------------------------------------------------------------------------------------
# Passengers and cargo
# --------------------------------------------------------------------------------------------------
class OnwardConnection(Record):
    """The next flight of a booking after this one. For another carrier's flight give its std_utc."""

    flight_number: str = Field(pattern=FLIGHT_NUMBER)
    flight_date: date
    std_utc: AwareDatetime | None = None
    destination: str | None = Field(default=None, pattern=IATA)
    departure_terminal: str | None = None

    @property
    def key(self) -> str:
        return flight_key(self.flight_number, self.flight_date)


class Booking(Record):
    pnr: str = Field(min_length=1, max_length=16)
    flight_key: str = Field(pattern=FLIGHT_KEY)
    pax_count: int = Field(ge=1, le=99)
    cabin: Cabin = "economy"
    loyalty_tier: LoyaltyTier = "none"
    special_needs: list[str] = Field(default_factory=list, description="SSR codes: WCHR, UMNR, MEDA, ...")
    onward: OnwardConnection | None = None
    revenue_eur: float = Field(default=0, ge=0, description="Revenue of this segment for the whole booking")


class CargoShipment(Record):
    awb: str = Field(min_length=3, max_length=20)
    flight_key: str = Field(pattern=FLIGHT_KEY)
    description: str = ""
    handling_codes: list[HandlingCode] = Field(default_factory=list)
    temperature_class: TemperatureClass = "none"
    chain_exposure_minutes: int = Field(default=0, ge=0, description="Time out of the chain so far")
    max_time_out_minutes: int | None = Field(default=None, ge=0, description="Overrides the policy tolerance")
    delivery_deadline_utc: AwareDatetime | None = None
    weight_kg: float = Field(default=0, ge=0)
    revenue_eur: float = Field(default=0, ge=0)


# --------------------------------------------------------------------------------------------------
# Cost parameters (policy: configurable, never constants)
# --------------------------------------------------------------------------------------------------
class CostParameters(Record):
    """What things cost, per the airline. Defaults are orders of magnitude, not facts (FACTS.md "Costs")."""

    currency: Literal["EUR"] = "EUR"
    delay_cost_per_minute: float = Field(default=100.0, ge=0, description="EUROCONTROL order of magnitude")
    meal_per_pax: float = Field(default=15.0, ge=0)
    hotel_per_pax_night: float = Field(default=120.0, ge=0)
    ground_transport_per_pax: float = Field(default=25.0, ge=0)
    crew_reserve_callout: float = Field(default=400.0, ge=0, description="Per reserve called out")
    crew_overtime_per_hour: float = Field(default=150.0, ge=0, description="Per crew member")
    aircraft_swap_cost: float = Field(default=5000.0, ge=0)
    ferry_cost_per_block_hour: float = Field(default=8000.0, ge=0)
    avg_fare: float = Field(default=300.0, ge=0, description="Used when a booking has no revenue")
    rebooking_admin_per_pax: float = Field(default=10.0, ge=0)
    interline_rebooking_per_pax: float = Field(default=450.0, ge=0, description="Seat on another airline")
    cancellation_saving_per_block_hour: float = Field(
        default=0.0, ge=0, description="Operating cost not incurred when a flight is cancelled"
    )
    slot_loss_cost: float = Field(default=2000.0, ge=0)


# --------------------------------------------------------------------------------------------------
# The import document
# --------------------------------------------------------------------------------------------------
class OpsDataset(Record):
    """The one import document. `skymarshal schema ops-data` prints its JSON Schema."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    generated_at: AwareDatetime | None = None
    airline: str | None = None
    airports: list[Airport] = Field(default_factory=list)
    aircraft_types: list[AircraftType] = Field(default_factory=list)
    aircraft: list[Aircraft] = Field(default_factory=list)
    flights: list[Flight] = Field(default_factory=list)
    crew: list[CrewMember] = Field(default_factory=list)
    duties: list[CrewDuty] = Field(default_factory=list)
    bookings: list[Booking] = Field(default_factory=list)
    cargo: list[CargoShipment] = Field(default_factory=list)
    cost_parameters: CostParameters = Field(default_factory=CostParameters)

    @model_validator(mode="after")
    def _cross_references(self) -> OpsDataset:
        errors = dataset_errors(self)
        if errors:
            shown = errors[:25]
            more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
            raise ValueError("ops dataset cross-reference errors:\n  " + "\n  ".join(shown) + more)
        return self


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for v in values:
        if v in seen:
            dup.append(v)
        seen.add(v)
    return dup


def dataset_errors(ds: OpsDataset) -> list[str]:
    """Every cross-reference problem, each as `field[index].name: value — reason`."""
    errors: list[str] = []
    for name, values in (
        ("airports.iata", (a.iata for a in ds.airports)),
        ("aircraft_types.type_code", (t.type_code for t in ds.aircraft_types)),
        ("aircraft.tail", (a.tail for a in ds.aircraft)),
        ("flights (flight_number, flight_date)", (f.key for f in ds.flights)),
        ("crew.crew_id", (c.crew_id for c in ds.crew)),
        ("duties (crew_id, duty_date)", (f"{d.crew_id}/{d.duty_date}" for d in ds.duties)),
        ("bookings (pnr, flight_key)", (f"{b.pnr}@{b.flight_key}" for b in ds.bookings)),
        ("cargo (awb, flight_key)", (f"{c.awb}@{c.flight_key}" for c in ds.cargo)),
    ):
        for dup in _duplicates(values)[:5]:
            errors.append(f"{name}: {dup!r} is duplicated")
    airports = {a.iata for a in ds.airports}
    types = {t.type_code for t in ds.aircraft_types}
    tails = {a.tail for a in ds.aircraft}
    flights = {f.key for f in ds.flights}
    crew = {c.crew_id for c in ds.crew}
    for i, a in enumerate(ds.aircraft):
        if types and a.type_code not in types:
            errors.append(f"aircraft[{i}].type_code: {a.type_code!r} is not in aircraft_types")
        for field in ("home_base", "station"):
            if getattr(a, field) not in airports:
                errors.append(f"aircraft[{i}].{field}: {getattr(a, field)!r} is not in airports")
    for i, f in enumerate(ds.flights):
        for field in ("origin", "destination"):
            if getattr(f, field) not in airports:
                errors.append(f"flights[{i}].{field}: {getattr(f, field)!r} is not in airports")
        if f.tail is not None and f.tail not in tails:
            errors.append(f"flights[{i}].tail: {f.tail!r} is not in aircraft")
        for field in ("cockpit_crew", "cabin_crew"):
            for cid in getattr(f, field):
                if cid not in crew:
                    errors.append(f"flights[{i}].{field}: {cid!r} is not in crew")
    for i, c in enumerate(ds.crew):
        if c.base not in airports:
            errors.append(f"crew[{i}].base: {c.base!r} is not in airports")
    for i, d in enumerate(ds.duties):
        if d.crew_id not in crew:
            errors.append(f"duties[{i}].crew_id: {d.crew_id!r} is not in crew")
        for k in d.flight_keys:
            if k not in flights:
                errors.append(f"duties[{i}].flight_keys: {k!r} is not in flights")
    for i, b in enumerate(ds.bookings):
        if b.flight_key not in flights:
            errors.append(f"bookings[{i}].flight_key: {b.flight_key!r} is not in flights")
        if b.onward is not None and b.onward.key not in flights and b.onward.std_utc is None:
            errors.append(
                f"bookings[{i}].onward: {b.onward.key!r} is not in flights, so onward.std_utc is required"
            )
    for i, s in enumerate(ds.cargo):
        if s.flight_key not in flights:
            errors.append(f"cargo[{i}].flight_key: {s.flight_key!r} is not in flights")
    return errors


# --------------------------------------------------------------------------------------------------
# Access patterns
# --------------------------------------------------------------------------------------------------
class OpsReader(Protocol):
    """What the snapshot reads. Each call is a key lookup or an index query, never a table scan."""

    def get_flight(self, flight_number: str, flight_date: date) -> Flight | None: ...
    def get_airport(self, iata: str) -> Airport | None: ...
    def get_aircraft(self, tail: str) -> Aircraft | None: ...
    def get_aircraft_type(self, type_code: str) -> AircraftType | None: ...
    def aircraft_at_station(self, station: str) -> list[Aircraft]: ...
    def flights_of_tail(self, tail: str, start_utc: datetime, end_utc: datetime) -> list[Flight]: ...
    def crew(self, crew_ids: Iterable[str]) -> list[CrewMember]: ...
    def duties(self, crew_ids: Iterable[str], duty_date: date) -> list[CrewDuty]: ...
    def reserves_at(self, station: str, duty_date: date) -> list[CrewMember]: ...
    def bookings_for_flight(self, flight_key: str) -> list[Booking]: ...
    def cargo_for_flight(self, flight_key: str) -> list[CargoShipment]: ...
    def flights_on_route(
        self, origin: str, destination: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]: ...
    def departures(self, station: str, start_utc: datetime, end_utc: datetime) -> list[Flight]: ...
    def cost_parameters(self) -> CostParameters: ...


def _in_window(flights: Iterable[Flight], start_utc: datetime, end_utc: datetime) -> list[Flight]:
    return [f for f in flights if start_utc <= f.std_utc < end_utc]


class InMemoryOpsReader:
    """`OpsReader` over an `OpsDataset`, with the same indexes a DynamoDB table would have (built once)."""

    def __init__(self, dataset: OpsDataset) -> None:
        self.dataset = dataset
        self._airports = {a.iata: a for a in dataset.airports}
        self._types = {t.type_code: t for t in dataset.aircraft_types}
        self._aircraft = {a.tail: a for a in dataset.aircraft}
        self._flights = {f.key: f for f in dataset.flights}
        self._crew = {c.crew_id: c for c in dataset.crew}
        self._duties = {(d.crew_id, d.duty_date): d for d in dataset.duties}
        by_station: dict[str, list[Aircraft]] = defaultdict(list)
        for a in dataset.aircraft:
            by_station[a.station].append(a)
        self._by_station = dict(by_station)
        by_tail: dict[str, list[Flight]] = defaultdict(list)
        by_route: dict[tuple[str, str], list[Flight]] = defaultdict(list)
        by_origin: dict[str, list[Flight]] = defaultdict(list)
        for f in sorted(dataset.flights, key=lambda f: (f.std_utc, f.flight_number)):
            if f.tail:
                by_tail[f.tail].append(f)
            by_route[(f.origin, f.destination)].append(f)
            by_origin[f.origin].append(f)
        self._by_tail, self._by_route, self._by_origin = dict(by_tail), dict(by_route), dict(by_origin)
        reserves: dict[str, list[CrewMember]] = defaultdict(list)
        for c in dataset.crew:
            if c.is_reserve:
                reserves[c.base].append(c)
        self._reserves = dict(reserves)
        bookings: dict[str, list[Booking]] = defaultdict(list)
        for b in dataset.bookings:
            bookings[b.flight_key].append(b)
        self._bookings = dict(bookings)
        cargo: dict[str, list[CargoShipment]] = defaultdict(list)
        for s in dataset.cargo:
            cargo[s.flight_key].append(s)
        self._cargo = dict(cargo)

    def get_flight(self, flight_number: str, flight_date: date) -> Flight | None:
        return self._flights.get(flight_key(flight_number, flight_date))

    def get_airport(self, iata: str) -> Airport | None:
        return self._airports.get(iata)

    def get_aircraft(self, tail: str) -> Aircraft | None:
        return self._aircraft.get(tail)

    def get_aircraft_type(self, type_code: str) -> AircraftType | None:
        return self._types.get(type_code)

    def aircraft_at_station(self, station: str) -> list[Aircraft]:
        return list(self._by_station.get(station, []))

    def flights_of_tail(self, tail: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        return _in_window(self._by_tail.get(tail, []), start_utc, end_utc)

    def crew(self, crew_ids: Iterable[str]) -> list[CrewMember]:
        return [self._crew[c] for c in crew_ids if c in self._crew]

    def duties(self, crew_ids: Iterable[str], duty_date: date) -> list[CrewDuty]:
        return [d for c in crew_ids if (d := self._duties.get((c, duty_date))) is not None]

    def reserves_at(self, station: str, duty_date: date) -> list[CrewMember]:
        day_start = datetime.combine(duty_date, time(0), tzinfo=UTC)
        day_end = day_start + timedelta(days=1)
        return [
            c
            for c in self._reserves.get(station, [])
            if c.reserve_start_utc is not None
            and c.reserve_end_utc is not None
            and c.reserve_start_utc < day_end
            and c.reserve_end_utc > day_start
        ]

    def bookings_for_flight(self, flight_key: str) -> list[Booking]:
        return list(self._bookings.get(flight_key, []))

    def cargo_for_flight(self, flight_key: str) -> list[CargoShipment]:
        return list(self._cargo.get(flight_key, []))

    def flights_on_route(
        self, origin: str, destination: str, start_utc: datetime, end_utc: datetime
    ) -> list[Flight]:
        return _in_window(self._by_route.get((origin, destination), []), start_utc, end_utc)

    def departures(self, station: str, start_utc: datetime, end_utc: datetime) -> list[Flight]:
        return _in_window(self._by_origin.get(station, []), start_utc, end_utc)

    def cost_parameters(self) -> CostParameters:
        return self.dataset.cost_parameters


# --------------------------------------------------------------------------------------------------
# The snapshot of one disruption
# --------------------------------------------------------------------------------------------------
class BookingSummary(Record):
    """All bookings of a flight in aggregate (a hub flight has ~150): what the agents count and price."""

    bookings: int = 0
    pax: int = 0
    by_cabin: dict[str, int] = Field(default_factory=dict)
    by_tier: dict[str, int] = Field(default_factory=dict)
    special_needs: dict[str, int] = Field(default_factory=dict, description="SSR code -> passengers")
    revenue_eur: float = 0.0
    connecting_pax: int = 0

    @classmethod
    def of(cls, bookings: Iterable[Booking], avg_fare: float) -> BookingSummary:
        s = cls()
        for b in bookings:
            s.bookings += 1
            s.pax += b.pax_count
            s.by_cabin[b.cabin] = s.by_cabin.get(b.cabin, 0) + b.pax_count
            s.by_tier[b.loyalty_tier] = s.by_tier.get(b.loyalty_tier, 0) + b.pax_count
            for code in b.special_needs:
                s.special_needs[code] = s.special_needs.get(code, 0) + b.pax_count
            s.revenue_eur += b.revenue_eur or avg_fare * b.pax_count
            if b.onward is not None:
                s.connecting_pax += b.pax_count
        s.revenue_eur = round(s.revenue_eur, 2)
        return s


class Snapshot(Record):
    """Everything one disruption needs, read once by `build_snapshot` and checkpointed as one JSON document.

    `flights` is a registry of every flight involved (by key); the other fields name flights by key.
    """

    schema_version: Literal["1"] = SCHEMA_VERSION
    event: DisruptionEvent = Field(description="Its reported_at is the 'now' of every rule")
    flight_key: str
    flights: dict[str, Flight]
    airports: dict[str, Airport]
    aircraft_types: dict[str, AircraftType] = Field(default_factory=dict)
    aircraft: Aircraft | None = None
    rotation: list[str] = Field(
        default_factory=list, description="The tail's flights in the window, in order"
    )
    swap_candidates: list[Aircraft] = Field(default_factory=list)
    swap_rotations: dict[str, list[str]] = Field(default_factory=dict, description="tail -> flight keys")
    crew: list[CrewMember] = Field(default_factory=list, description="Rostered crew of the flight")
    reserves: list[CrewMember] = Field(default_factory=list, description="Reserves at the origin that day")
    duties: dict[str, CrewDuty] = Field(
        default_factory=dict, description="crew_id -> duty (crew and reserves)"
    )
    bookings: BookingSummary = Field(default_factory=BookingSummary)
    connecting_bookings: list[Booking] = Field(default_factory=list)
    rebooking_options: list[str] = Field(
        default_factory=list, description="Later own flights on the route, in order (keys)"
    )
    rebooking_free_seats: dict[str, int] = Field(default_factory=dict, description="flight key -> seats free")
    cargo: list[CargoShipment] = Field(default_factory=list)
    cost_parameters: CostParameters = Field(default_factory=CostParameters)

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def as_of_utc(self) -> datetime:
        return self.event.reported_at.astimezone(UTC)

    @property
    def flight(self) -> Flight:
        return self.flights[self.flight_key]

    @property
    def origin(self) -> Airport:
        return self.airports[self.flight.origin]

    @property
    def destination(self) -> Airport:
        return self.airports[self.flight.destination]

    @property
    def aircraft_type(self) -> AircraftType | None:
        return self.aircraft_types.get(self.aircraft.type_code) if self.aircraft else None

    def crew_member(self, crew_id: str) -> CrewMember | None:
        return next((c for c in (*self.crew, *self.reserves) if c.crew_id == crew_id), None)


class SnapshotError(ValueError):
    """The event does not match the operational data (unknown flight, airport or tail)."""


ROTATION_BEFORE = timedelta(hours=12)
ROTATION_AFTER = timedelta(hours=36)
REBOOKING_HORIZON = timedelta(hours=48)
MAX_SWAP_CANDIDATES = 12  # the snapshot stays small at a hub with dozens of tails on the ground


def build_snapshot(event: DisruptionEvent, reader: OpsReader) -> Snapshot:
    """Read everything the disruption needs, by key and by index only."""
    flight = reader.get_flight(event.flight_number, event.flight_date)
    if flight is None:
        raise SnapshotError(
            f"flight {flight_key(event.flight_number, event.flight_date)} is not in the ops data"
        )
    flights: dict[str, Flight] = {flight.key: flight}
    airports: dict[str, Airport] = {}

    def airport(iata: str) -> None:
        if iata not in airports:
            found = reader.get_airport(iata)
            if found is None:
                raise SnapshotError(f"airport {iata} is not in the ops data")
            airports[iata] = found

    airport(flight.origin)
    airport(flight.destination)
    costs = reader.cost_parameters()

    window_start, window_end = flight.std_utc - ROTATION_BEFORE, flight.std_utc + ROTATION_AFTER
    types: dict[str, AircraftType] = {}

    def add_type(code: str) -> None:
        if code not in types and (t := reader.get_aircraft_type(code)) is not None:
            types[code] = t

    aircraft = reader.get_aircraft(flight.tail) if flight.tail else None
    rotation: list[str] = []
    if aircraft is not None:
        add_type(aircraft.type_code)
        for f in reader.flights_of_tail(aircraft.tail, window_start, window_end):
            flights.setdefault(f.key, f)
            rotation.append(f.key)
        if flight.key not in rotation:
            rotation.append(flight.key)

    swap_candidates: list[Aircraft] = []
    swap_rotations: dict[str, list[str]] = {}
    family = (
        types[aircraft.type_code].family if aircraft is not None and aircraft.type_code in types else None
    )
    for a in sorted(reader.aircraft_at_station(flight.origin), key=lambda a: a.tail):
        if aircraft is not None and a.tail == aircraft.tail:
            continue
        add_type(a.type_code)
        if family is not None and (a.type_code not in types or types[a.type_code].family != family):
            continue  # only the same family can take the flight (and its crew's type rating)
        if len(swap_candidates) >= MAX_SWAP_CANDIDATES:
            break
        swap_candidates.append(a)
        keys = []
        for f in reader.flights_of_tail(a.tail, window_start, window_end):
            flights.setdefault(f.key, f)
            keys.append(f.key)
        swap_rotations[a.tail] = keys

    rostered_ids = [*flight.cockpit_crew, *flight.cabin_crew]
    crew = reader.crew(rostered_ids)
    reserves = sorted(
        (r for r in reader.reserves_at(flight.origin, flight.flight_date) if r.crew_id not in rostered_ids),
        key=lambda c: c.crew_id,
    )
    duty_ids = [c.crew_id for c in crew] + [r.crew_id for r in reserves]
    duties = {d.crew_id: d for d in reader.duties(duty_ids, flight.flight_date)}
    for d in duties.values():
        for k in d.flight_keys:
            if k not in flights:
                number, day = split_flight_key(k)
                if (duty_flight := reader.get_flight(number, day)) is not None:
                    flights[k] = duty_flight

    bookings = reader.bookings_for_flight(flight.key)
    summary = BookingSummary.of(bookings, costs.avg_fare)
    connecting = sorted((b for b in bookings if b.onward is not None), key=lambda b: b.pnr)
    for b in connecting:
        assert b.onward is not None
        if b.onward.key not in flights and (
            onward := reader.get_flight(b.onward.flight_number, b.onward.flight_date)
        ):
            flights[onward.key] = onward

    rebooking: list[str] = []
    free: dict[str, int] = {}
    for f in reader.flights_on_route(
        flight.origin,
        flight.destination,
        flight.std_utc + timedelta(minutes=1),
        flight.std_utc + REBOOKING_HORIZON,
    ):
        if f.key == flight.key or f.status == "cancelled":
            continue
        flights.setdefault(f.key, f)
        rebooking.append(f.key)
        seats = f.capacity
        if seats is None and f.tail and (t := reader.get_aircraft(f.tail)) is not None:
            seats = t.seats
        free[f.key] = max(0, (seats or f.booked_pax) - f.booked_pax)

    for f in flights.values():
        airport(f.origin)
        airport(f.destination)

    return Snapshot(
        event=event,
        flight_key=flight.key,
        flights=flights,
        airports=airports,
        aircraft_types=types,
        aircraft=aircraft,
        rotation=sorted(rotation, key=lambda k: flights[k].std_utc),
        swap_candidates=swap_candidates,
        swap_rotations=swap_rotations,
        crew=crew,
        reserves=reserves,
        duties=duties,
        bookings=summary,
        connecting_bookings=connecting,
        rebooking_options=rebooking,
        rebooking_free_seats=free,
        cargo=sorted(reader.cargo_for_flight(flight.key), key=lambda s: s.awb),
        cost_parameters=costs,
    )
