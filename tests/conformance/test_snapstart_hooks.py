"""Conformance: the local runtime runs SnapStart's runtime hooks when and in the order Lambda runs them.

Reference: https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html: hooks registered
with snapshot_restore_py run "Before snapshot: Executed in the reverse order of registration" and "After
snapshot: Executed in the order of registration", each with the arguments it was registered with. The zygote
(skymarshal_local.emulator.sandbox) is the process snapshotted, each forked sandbox a restore: it calls
`before_snapshot()` after its imports and `after_restore()` in every sandbox before the first invocation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import snapshot_restore_py

from skymarshal_local.emulator import sandbox


@pytest.fixture()
def registries() -> Iterator[list[str]]:
    """Empty hook registries for the test (the handlers imported by other tests registered theirs), put back
    after."""
    before, after = snapshot_restore_py.get_before_snapshot(), snapshot_restore_py.get_after_restore()
    saved = list(before), list(after)
    before.clear()
    after.clear()
    try:
        yield []
    finally:
        before[:], after[:] = saved


def test_before_snapshot_hooks_run_in_reverse_and_after_restore_hooks_in_order(registries: list[str]) -> None:
    ran = registries
    for name in ("first", "second", "third"):
        snapshot_restore_py.register_before_snapshot(ran.append, f"snapshot {name}")
        snapshot_restore_py.register_after_restore(lambda name=name, tag="restore": ran.append(f"{tag} {name}"))
    sandbox.before_snapshot()
    assert ran == ["snapshot third", "snapshot second", "snapshot first"]
    ran.clear()
    sandbox.after_restore()
    assert ran == ["restore first", "restore second", "restore third"]


def test_a_failing_before_snapshot_hook_is_raised(registries: list[str]) -> None:
    def fails() -> None:
        raise RuntimeError("cannot prime")

    snapshot_restore_py.register_before_snapshot(fails)
    with pytest.raises(RuntimeError, match="cannot prime"):
        sandbox.before_snapshot()
