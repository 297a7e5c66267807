"""The steps' inputs and outputs: what the state machine passes to each task and gets back (small; bulk data
travels as `Ref`s to checkpoints)."""

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from skymarshal.models.core import AgentName, Outcome, Ref, Strict
from skymarshal.models.decision import ApprovalRecord, Decision, DecisionSummary
from skymarshal.models.views import AgentSummary

ResumeAt = Literal["phase1", "phase2", "arbitrate"]


class PrepareTask(Strict):
    """PrepareDisruption's input: the execution input as it came, validated by the step (a bad event fails as
    InvalidDisruptionEvent naming each field), and the execution's ARN."""

    event: Any = None
    execution_arn: str = ""


class AgentSlot(Strict):
    agent: AgentName
    safety: bool


class Prepared(Strict):
    thread_id: str
    flight_number: str
    flight_date: str
    event: Ref
    snapshot: Ref
    options: Ref
    option_ids: list[str]
    agents: list[AgentSlot]
    approval_timeout_seconds: int
    # The state machine runs WriteDutyManagerBriefing only when a model is configured (BriefingModelId).
    briefing_enabled: bool = False
    # Replay (time travel): where the state machine resumes, with the stored views it resumes from.
    resume_at: ResumeAt = "phase1"
    phase1: list[AgentSummary] | None = None
    phase2: list[AgentSummary] | None = None
    replay_of: str | None = None


class Resume(Strict):
    """Optional `resume` block of the execution input: replay thread `replay_of` from one of its checkpoints."""

    replay_of: str
    from_checkpoint: str


class AgentTask(Strict):
    thread_id: str
    agent: AgentName
    safety: bool
    phase: Literal[1, 2]
    event: Ref
    snapshot: Ref
    options: Ref
    peers: list[AgentSummary] = Field(default_factory=list)


class AgentFailureTask(AgentTask):
    error: dict[str, Any] = Field(default_factory=dict)  # {"Error": ..., "Cause": ...} from the Catch


class SafetyFailure(Strict):
    """A safety agent that failed after its retries in the phase's Map: the result of its iteration (so one
    failure never aborts the other agents), run once more in the phase's SafetyAgentsComplete Map."""

    agent: AgentName
    phase: int
    status: Literal["failed"] = "failed"
    error: str


class ArbitrationTask(Strict):
    thread_id: str
    event: Ref
    snapshot: Ref
    options: Ref
    views: list[AgentSummary]


class ApprovalTask(Strict):
    thread_id: str
    execution_arn: str
    task_token: str
    timeout_seconds: int
    decision: DecisionSummary
    # When the waiting state was entered ($$.State.EnteredTime): the approval expires timeout_seconds after
    # it, by the workflow's clock. Optional: without it, the request's own time is used.
    entered_at: AwareDatetime | None = None


class FinalizeTask(Strict):
    thread_id: str
    execution_arn: str
    decision: DecisionSummary
    approval: dict[str, Any]


class FinalResult(Strict):
    thread_id: str
    execution_arn: str
    outcome: Outcome
    decision: Decision
    approval: ApprovalRecord
