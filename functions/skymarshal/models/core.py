"""The event, the names every contract uses, the option, and the reference that travels instead of bulk data."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

AgentName = Literal[
    "crew_compliance",
    "maintenance",
    "regulatory",
    "network",
    "guest_experience",
    "cargo",
    "finance",
]
SAFETY_AGENTS: tuple[AgentName, ...] = ("crew_compliance", "maintenance", "regulatory")
BUSINESS_AGENTS: tuple[AgentName, ...] = ("network", "guest_experience", "cargo", "finance")
ALL_AGENTS: tuple[AgentName, ...] = SAFETY_AGENTS + BUSINESS_AGENTS

DisruptionType = Literal[
    "technical",  # a fault found on the aircraft (not extraordinary under EU261: Wallentin-Hermann)
    "aircraft_on_ground",  # the tail cannot fly until rectified (AOG)
    "crew_sickness",  # one or more rostered crew unavailable
    "weather",  # extraordinary circumstances under EU261
    "atc",  # air-traffic-control restriction (extraordinary)
    "security",  # security event (extraordinary)
    "other",
]

OptionKind = Literal[
    "delay",  # fly as reported, later
    "crew_change",  # delay with replacement crew from reserves at the station
    "aircraft_swap",  # a serviceable tail of a compatible type
    "aircraft_swap_crew_change",  # both
    "cancel",  # cancel and rebook on later flights
]

# approval_invalid: the task token was answered with something that is not an answer (SendTaskSuccess without
# approver_id, a rejection without a reason): the decision is escalated with the reason, never taken.
# superseded: approved, but another decision took its resources meanwhile; the thread is re-planned.
Outcome = Literal["approved", "rejected", "auto_approved", "approval_timed_out", "approval_invalid", "superseded"]
ThreadStatus = Literal[
    "active", "awaiting_approval", "completed", "failed", "rejected", "escalated", "superseded"
]


class Strict(BaseModel):
    """Base for every contract: unknown fields are refused so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date_text(value: Any) -> Any:
    """A date is written as YYYY-MM-DD: an epoch number, a padded or other-format string is refused, not
    converted (a `date` object, from Python callers, is taken as it is)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written as YYYY-MM-DD (a string)")
    return value


def _iso_datetime_text(value: Any) -> Any:
    """A timestamp is ISO 8601 text (or a datetime object from Python callers): an epoch number is refused."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or value != value.strip():
        raise ValueError("must be an ISO 8601 timestamp with a UTC offset (a string)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text), Field(strict=False)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_text), Field(strict=False)]


class DisruptionEvent(Strict):
    """One disruption as reported by operations control (SQS message body or StartExecution input).

    Validated strictly: an event is a contract with another system, so nothing is converted (`true` is not a
    1-minute delay, `"180"` is not 180, an epoch number is not a date); the wrong type is refused naming the
    field. Dates and timestamps are ISO 8601 strings."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    event_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Unique id from the source system; the execution name is derived from it (idempotent).",
    )
    flight_number: str = Field(pattern=r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$", examples=["EY123"])
    flight_date: IsoDate = Field(description="Scheduled departure date (UTC), YYYY-MM-DD.")
    disruption_type: DisruptionType
    delay_minutes: int | None = Field(
        default=None, ge=0, le=72 * 60, description="Reported departure delay; required for delays."
    )
    cause: str = Field(min_length=3, max_length=500, description="What happened, in operations' words.")
    reported_at: IsoDateTime = Field(description="ISO 8601 with a UTC offset.")
    station: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="Where it happened (IATA).")
    affected_crew_ids: list[str] = Field(default_factory=list, description="Crew who cannot operate.")
    reporter: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _delay_where_it_applies(self) -> "DisruptionEvent":
        if self.disruption_type in ("technical", "weather", "atc") and self.delay_minutes is None:
            raise ValueError(f"delay_minutes is required for a {self.disruption_type} disruption")
        if self.disruption_type == "crew_sickness" and not self.affected_crew_ids:
            raise ValueError("affected_crew_ids is required for a crew_sickness disruption")
        return self

    @property
    def thread_id(self) -> str:
        """The thread groups every checkpoint of this disruption; it is also the execution name."""
        return self.event_id


# --------------------------------------------------------------------------------------------------
# References: what travels in the state machine instead of bulk data
# --------------------------------------------------------------------------------------------------
class Ref(Strict):
    """A pointer to a stored checkpoint payload (DynamoDB item, or S3 object for large payloads)."""

    thread_id: str
    checkpoint_id: str


# --------------------------------------------------------------------------------------------------
# Recovery options
# --------------------------------------------------------------------------------------------------
class RecoveryOption(Strict):
    """One way to recover, with its own new times so every agent judges the same facts."""

    option_id: str = Field(pattern=r"^OPT-[0-9]+$")
    kind: OptionKind
    description: str
    new_departure_utc: AwareDatetime | None = None  # None when cancelled
    new_arrival_utc: AwareDatetime | None = None
    departure_delay_minutes: int = 0
    arrival_delay_minutes: int = 0
    tail: str | None = None  # the aircraft that would operate
    cockpit_crew_ids: list[str] = Field(default_factory=list)
    cabin_crew_ids: list[str] = Field(default_factory=list)
    replacement_crew_ids: list[str] = Field(default_factory=list)  # reserves called out
    rebooking_flights: list[str] = Field(default_factory=list)  # flight keys used to rebook (cancel)
    details: dict[str, Any] = Field(default_factory=dict)



def json_default(value: Any) -> Any:
    """json.dumps default for dates and models, used where a dict is built by hand."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
