"""The duty manager's briefing on the embedded stack (no model configured, as in `make demo`): the template
briefing heads the thread view (console), `skymarshal show`, the ApprovalRequested event and the audit (issue 16)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from skymarshal import threadview
from skymarshal.models import DisruptionEvent
from skymarshal_local.operations.audit import export
from tests.conftest import TERMINAL, load_event

pytestmark = pytest.mark.workflow


def test_the_template_briefing_heads_every_place_a_duty_manager_looks(target, seed, stack: Any, monkeypatch):
    seed("ey123-technical-delay")
    event = DisruptionEvent.model_validate(load_event("ey123-technical-delay"))
    arn = target.start(event)
    assert target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"})["status"] == "AWAITING_APPROVAL"

    briefing = threadview.build(target.store, event.thread_id)["briefing"]
    assert briefing["source"] == "template" and briefing["model_id"] is None
    assert "**We recommend OPT-3** (aircraft_swap)" in briefing["text"]
    assert "EASA ORO.FTL.205(b) Table 2: limit 720 min, actual 860 min" in briefing["text"]

    requested = target.store.latest(event.thread_id, "approval_requested")
    assert requested is not None
    markdown = export(target, event.thread_id, "md")
    assert markdown.index("## Briefing") < markdown.index("## Decision")
    assert "We recommend OPT-3" in markdown and "Written by: the template" in markdown

    from skymarshal_local.cli import app

    shown = CliRunner().invoke(app, ["show", event.thread_id, "--endpoint-url", stack.endpoint_url, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["briefing"]["text"] == briefing["text"]
    target.decide(event.thread_id, True, "dm-42", "ok")
    assert target.wait(arn, TERMINAL)["status"] == "SUCCEEDED"
