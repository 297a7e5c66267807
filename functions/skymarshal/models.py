"""The contracts between the event source, the state machine, the handlers and the domain.

Every payload that crosses a Lambda boundary is one of these pydantic models. Large payloads
(the operational snapshot, full agent views, the decision) are stored as checkpoints and travel
through the state machine by reference (`Ref`), so the execution state stays far below the
256 KB Step Functions limit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

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

Outcome = Literal["approved", "rejected", "auto_approved", "approval_timed_out"]
ThreadStatus = Literal["active", "awaiting_approval", "completed", "failed", "rejected", "escalated"]


class Strict(BaseModel):
    """Base for every contract: unknown fields are refused so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=False)


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------
class DisruptionEvent(Strict):
    """One disruption as reported by operations control (SQS message body or StartExecution input)."""

    event_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Unique id from the source system; the execution name is derived from it (idempotent).",
    )
    flight_number: str = Field(pattern=r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$", examples=["EY123"])
    flight_date: date = Field(description="Scheduled departure date (UTC), YYYY-MM-DD.")
    disruption_type: DisruptionType
    delay_minutes: int | None = Field(
        default=None, ge=0, le=72 * 60, description="Reported departure delay; required for delays."
    )
    cause: str = Field(min_length=3, max_length=500, description="What happened, in operations' words.")
    reported_at: AwareDatetime = Field(description="ISO 8601 with a UTC offset.")
    station: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="Where it happened (IATA).")
    affected_crew_ids: list[str] = Field(default_factory=list, description="Crew who cannot operate.")
    reporter: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _delay_where_it_applies(self) -> DisruptionEvent:
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


# --------------------------------------------------------------------------------------------------
# Agent views
# --------------------------------------------------------------------------------------------------
class Constraint(Strict):
    """A rule applied to one option, with its numbers. `violated` + `binding` makes the option infeasible."""

    option_id: str
    rule: str = Field(description='The rule, e.g. "EASA ORO.FTL.205 Table 2".')
    description: str
    binding: bool = Field(description="True for the safety agents' constraints; advisory otherwise.")
    violated: bool
    limit: float | None = None
    actual: float | None = None
    margin: float | None = Field(default=None, description="limit - actual, in `unit` (negative = broken).")
    unit: str | None = None
    flag: str | None = Field(default=None, description='e.g. "commanders_discretion_required"')


class OptionAssessment(Strict):
    option_id: str
    feasible: bool
    constraints: list[Constraint] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    cost_eur: float | None = None
    cost_breakdown: dict[str, float] = Field(default_factory=dict)
    score: float | None = Field(default=None, ge=0, le=1, description="The agent's own 0..1 desirability.")
    notes: list[str] = Field(default_factory=list)


class PeerReference(Strict):
    """The specific peer finding that made an agent revise (structured, not keyword matching)."""

    agent: AgentName
    option_id: str | None = None
    rule: str | None = None
    fact: str


class Revision(Strict):
    action: Literal["CONFIRM", "REVISE", "STRENGTHEN"]
    because: list[PeerReference] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)
    previous_preferred_option: str | None = None
    previous_confidence: float | None = None


class AgentView(Strict):
    agent: AgentName
    phase: Literal[1, 2]
    status: Literal["ok", "unavailable"] = "ok"
    assessments: list[OptionAssessment] = Field(default_factory=list)
    preferred_option: str | None = None
    confidence: float = Field(ge=0, le=1)
    rationale: str
    revision: Revision | None = None
    error: str | None = None
    engine: str = Field(default="rules", description="Which implementation produced the view.")

    @property
    def binding(self) -> bool:
        return self.agent in SAFETY_AGENTS

    def assessment(self, option_id: str) -> OptionAssessment | None:
        return next((a for a in self.assessments if a.option_id == option_id), None)


class AgentSummary(Strict):
    """What an agent task returns into the execution state: small, with a reference to the full view."""

    agent: AgentName
    phase: Literal[1, 2]
    status: Literal["ok", "unavailable"]
    preferred_option: str | None = None
    confidence: float = Field(ge=0, le=1)
    revision: Literal["CONFIRM", "REVISE", "STRENGTHEN"] | None = None
    view: Ref
    reused: bool = Field(default=False, description="True when a finished checkpoint was returned.")


# --------------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------------
class PlanStep(Strict):
    order: int = Field(ge=1)
    action: Literal[
        "notify", "rebook", "reassign_crew", "swap_tail", "arrange_care", "offload_cargo", "update_schedule",
        "maintenance", "coordinate_slot", "cancel",
    ]
    owner: str
    detail: str


class RankedSolution(Strict):
    rank: int = Field(ge=1, le=3)
    option_id: str
    kind: OptionKind
    description: str
    score: float
    scores: dict[str, float] = Field(default_factory=dict)
    cost_eur: float | None = None
    cost_breakdown: dict[str, float] = Field(default_factory=dict)
    new_departure_utc: AwareDatetime | None = None
    new_arrival_utc: AwareDatetime | None = None
    plan: list[PlanStep] = Field(default_factory=list)
    pareto_optimal: bool = False


class BindingConstraint(Strict):
    agent: AgentName
    option_id: str
    rule: str
    description: str
    limit: float | None = None
    actual: float | None = None
    margin: float | None = None
    unit: str | None = None


class Citation(Strict):
    rule: str
    source: str
    title: str
    excerpt: str
    origin: Literal["bedrock", "embedded", "none"]
    score: float | None = None


class Decision(Strict):
    thread_id: str
    flight_number: str
    flight_date: date
    recommended: RankedSolution | None
    alternatives: list[RankedSolution] = Field(default_factory=list)
    infeasible: dict[str, list[str]] = Field(default_factory=dict, description="option_id -> reasons")
    binding_constraints: list[BindingConstraint] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    escalated: bool = False
    escalation_reasons: list[str] = Field(default_factory=list)
    unavailable_agents: list[AgentName] = Field(default_factory=list)
    revisions: dict[str, str] = Field(default_factory=dict, description="agent -> CONFIRM/REVISE/STRENGTHEN")
    weights: dict[str, float] = Field(default_factory=dict)
    rationale: str = ""
    knowledge_source: str = "embedded"


class ApprovalRequirement(Strict):
    required: bool
    reasons: list[str] = Field(default_factory=list)


class DecisionSummary(Strict):
    """The part of the decision that travels in the execution state and in approval requests."""

    thread_id: str
    flight_number: str
    recommended_option: str | None
    recommended_kind: OptionKind | None
    description: str
    cost_eur: float | None
    confidence: float
    escalated: bool
    binding_constraints: int
    approval: ApprovalRequirement
    decision: Ref


# --------------------------------------------------------------------------------------------------
# Approval
# --------------------------------------------------------------------------------------------------
class ApprovalResponse(Strict):
    """The task-token callback output sent by a duty manager (SendTaskSuccess output)."""

    approved: bool
    approver_id: str = Field(min_length=1, max_length=128)
    comments: str = Field(default="", max_length=2000)
    decided_at: AwareDatetime | None = None

    @field_validator("comments")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @model_validator(mode="after")
    def _comment_on_rejection(self) -> ApprovalResponse:
        if not self.approved and not self.comments:
            raise ValueError("comments are required when rejecting a decision")
        return self


class ApprovalRecord(Strict):
    """How an approval ended, as recorded on the thread."""

    approver_id: str | None = None
    comments: str = ""
    decided_at: datetime | None = None
    decision: Outcome


def json_default(value: Any) -> Any:
    """json.dumps default for dates and models, used where a dict is built by hand."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
