"""The arbitrator's decision, the guidance it cites, and how a duty manager answers it."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from skymarshal.models.core import AgentName, OptionKind, Outcome, Ref, Strict

Origin = Literal["bedrock", "embedded", "none"]
EXCERPT_MAX_CHARS = 400


def trim_excerpt(text: str, limit: int = EXCERPT_MAX_CHARS) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


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
    """One piece of regulatory guidance attached to a decision (found by skymarshal.knowledge).

    ``score`` is the engine's relevance (Bedrock similarity, or -bm25 for embedded text search; higher is
    better, comparable only within one answer). It is ``None`` for a rule-id match and for the ``"none"``
    fallback. ``excerpt`` is trimmed to 400 characters.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    rule: str
    source: str
    title: str
    excerpt: str
    origin: Origin
    score: float | None = None

    @field_validator("excerpt", mode="before")
    @classmethod
    def _trim_excerpt(cls, value: Any) -> Any:
        return trim_excerpt(value) if isinstance(value, str) else value


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
    briefing: Ref | None = None  # the duty manager's briefing (template, or the model's once WriteBriefing ran)


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
    def _comment_on_rejection(self) -> "ApprovalResponse":
        if not self.approved and not self.comments:
            raise ValueError("comments are required when rejecting a decision")
        return self


class ApprovalRecord(Strict):
    """How an approval ended, as recorded on the thread."""

    approver_id: str | None = None
    comments: str = ""
    decided_at: datetime | None = None
    decision: Outcome

