"""skymarshal_local.collector: bulk work (stack start, hub-day generation and load) runs with the cyclic
collector paused; afterwards the collector runs again, as before the block, and nothing alive is lost."""

from __future__ import annotations

import gc
import weakref

import pytest

from skymarshal_local.collector import collector_paused
from skymarshal_local.datagen import generate_day


class Node:
    """A container that can form a cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


def _garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def _collector_on() -> None:
    assert gc.isenabled(), "the test process must start with the collector running"


def test_the_collector_is_paused_in_the_block_and_runs_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # an inner block leaves it to the outer one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_block_that_raises_resumes_the_collector() -> None:
    with pytest.raises(ValueError), collector_paused(keep=True):
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_block_inside_a_paused_span_does_not_resume_it() -> None:
    gc.disable()
    try:
        with collector_paused(keep=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_kept_block_collects_the_garbage_from_before_and_freezes_what_it_built() -> None:
    before = _garbage_cycle()
    frozen = gc.get_freeze_count()
    with collector_paused(keep=True):
        assert before() is None, "garbage from before the block is collected, not frozen"
        built = [Node() for _ in range(10_000)]  # instances, which the collector tracks
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(built)  # the block's containers left the collected generations
    after = _garbage_cycle()
    gc.collect()
    assert after() is None, "a cycle dropped after the block is still collected"
    assert all(node.other is None for node in built)


def test_generating_a_day_leaves_the_collector_running() -> None:
    day = generate_day(scale=0.05)
    assert gc.isenabled() and day.flights
    with pytest.raises(ValueError, match="scale must be positive"):
        generate_day(scale=0)
    assert gc.isenabled()
