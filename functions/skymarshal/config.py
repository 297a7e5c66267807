"""Configuration from environment variables (set once in template.yaml Globals).

Read lazily and cached, so tests and the embedded stack can set the environment before first use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

from skymarshal.domain.policy import Policy


@dataclass(frozen=True)
class Settings:
    checkpoint_table: str
    ops_table: str
    idempotency_table: str
    checkpoint_bucket: str
    checkpoint_retention_days: int
    approval_policy: str
    approval_cost_limit_eur: float
    approval_timeout_seconds: int
    knowledge_base_id: str
    environment_name: str
    console_url: str
    policy_overrides: str


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set (it comes from template.yaml Globals)")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        checkpoint_table=_env("CHECKPOINT_TABLE"),
        ops_table=_env("OPS_TABLE"),
        idempotency_table=_env("IDEMPOTENCY_TABLE"),
        checkpoint_bucket=_env("CHECKPOINT_BUCKET"),
        checkpoint_retention_days=int(_env("CHECKPOINT_RETENTION_DAYS", "90")),
        approval_policy=_env("APPROVAL_POLICY", "always"),
        approval_cost_limit_eur=float(_env("APPROVAL_COST_LIMIT_EUR", "50000")),
        approval_timeout_seconds=int(_env("APPROVAL_TIMEOUT_SECONDS", "3600")),
        knowledge_base_id=_env("KNOWLEDGE_BASE_ID", ""),
        environment_name=_env("ENVIRONMENT_NAME", "dev"),
        console_url=_env("CONSOLE_URL", ""),
        policy_overrides=_env("POLICY_OVERRIDES", ""),
    )


@lru_cache(maxsize=1)
def policy() -> Policy:
    """The decision policy: FACTS.md defaults, the approval parameters, then optional JSON overrides."""
    s = settings()
    data: dict = {"approval_mode": s.approval_policy, "approval_cost_limit_eur": s.approval_cost_limit_eur}
    if s.policy_overrides:
        data.update(json.loads(s.policy_overrides))
    return Policy.model_validate(data)


def reset() -> None:
    """Forget cached settings (tests, and the embedded stack when it redeploys)."""
    settings.cache_clear()
    policy.cache_clear()
