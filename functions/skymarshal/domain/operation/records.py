"""The operational records: airports, aircraft, flights, crew and duties, bookings, cargo and cost parameters.

Every datetime is aware UTC and local times come from the airport's IANA timezone; durations are minutes,
cumulative crew totals are hours. A flight is addressed by its key `"EY123/2026-12-01"` (`flight_key()`).
"""

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

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

LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _local_time(value: object) -> time:
    """A wall-clock time at the airport, written `HH:MM` (24 h). Seconds, a UTC offset or `Z` are refused: a
    curfew is local time by definition, and `23:00:00Z` would be read as UTC by one reader and local by another."""
    if isinstance(value, time):
        if value.tzinfo is not None or value.second or value.microsecond:
            raise ValueError("a local time is HH:MM, with no seconds and no UTC offset")
        return value
    if not isinstance(value, str) or not re.match(LOCAL_TIME, value):
        raise ValueError(
            f"{value!r} is not a local time HH:MM (24 h, e.g. '23:00'); seconds and offsets are refused: "
            "curfews are in the airport's local time"
        )
    return time(int(value[:2]), int(value[3:]))


LocalTime = Annotated[
    time,
    BeforeValidator(_local_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME, "examples": ["23:00"]}),
]

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

    model_config = ConfigDict(extra="forbid", defer_build=True)


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
    curfew_start_local: LocalTime | None = Field(
        default=None, description="No movements from this local time (HH:MM, the airport's wall clock)..."
    )
    curfew_end_local: LocalTime | None = Field(
        default=None, description="...until this local time (HH:MM; may wrap past midnight)"
    )
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
    def _curfew_both_ends(self) -> "Airport":
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
    operating_carrier: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{2}$", description="IATA code of the operating carrier"
    )
    community_carrier: bool | None = Field(
        default=None,
        description="The operating carrier holds an EU/EEA (or UK) operating licence: EU261 Art. 3(1)(b) then "
        "also covers its flights arriving in the EU from outside. None: Policy.eu_carrier decides",
    )

    @model_validator(mode="after")
    def _times(self) -> "Flight":
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
    def _reserve_window(self) -> "CrewMember":
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
    def _sectors(self) -> "CrewDuty":
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
    special_cargo_return_per_shipment: float = Field(
        default=500.0,
        ge=0,
        description="A cancelled flight's REF/COL/frozen, PIL, AVI or HUM shipment: return to its store "
        "(cold store, animal facility, HUM holding area), care and re-forward",
    )


