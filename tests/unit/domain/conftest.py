"""Fixtures for the domain tests (helpers live in domain_scenarios.py, importable by name)."""

from __future__ import annotations

import pytest
from domain_scenarios import SCENARIOS, Run, run_pipeline


@pytest.fixture(scope="session")
def runs() -> dict[str, Run]:
    """The whole pipeline once per hand-made scenario."""
    return {stem: run_pipeline(stem) for stem in SCENARIOS}
