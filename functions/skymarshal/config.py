"""Configuration: every environment variable the package reads, read here and nowhere else.

The variables are set once in template.yaml (Globals, and per function for the few that only one function
needs). `settings()` is cached on the values of these variables: a process that changes its environment (a
test, the embedded stack applying a function's environment) gets fresh settings, and `reset()` forgets every
cached value. Powertools reads its own variables (POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED, ...) itself;
only the service name and metrics namespace, which this package passes to Powertools explicitly, are here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on use: the decision policy and the models under it are a tenth of a second to import
    from skymarshal.domain.policy import Policy

# Variables without a default: their setting raises when it is read while the variable is unset.
REQUIRED = (
    "CHECKPOINT_TABLE",
    "OPS_TABLE",
    "IDEMPOTENCY_TABLE",
    "CHECKPOINT_BUCKET",
    "STATE_MACHINE_ARN",  # IntakeFunction
    "INTAKE_DLQ_URL",  # IntakeFunction
)
DEFAULTS: dict[str, str] = {
    "CHECKPOINT_RETENTION_DAYS": "90",
    "APPROVAL_POLICY": "always",
    "APPROVAL_COST_LIMIT_EUR": "50000",
    "APPROVAL_TIMEOUT_SECONDS": "3600",
    "KNOWLEDGE_BASE_ID": "",  # empty: the embedded corpus only
    "POLICY_OVERRIDES": "",  # optional JSON over domain.policy.Policy
    "POWERTOOLS_SERVICE_NAME": "skymarshal",
    "POWERTOOLS_METRICS_NAMESPACE": "SkyMarshal",
    "AWS_RETRY_MODE": "standard",  # standard | adaptive
    "AWS_MAX_ATTEMPTS": "5",
    "EVENTS_TOPIC_ARN": "",  # RequestApproval, Finalize: empty -> nothing is published
    "CONSOLE_URL": "",  # the same two: link to the thread in outbound events
    "APPROVER_CLAIM": "",  # ApprovalApi: the JWT claim naming the approver (default: email, ...)
    # ApprovalApi: who may approve. JWT callers: APPROVER_GROUP in the claim APPROVER_GROUP_CLAIM; IAM
    # callers: an assumed role named in APPROVER_ROLE_NAMES (comma-separated). Everyone else: 403.
    "APPROVER_GROUP_CLAIM": "cognito:groups",
    "APPROVER_GROUP": "duty-managers",
    "APPROVER_ROLE_NAMES": "DutyManager",
    "CONSOLE_LOGIN_URL": "",  # ApprovalApi: Cognito hosted UI; empty -> no sign-in
    "CONSOLE_CLIENT_ID": "",
    "API_BASE": "",
    # The duty manager's briefing (skymarshal.briefing): a Bedrock model writes it when a model id is set.
    "BRIEFING_MODEL_ID": "",  # empty: the deterministic template briefing only
    "BRIEFING_MAX_TOKENS": "700",  # the model's output token limit
    "BRIEFING_TIMEOUT_SECONDS": "20",  # botocore read timeout of one Converse call
    "BRIEFING_MAX_ATTEMPTS": "3",  # botocore attempts (throttling, timeouts) before the template is used
}
VARIABLES = (*REQUIRED, *DEFAULTS)


def _required(value: str | None, name: str) -> str:
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set (it comes from template.yaml)")
    return value


@dataclass(frozen=True)
class Settings:
    """The environment, typed. Required values are checked when read, so a function that never needs one
    (the intake Lambda and the checkpoint table, a unit test) does not need it set."""

    required: tuple[tuple[str, str | None], ...]
    checkpoint_retention_days: int
    approval_policy: str
    approval_cost_limit_eur: float
    approval_timeout_seconds: int
    knowledge_base_id: str
    policy_overrides: str
    service_name: str
    metrics_namespace: str
    aws_retry_mode: str
    aws_max_attempts: int
    events_topic_arn: str
    console_url: str
    approver_claim: str
    approver_group_claim: str
    approver_group: str
    approver_role_names: tuple[str, ...]
    console_login_url: str
    console_client_id: str
    api_base: str
    briefing_model_id: str
    briefing_max_tokens: int
    briefing_timeout_seconds: int
    briefing_max_attempts: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        v = {name: environ.get(name, default) for name, default in DEFAULTS.items()}
        return cls(
            required=tuple((name, environ.get(name)) for name in REQUIRED),
            checkpoint_retention_days=int(v["CHECKPOINT_RETENTION_DAYS"]),
            approval_policy=v["APPROVAL_POLICY"],
            approval_cost_limit_eur=float(v["APPROVAL_COST_LIMIT_EUR"]),
            approval_timeout_seconds=int(v["APPROVAL_TIMEOUT_SECONDS"]),
            knowledge_base_id=v["KNOWLEDGE_BASE_ID"],
            policy_overrides=v["POLICY_OVERRIDES"],
            service_name=v["POWERTOOLS_SERVICE_NAME"],
            metrics_namespace=v["POWERTOOLS_METRICS_NAMESPACE"],
            aws_retry_mode=v["AWS_RETRY_MODE"],
            aws_max_attempts=int(v["AWS_MAX_ATTEMPTS"]),
            events_topic_arn=v["EVENTS_TOPIC_ARN"],
            console_url=v["CONSOLE_URL"],
            approver_claim=v["APPROVER_CLAIM"],
            approver_group_claim=v["APPROVER_GROUP_CLAIM"],
            approver_group=v["APPROVER_GROUP"],
            approver_role_names=tuple(r.strip() for r in v["APPROVER_ROLE_NAMES"].split(",") if r.strip()),
            console_login_url=v["CONSOLE_LOGIN_URL"],
            console_client_id=v["CONSOLE_CLIENT_ID"],
            api_base=v["API_BASE"],
            briefing_model_id=v["BRIEFING_MODEL_ID"].strip(),
            briefing_max_tokens=int(v["BRIEFING_MAX_TOKENS"]),
            briefing_timeout_seconds=int(v["BRIEFING_TIMEOUT_SECONDS"]),
            briefing_max_attempts=int(v["BRIEFING_MAX_ATTEMPTS"]),
        )

    def _get(self, name: str) -> str:
        return _required(dict(self.required)[name], name)

    @property
    def checkpoint_table(self) -> str:
        return self._get("CHECKPOINT_TABLE")

    @property
    def ops_table(self) -> str:
        return self._get("OPS_TABLE")

    @property
    def idempotency_table(self) -> str:
        return self._get("IDEMPOTENCY_TABLE")

    @property
    def checkpoint_bucket(self) -> str:
        return self._get("CHECKPOINT_BUCKET")

    @property
    def state_machine_arn(self) -> str:
        return self._get("STATE_MACHINE_ARN")

    @property
    def intake_dlq_url(self) -> str:
        return self._get("INTAKE_DLQ_URL")


def settings() -> Settings:
    """The current settings (cached while the environment's values stay the same)."""
    return _settings(tuple(os.environ.get(name) for name in VARIABLES))


@lru_cache(maxsize=4)
def _settings(values: tuple[str | None, ...]) -> Settings:
    present = {name: value for name, value in zip(VARIABLES, values, strict=True) if value is not None}
    return Settings.from_environ(present)


def policy() -> Policy:
    """The decision policy: FACTS.md defaults, the approval parameters, then optional JSON overrides."""
    return _policy(settings())


@lru_cache(maxsize=4)
def _policy(s: Settings) -> Policy:
    from skymarshal.domain.policy import Policy

    data: dict = {"approval_mode": s.approval_policy, "approval_cost_limit_eur": s.approval_cost_limit_eur}
    if s.policy_overrides:
        data.update(json.loads(s.policy_overrides))
    return Policy.model_validate(data)


def reset() -> None:
    """Forget cached settings (tests, and the embedded stack when it redeploys)."""
    _settings.cache_clear()
    _policy.cache_clear()
