"""The contracts between the event source, the state machine, the handlers and the domain.

Every payload that crosses a Lambda boundary is one of these pydantic models. Large payloads
(the operational snapshot, full agent views, the decision) are stored as checkpoints and travel
through the state machine by reference (`Ref`), so the execution state stays far below the
256 KB Step Functions limit.

- `core`: agent names, the disruption event, `Ref`, the recovery option;
- `views`: what agents say (constraints, assessments, revisions, views, summaries);
- `decision`: the decision, its citations, the approval answer and record;
- `tasks`: each step's input and output as the state machine passes them;
- `validation`: how a validation error reads in a message.
"""

from skymarshal.models.briefing import Briefing, BriefingSource, BriefingTask, GuardVerdict, ModelCall
from skymarshal.models.core import (
    ALL_AGENTS,
    BUSINESS_AGENTS,
    SAFETY_AGENTS,
    AgentName,
    DisruptionEvent,
    DisruptionType,
    OptionKind,
    Outcome,
    RecoveryOption,
    Ref,
    Strict,
    ThreadStatus,
    json_default,
)
from skymarshal.models.decision import (
    EXCERPT_MAX_CHARS,
    ApprovalRecord,
    ApprovalRequirement,
    ApprovalResponse,
    BindingConstraint,
    Citation,
    Decision,
    DecisionSummary,
    Origin,
    PlanStep,
    RankedSolution,
    trim_excerpt,
)
from skymarshal.models.tasks import (
    AgentFailureTask,
    AgentSlot,
    AgentTask,
    ApprovalTask,
    ArbitrationTask,
    FinalizeTask,
    FinalResult,
    Prepared,
    PrepareTask,
    Resume,
    ResumeAt,
    SafetyFailure,
)
from skymarshal.models.validation import describe_validation_error, field_path
from skymarshal.models.views import (
    AgentSummary,
    AgentView,
    Constraint,
    OptionAssessment,
    PeerReference,
    Revision,
)

__all__ = [
    "ALL_AGENTS",
    "BUSINESS_AGENTS",
    "EXCERPT_MAX_CHARS",
    "SAFETY_AGENTS",
    "AgentFailureTask",
    "AgentName",
    "AgentSlot",
    "AgentSummary",
    "AgentTask",
    "AgentView",
    "ApprovalRecord",
    "ApprovalRequirement",
    "ApprovalResponse",
    "ApprovalTask",
    "ArbitrationTask",
    "BindingConstraint",
    "Briefing",
    "BriefingSource",
    "BriefingTask",
    "Citation",
    "Constraint",
    "Decision",
    "DecisionSummary",
    "DisruptionEvent",
    "DisruptionType",
    "FinalResult",
    "FinalizeTask",
    "GuardVerdict",
    "ModelCall",
    "OptionAssessment",
    "OptionKind",
    "Origin",
    "Outcome",
    "PeerReference",
    "PlanStep",
    "PrepareTask",
    "Prepared",
    "RankedSolution",
    "RecoveryOption",
    "Ref",
    "Resume",
    "ResumeAt",
    "Revision",
    "SafetyFailure",
    "Strict",
    "ThreadStatus",
    "describe_validation_error",
    "field_path",
    "json_default",
    "trim_excerpt",
]
