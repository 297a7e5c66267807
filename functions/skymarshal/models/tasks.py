"""The steps' inputs and outputs: what the state machine passes to each task and gets back (small; bulk data
travels as `Ref`s to checkpoints)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from skymarshal.models.core import AgentName, Ref, Strict
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
    agent: AgentName
    phase: int
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


class FinalizeTask(Strict):
    thread_id: str
    execution_arn: str
    decision: DecisionSummary
    approval: dict[str, Any]


class FinalResult(Strict):
    thread_id: str
    execution_arn: str
    outcome: Literal["approved", "rejected", "auto_approved", "approval_timed_out", "superseded"]
    decision: Decision
    approval: ApprovalRecord
