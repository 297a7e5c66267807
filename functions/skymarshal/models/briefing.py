"""The duty manager's briefing: a short handover of the decision, always written from the decision's facts by a
template, optionally by a foundation model under a guard (skymarshal.domain.briefing, skymarshal.briefing)."""

from typing import Literal

from pydantic import Field

from skymarshal.models.core import Strict
from skymarshal.models.decision import DecisionSummary

BriefingSource = Literal["template", "model"]


class GuardVerdict(Strict):
    """What the guard found in a model's text: every number, tail, crew id, flight number and rule reference
    must appear in the decision's facts. `unsupported` lists what did not."""

    passed: bool
    reasons: list[str] = Field(default_factory=list)
    unsupported: list[str] = Field(default_factory=list)


class ModelCall(Strict):
    """One Bedrock Converse call, as the audit needs it."""

    model_id: str
    system_prompt: str
    user_prompt: str
    max_tokens: int
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: int | None = None
    stop_reason: str | None = None
    text: str | None = Field(default=None, description="What the model wrote (kept even when discarded)")
    error: str | None = None


class Briefing(Strict):
    """What the duty manager reads first. `source` says who wrote `text`; a model's text that failed the guard
    (or a call that failed) is discarded for the template's, with `fallback_reason`."""

    thread_id: str
    text: str
    source: BriefingSource
    template_text: str
    facts: dict = Field(default_factory=dict, description="Everything the briefing may say, nothing else")
    model: ModelCall | None = None
    guard: GuardVerdict | None = None
    fallback_reason: str | None = None


class BriefingTask(Strict):
    """The BriefingFunction's input (ASL state WriteDutyManagerBriefing): the thread and the decision summary,
    whose `briefing` refers to the template briefing the arbitrator wrote."""

    thread_id: str
    decision: DecisionSummary

