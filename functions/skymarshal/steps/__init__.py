"""The workflow's steps: load what a step needs, call the domain, checkpoint, return a small result.

Each Lambda handler (skymarshal.handlers.*) parses its input and calls one function here; nothing here knows
about Lambda, and the domain (skymarshal.domain) knows nothing about storage. The steps' inputs and outputs
are contracts in skymarshal.models (re-exported here, so `steps.AgentTask` names the contract of `steps.run_agent`).

- `prepare`: validate the event, snapshot, options (fresh, redriven, replayed; `replay` copies another thread);
- `agents`: an agent's assessment or revision, and a failed agent;
- `decision`: arbitrate, request approval, finalize;
- `briefing`: the optional model-written briefing of the decision, under the guard.
"""

from skymarshal.approvals import mask_token, pseudonym
from skymarshal.models import (
    AgentFailureTask,
    AgentSlot,
    AgentTask,
    ApprovalTask,
    ArbitrationTask,
    BriefingTask,
    FinalizeTask,
    FinalResult,
    Prepared,
    PrepareTask,
    Resume,
    SafetyFailure,
    describe_validation_error,
)
from skymarshal.steps.agents import record_agent_failure, run_agent
from skymarshal.steps.briefing import write_briefing
from skymarshal.steps.context import summarize
from skymarshal.steps.decision import approval_record, arbitrate, finalize, request_approval
from skymarshal.steps.prepare import parse_event, prepare

__all__ = [
    "AgentFailureTask",
    "AgentSlot",
    "AgentTask",
    "ApprovalTask",
    "ArbitrationTask",
    "BriefingTask",
    "FinalResult",
    "FinalizeTask",
    "PrepareTask",
    "Prepared",
    "Resume",
    "SafetyFailure",
    "approval_record",
    "arbitrate",
    "describe_validation_error",
    "finalize",
    "mask_token",
    "parse_event",
    "prepare",
    "pseudonym",
    "record_agent_failure",
    "request_approval",
    "run_agent",
    "summarize",
    "write_briefing",
]
