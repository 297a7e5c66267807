"""The decision-quality suite under pytest (the same cases as `make eval`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .suite import CASES, check


def test_the_suite_has_at_least_twenty_scenarios() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_engine_decides_as_an_operations_controller_would(path: Path) -> None:
    outcome = check(path)
    assert outcome.passed, f"{outcome.name}: expected {outcome.expected}, got {outcome.actual}: {outcome.misses}"
