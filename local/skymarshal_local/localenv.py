"""The local side's constants and its one boto3 client factory.

Everything under skymarshal_local that talks to an AWS API (the embedded stack, the event-source pollers, the
console server, the operator's `Target`) builds its clients with `client()`, so retries, timeouts and the fake
local credentials are decided in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
SCENARIOS = ROOT / "data" / "scenarios"
# Where `serve` and `run` keep the embedded stack's state between processes (.skymarshal/ is git-ignored);
# `--state-dir` / SKYMARSHAL_STATE_DIR choose another.
DEFAULT_STATE_DIR = ROOT / ".skymarshal" / "state"

REGION = "us-east-1"
ACCOUNT = "123456789012"
DEFAULT_PORT = 8642
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
STACK_NAME = "skymarshal-local"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}

LOCAL_ENV = {
    # fake credentials and region: nothing here ever reaches AWS
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # Powertools offline: no X-Ray daemon. Logs and EMF metrics are captured per invocation by the runtime
    # (skymarshal_local.emulator.runtime), as Lambda sends them to CloudWatch Logs, instead of filling the terminal.
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": os.environ.get("SKYMARSHAL_LOCAL_LOG_LEVEL", "INFO"),
}


def put_back_environ(saved: Mapping[str, str | None]) -> None:
    """Give each variable its saved value, or remove it where it was unset (None) when saved."""
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def client(service: str, endpoint_url: str | None, region: str | None = REGION, *, attempts: int = 3,
           read_timeout: int = 60, max_pool_connections: int = 10, local_credentials: bool = True) -> Any:
    """A boto3 client for `service` at `endpoint_url` (None: AWS itself), with standard-mode retries.

    `local_credentials` passes the fake local keys (the embedded stack accepts any); without them the usual
    credential chain applies (a deployed stack). The defaults of `read_timeout` and `max_pool_connections` are
    botocore's own."""
    credentials = LOCAL_CREDENTIALS if local_credentials else {}
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=endpoint_url, region_name=region, **credentials,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, read_timeout=read_timeout,
                      max_pool_connections=max_pool_connections),
    )
