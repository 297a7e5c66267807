"""For unit tests on moto's in-process mock: an offline AWS environment and table definitions read from
template.yaml (through the embedded stack's own template loader), so tests create the tables the stack has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from skymarshal_local.template import load_template


@contextmanager
def offline_aws() -> Iterator[None]:
    """Fake credentials and region, no endpoint or profile: every client goes to moto's mock."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}.items():
            mp.setenv(name, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        yield


def table_definition(logical_id: str) -> dict[str, Any]:
    """CreateTable arguments (keys, indexes, billing) of a table in template.yaml."""
    props = load_template()["Resources"][logical_id]["Properties"]
    definition = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes") if k in props}
    definition["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
    return definition
