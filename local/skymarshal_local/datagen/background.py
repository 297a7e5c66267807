"""The generated hub day, made in a process of its own while the embedded stack starts.

Starting the stack (importing moto, translating and deploying the template) and generating the day (a seeded
random walk through ~165,000 records) are both single-threaded CPU work of several seconds each; one after the
other they made `skymarshal run --hub-day` (and `make demo`) wait for their sum. `DayInBackground(scale)`
starts `python -m skymarshal_local.datagen.background SCALE`, which generates the day, turns it into the
table's items (`opsdata.dataset_items`, the same items `load_dataset` writes) and sends them back pickled on
its stdout; `result()` waits for them. The day is the same as `generate_day(scale=scale)` in this process
(seeded, no wall clock): only where the work runs changes.

Written with subprocess rather than multiprocessing: its spawn and forkserver start methods import the
parent's __main__ again in the child, which for a script that starts a stack would start another one.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from skymarshal_local.collector import collector_paused

DEADLINE_S = 600.0  # a 1,000-flight day takes ~6 s on 2 cores; a stuck child is reported, never waited on forever


@dataclass
class GeneratedDay:
    """The table's items of a generated day, with what the operator is told about it."""

    scale: float
    items: list[dict[str, Any]]
    entities: dict[str, int]  # items per entity, as load_dataset counts them
    summary: dict[str, int] = field(default_factory=dict)  # flights, aircraft, crew, bookings, cargo
    seconds: float = 0.0  # the generation's own time in the child

    def describe(self) -> str:
        s = self.summary
        return (f"generated hub day, scale {self.scale}: {s['flights']} flights, {s['aircraft']} aircraft, "
                f"{s['crew']} crew, {s['bookings']} bookings, {s['cargo']} shipments")


def generate(scale: float) -> GeneratedDay:
    """The day's items, made in this process."""
    from skymarshal.opsdata import dataset_items
    from skymarshal_local.datagen import generate_day

    started = time.perf_counter()
    day = generate_day(scale=scale)
    entities: Counter[str] = Counter()
    items = []
    for entity, item in dataset_items(day):
        entities[entity] += 1
        items.append(item)
    summary = {"flights": len(day.flights), "aircraft": len(day.aircraft), "crew": len(day.crew),
               "bookings": len(day.bookings), "cargo": len(day.cargo)}
    return GeneratedDay(scale, items, dict(entities), summary, time.perf_counter() - started)


class DayInBackground:
    """`generate(scale)` in a child process, started now; `result()` collects it."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        pythonpath = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skymarshal_local.datagen.background", repr(float(scale))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": pythonpath},
        )

    def result(self, timeout: float = DEADLINE_S) -> GeneratedDay:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise RuntimeError(f"generating the hub day (scale {self.scale}) took over {timeout:.0f}s") from exc
        if self.process.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"generating the hub day (scale {self.scale}) failed "
                               f"(exit {self.process.returncode}): {tail[0]}")
        with collector_paused():  # 165,000 dicts for the table: the collector would only rescan them
            day = pickle.loads(out)  # our own child's answer on a private pipe
        if not isinstance(day, GeneratedDay):
            raise RuntimeError("generating the hub day: the child answered something else")
        return day

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def main(argv: list[str]) -> int:
    with collector_paused(keep=True):  # the child ends with its answer: nothing it builds needs collecting
        day = generate(float(argv[1]))
        sys.stdout.buffer.write(pickle.dumps(day, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    # by its import name, not as __main__: the parent unpickles GeneratedDay from this module
    from skymarshal_local.datagen import background

    raise SystemExit(background.main(sys.argv))
