"""What an agent says about the options: constraints with their numbers, assessments, revisions, views."""

from typing import Literal

from pydantic import Field

from skymarshal.models.core import SAFETY_AGENTS, AgentName, Ref, Strict


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

