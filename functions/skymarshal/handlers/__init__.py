"""One thin module per Lambda: parse the input, call one step in skymarshal.steps, return a model.

Cold start: the cyclic garbage collector is paused from here (the package is imported before any handler
module) until the handler module's last line calls `initialised()`, which freezes what the import built and
resumes the collector. An import allocates hundreds of thousands of long-lived objects (modules, classes,
functions, schemas) and almost no garbage, yet the collector ran ~120 times scanning them, a full
collection included: about a seventh of a handler's import (benchmarks/bench_coldstart.py). `gc.freeze()`
then moves them to the permanent generation, so the collections of every later invocation skip them too; it
is the sequence the gc documentation gives for a process that is copied after its initialisation ("call
gc.disable() early in the parent process, gc.freeze() right before fork()",
https://docs.python.org/3/library/gc.html#gc.freeze), which a SnapStart snapshot and the local runtime's
forked sandboxes both are. Every handler module must end with `initialised()` (tests/unit/test_coldstart.py
imports each one in a fresh interpreter and checks that the collector runs again).

Written by hand: no library pauses the collector for the span of a module's import.
"""

import gc

_paused = gc.isenabled()
if _paused:
    gc.disable()


def initialised() -> None:
    """The handler module is imported: freeze what its import built and resume the collector (once per process:
    the local runtime's zygote imports every handler, only the first import ran paused)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
