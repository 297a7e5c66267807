"""skymarshal_local.datagen.background: the hub day generated in a process of its own (while the embedded stack
starts, `skymarshal run --hub-day`) is the same day, item for item, as generating it in this process."""

from __future__ import annotations

import pytest

from skymarshal.opsdata import dataset_items
from skymarshal_local.datagen import generate_day
from skymarshal_local.datagen.background import DayInBackground


def test_the_day_from_the_child_process_is_the_day_generated_here() -> None:
    child = DayInBackground(0.05).result()
    day = generate_day(scale=0.05)
    here = list(dataset_items(day))
    assert child.items == [item for _, item in here]
    assert sum(child.entities.values()) == len(here) and child.entities["flights"] == len(day.flights)
    assert child.describe().startswith(f"generated hub day, scale 0.05: {len(day.flights)} flights, ")


def test_a_child_that_fails_is_reported_with_its_error() -> None:
    with pytest.raises(RuntimeError, match=r"generating the hub day \(scale -1.0\) failed \(exit 1\): \w+"):
        DayInBackground(-1.0).result()
