"""Bulk work with Python's cyclic garbage collector paused: `with collector_paused(): ...`.

Starting the embedded stack, generating the hub day and loading it allocate hundreds of thousands of containers
(moto's modules, records, models, table items) that live on and form almost no cycles; what they drop is freed
by reference counting. The collector nevertheless ran every 700 allocations and, as the heap grew, rescanned
everything built so far: validating the day's 144,062 bookings took 3.6 s with it and 1.1 s without, the
1,000-flight day 7.1 s against 4.0 s, a stack start 6.1 s against 4.0 s (benchmarks/bench_hubday.py prints the
phases). The collector is resumed when the block ends, as it was before (a block inside another changes
nothing), and its next collections find any cycle the block left.

`keep=True` is for a block whose objects live as long as the process (the stack's server and deployment, a
loaded table, a child process that prints its answer and exits). Everything the block allocated is still in
the youngest generation when it ends, so the collections after it would scan it all again, three generations
deep (~2 s of a hub day's 11). A kept block collects first, then freezes what it built into the permanent
generation that no collection scans: the sequence the gc documentation gives for a process whose
initialisation is long-lived ("gc.disable() early ..., gc.freeze() ...",
https://docs.python.org/3/library/gc.html#gc.freeze). Frozen objects are still freed by reference counting
when the last reference goes; only a cycle that became garbage inside the block stays until the process ends.

Written by hand: no library pauses the collector for the span of a block. The Lambda handlers pause it for
their import in skymarshal.handlers, whose span crosses modules.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, keep: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector for the block and resume it after, if this block paused it.
    keep=True: collect before the block and freeze what is alive after it (objects that live as long as the
    process)."""
    if not gc.isenabled():
        yield
        return
    if keep:
        gc.collect()  # the garbage from before the block is not frozen with it
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        gc.enable()
