"""Exceptions whose class names are the Step Functions error names used in Retry/Catch.

A handler raising `TransientDependencyError` is retried with backoff by the state machine; the names
below appear verbatim in statemachines/disruption.asl.json and in execution histories.
"""


class SkyMarshalError(Exception):
    """Base class: every error the workflow can name."""


class InvalidDisruptionEvent(SkyMarshalError):
    """The event failed validation; the message names the field and the reason."""


class UnknownFlight(SkyMarshalError):
    """The disrupted flight is not in the operational data."""


class TransientDependencyError(SkyMarshalError):
    """A dependency (DynamoDB, S3) kept throttling or failing after botocore's bounded retries."""


class SafetyAgentFailed(SkyMarshalError):
    """A safety agent (crew_compliance, maintenance, regulatory) failed after retries: no decision without it."""


class CheckpointConflict(SkyMarshalError):
    """Another writer changed the thread first (compare-and-swap on its version failed)."""


class CheckpointNotFound(SkyMarshalError):
    """A checkpoint, thread or approval that was asked for does not exist."""


class ApprovalNotPending(SkyMarshalError):
    """The approval was already decided (a task token can be used once)."""


class ApprovalExpired(SkyMarshalError):
    """The approval arrived after its timeout; the thread has been escalated."""


class ResourcesContested(SkyMarshalError):
    """An approval whose resources (spare tail, reserve, seats) another decision took meanwhile: refused, the
    decision superseded and the thread re-planned against the current operation (HTTP 409)."""


class DecisionRejected(SkyMarshalError):
    """Used as the SendTaskFailure error name when a duty manager rejects through the plain API."""
