"""ApprovalApiFunction: the duty manager's HTTP API (API Gateway HTTP API, payload format 2.0) and the web console.

    GET  /approvals                         pending decisions (ByStatus index), most urgent first, with age
    GET  /threads/{thread_id}               the thread view (skymarshal.threadview)
    POST /threads/{thread_id}/approve       {"comments": "..."}            (comments optional)
    POST /threads/{thread_id}/reject        {"comments": "..."}            (comments required)
    GET  /console, /console/threads/{id}    the static console (no data in it; it calls the routes above)

The approver is the authenticated caller — `requestContext.authorizer.iam.userArn` (IAM authorization) or a
claim of the JWT (Cognito authorizer) — never a field of the body (extra fields are refused). Errors: 400 bad
input, 401 no authenticated caller, 404 unknown thread, 409 already decided / nothing to decide / resources
taken meanwhile (re-planned), 410 expired, 415 a body that is not JSON (a JSON body without a Content-Type
header is read as JSON).
The task token is read server-side by skymarshal.approvals.decide and never appears in a response or a log.

`pending_metrics_handler` (scheduled) publishes PendingApprovals and OldestPendingApprovalAgeSeconds, which the
"approval older than a threshold" alarm watches.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from skymarshal import approvals, aws, threadview
from skymarshal.config import settings
from skymarshal.errors import (
    ApprovalExpired,
    ApprovalNotPending,
    CheckpointNotFound,
    ResourcesContested,
    TransientDependencyError,
)
from skymarshal.handlers import STORES, initialised
from skymarshal.models import describe_validation_error
from skymarshal.observability import logger, metrics, tracer
from skymarshal.stores import store_from_env

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
THREAD_ID = r"^[A-Za-z0-9_-]{1,64}$"
STATIC = {"app.js": "application/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self' https://*.amazoncognito.com; frame-ancestors 'none'",
}

app = APIGatewayHttpResolver(enable_validation=True)


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class DecisionBody(BaseModel):
    """What a duty manager sends. No approver field: the approver is the authenticated caller."""

    model_config = ConfigDict(extra="forbid")
    comments: str = Field(default="", max_length=2000)

    @field_validator("comments")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


class RejectBody(DecisionBody):
    comments: str = Field(min_length=1, max_length=2000, description="Why the decision is rejected (required).")

    @field_validator("comments")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("comments are required when rejecting a decision")
        return v.strip()


def _error(status: int, message: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps({"error": message, "status": status}), headers=SECURITY_HEADERS)


def _json(body: Any, status: int = 200) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(body, default=str), headers=SECURITY_HEADERS)


def approver_id() -> str:
    """The authenticated caller: the IAM principal's ARN, or the JWT's APPROVER_CLAIM (default: email, then
    cognito:username, then sub). Missing means the route was reached without an authorizer: 401."""
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim
    if claims:
        wanted = settings().approver_claim
        for name in ([wanted] if wanted else []) + ["email", "cognito:username", "username", "sub"]:
            if claims.get(name):
                return str(claims[name])[:128]
    arn = authorizer.iam.user_arn
    if arn:
        # arn:aws:sts::123456789012:assumed-role/DutyManager/alice -> keep it whole when it fits
        return arn if len(arn) <= 128 else arn.split(":", 5)[-1][-128:]
    raise HttpError(401, "no authenticated caller (the route needs IAM or JWT authorization)")


def _claim_values(value: Any) -> set[str]:
    """A JWT claim as a set: a list, or the string API Gateway makes of one ("[a b]"), or "a,b"."""
    if isinstance(value, (list, tuple)):
        return {str(v) for v in value}
    return {v for v in re.split(r"[\s,]+", str(value or "").strip("[]")) if v}


def require_approver() -> str:
    """The caller, if they are an approver: a JWT with the configured group in the configured group claim, or
    an IAM principal whose assumed role is one of the configured approver roles. Anyone else: 403."""
    who = approver_id()
    s = settings()
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim
    if claims:
        if s.approver_group and s.approver_group in _claim_values(claims.get(s.approver_group_claim)):
            return who
        raise HttpError(403, f"only members of the approver group {s.approver_group!r}"
                             f" (claim {s.approver_group_claim!r}) may approve or reject")
    parts = (authorizer.iam.user_arn or "").split(":", 5)[-1].split("/")
    if len(parts) >= 2 and parts[0] == "assumed-role" and parts[1] in s.approver_role_names:
        return who
    raise HttpError(403, f"only the approver role(s) {', '.join(s.approver_role_names) or '(none configured)'}"
                         " may approve or reject")


def _thread_id(thread_id: str) -> str:
    if not re.match(THREAD_ID, thread_id):
        raise HttpError(400, "thread_id: 1-64 characters of A-Z a-z 0-9 _ -")
    return thread_id


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_media(exc: RequestUnsupportedContentType) -> Response:
    return _error(415, "the body must be JSON: send Content-Type: application/json (or no Content-Type)")


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response:
    return _error(400, describe_validation_error(exc, whole="body", skip=("body",)) or "invalid request")


@app.exception_handler(HttpError)
def _http_error(exc: HttpError) -> Response:
    return _error(exc.status, str(exc))


@app.exception_handler(CheckpointNotFound)
def _not_found(exc: CheckpointNotFound) -> Response:
    return _error(404, str(exc))


@app.exception_handler(ApprovalNotPending)
def _already_decided(exc: ApprovalNotPending) -> Response:
    return _error(409, str(exc))


@app.exception_handler(ResourcesContested)
def _contested(exc: ResourcesContested) -> Response:
    """Approved on a stale plan (its spare, reserve or seats were taken meanwhile): refused, re-planned."""
    return _error(409, str(exc))


@app.exception_handler(ApprovalExpired)
def _expired(exc: ApprovalExpired) -> Response:
    return _error(410, str(exc))


@app.exception_handler(TransientDependencyError)
def _try_again(exc: TransientDependencyError) -> Response:
    return Response(status_code=503, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps({"error": str(exc), "status": 503}),
                    headers={**SECURITY_HEADERS, "Retry-After": "2"})


@app.exception_handler(RecursionError)
def _too_deep(exc: RecursionError) -> Response:
    return _error(400, "body: JSON nested too deeply")


@app.exception_handler(ValidationError)
def _invalid_decision(exc: ValidationError) -> Response:
    return _error(400, describe_validation_error(exc, whole="body"))


# ------------------------------------------------------------------------------------------------
# API
# ------------------------------------------------------------------------------------------------
def _emit_pending_metrics(items: list[dict[str, Any]]) -> None:
    metrics.add_metric(name="PendingApprovals", unit=MetricUnit.Count, value=len(items))
    oldest = max((i["age_seconds"] or 0 for i in items), default=0)
    metrics.add_metric(name="OldestPendingApprovalAgeSeconds", unit=MetricUnit.Seconds, value=oldest)


@app.get("/approvals")
def list_pending():
    items = threadview.pending(store_from_env())
    _emit_pending_metrics(items)
    return _json({"approvals": items, "count": len(items), "approver": _optional_approver()})


def _optional_approver() -> str | None:
    try:
        return approver_id()
    except HttpError:
        return None


@app.get("/threads/<thread_id>")
def thread_view(thread_id: str):
    return _json(threadview.build(store_from_env(), _thread_id(thread_id)))


def _decide(thread_id: str, approved: bool, comments: str) -> Response:
    thread_id = _thread_id(thread_id)
    who = require_approver()
    store = store_from_env()
    if store.get_thread(thread_id) is None:
        raise CheckpointNotFound(f"thread {thread_id} does not exist")
    approval = store.get_approval(thread_id)
    if approval is None:
        raise HttpError(409, f"thread {thread_id} has no approval request (nothing to decide)")
    _refuse_expired(thread_id, approval)
    # on the first decision, not at the cold start: the fleet holds bring the operational records and the fleet
    # rules (~90 M instructions, a quarter of this handler's own import), which the console's reads never use
    from skymarshal.stores.fleet import FleetStore

    try:
        response = approvals.decide(store, aws.client("stepfunctions"), thread_id, approved, who, comments,
                                    FleetStore())
    except ApprovalNotPending:
        # the workflow may have closed it as expired between our read and the conditional write
        _refuse_expired(thread_id, store.get_approval(thread_id))
        raise
    decision = "approved" if approved else "rejected"
    metrics.add_dimension(name="decision", value=decision)
    metrics.add_metric(name="ApprovalDecisions", unit=MetricUnit.Count, value=1)
    logger.info("approval decided", extra={"thread_id": thread_id, "decision": decision,
                                           "approver": approvals.pseudonym(who)})
    return _json({"thread_id": thread_id, "decision": decision, "approval": response.model_dump(mode="json")})


def _refuse_expired(thread_id: str, approval: dict[str, Any] | None) -> None:
    """The workflow closed the approval (expired at its timeout, closed because the execution ended, invalid
    answer): that is 410 Gone, not 409."""
    if approval is not None and approval.get("approval_status") in ("expired", "closed", "invalid"):
        raise ApprovalExpired(f"thread {thread_id}: approval expired at {approval.get('approval_expires_at')}"
                              " (the workflow escalated it)")


@app.post("/threads/<thread_id>/approve")
def approve(thread_id: str, body: Annotated[DecisionBody, Body()] = None):  # type: ignore[assignment]
    return _decide(thread_id, True, body.comments if body else "")


@app.post("/threads/<thread_id>/reject")
def reject(thread_id: str, body: Annotated[RejectBody, Body()]):
    return _decide(thread_id, False, body.comments)


# ------------------------------------------------------------------------------------------------
# Console (static; the page holds no data until it calls the API as the signed-in user)
# ------------------------------------------------------------------------------------------------
def _static(name: str, content_type: str) -> Response:
    return Response(status_code=200, content_type=content_type, body=(CONSOLE_DIR / name).read_text(),
                    headers=SECURITY_HEADERS)


@app.get("/console")
def console_index():
    return _static("index.html", "text/html; charset=utf-8")


@app.get("/console/threads/<thread_id>")
def console_thread(thread_id: str):
    return _static("index.html", "text/html; charset=utf-8")


@app.get("/console/config.json")
def console_config():
    """How the browser signs in: 'jwt' (Cognito hosted UI, implicit grant) when configured, else 'none'
    (locally, `skymarshal serve` stands in for the authorizer)."""
    s = settings()
    return _json({"auth": "jwt" if s.console_login_url else "none", "login_url": s.console_login_url,
                  "client_id": s.console_client_id, "api_base": s.api_base})


@app.get("/console/<asset>")
def console_asset(asset: str):
    if asset not in STATIC:
        raise HttpError(404, f"no console asset {asset}")
    return _static(asset, STATIC[asset])


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", log_event=False,
                               clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def pending_metrics_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Scheduled (every 5 minutes): how many approvals wait and for how long (seconds) the oldest has."""
    items = threadview.pending(store_from_env(), datetime.now(UTC))
    _emit_pending_metrics(items)
    return {"pending": len(items), "oldest_age_seconds": max((i["age_seconds"] or 0 for i in items), default=0)}


# The last line: see skymarshal.handlers (collector; SnapStart priming, with the fleet holds a decision loads).
# PendingApprovalMetricsFunction shares this module without SnapStart: its hook is registered, never run.
initialised(snapshot=(*STORES, "stepfunctions"), preload=("skymarshal.stores.fleet",))
