"""The workflow's steps: load what a step needs, call the domain, checkpoint, return a small result.

Each Lambda handler (skymarshal.handlers.*) parses its input and calls one function here; nothing here knows
about Lambda, and the domain (skymarshal.domain) knows nothing about storage. The steps' inputs and outputs
are contracts in skymarshal.models (re-exported here, so `steps.AgentTask` names the contract of `steps.run_agent`).

- `prepare`: validate the event, snapshot, options (fresh, redriven, replayed; `replay` copies another thread);
- `agents`: an agent's assessment or revision, and a failed agent;
- `arbitration`: arbitrate (and the template briefing);
- `decision`: request approval, finalize;
- `briefing`: the optional model-written briefing of the decision, under the guard.

Names are loaded on first use (PEP 562 module `__getattr__`), so a handler that does
`from skymarshal.steps import run_agent` imports the agent step and not the arbitrator, the briefing writer or
the preparation (cold start: benchmarks/bench_coldstart.py). `steps.prepare` is the function, as before, also
after the module `skymarshal.steps.prepare` was loaded through it.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from skymarshal.lazy import exports

if TYPE_CHECKING:
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
    from skymarshal.steps.arbitration import arbitrate
    from skymarshal.steps.briefing import write_briefing
    from skymarshal.steps.context import summarize
    from skymarshal.steps.decision import approval_record, finalize, request_approval
    from skymarshal.steps.prepare import parse_event, prepare

_MODELS = ("AgentFailureTask", "AgentSlot", "AgentTask", "ApprovalTask", "ArbitrationTask", "BriefingTask",
           "FinalizeTask", "FinalResult", "Prepared", "PrepareTask", "Resume", "SafetyFailure",
           "describe_validation_error")
_WHERE = {
    **dict.fromkeys(_MODELS, "skymarshal.models"),
    "mask_token": "skymarshal.approvals", "pseudonym": "skymarshal.approvals",
    "record_agent_failure": "skymarshal.steps.agents", "run_agent": "skymarshal.steps.agents",
    "write_briefing": "skymarshal.steps.briefing",
    "summarize": "skymarshal.steps.context",
    "approval_record": "skymarshal.steps.decision", "arbitrate": "skymarshal.steps.arbitration",
    "finalize": "skymarshal.steps.decision", "request_approval": "skymarshal.steps.decision",
    "parse_event": "skymarshal.steps.prepare", "prepare": "skymarshal.steps.prepare",
}

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


__getattr__ = exports(__name__, _WHERE)


class _Steps(ModuleType):
    """Importing the module skymarshal.steps.prepare sets this package's attribute `prepare` to it (the import
    system does, whoever imports it); the package's `prepare` stays the step function, as with eager imports."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _WHERE.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Steps
