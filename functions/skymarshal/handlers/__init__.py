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

SnapStart: a function that passes `snapshot=(services...)` to `initialised()` registers `prime` as a
before-snapshot hook (snapshot_restore_py, part of the Lambda Python runtime). Lambda runs it once, when it
initialises a published version, before it takes the snapshot: it builds the validators of every pydantic model
the import loaded (the models build them on first validation, `defer_build`) and creates the function's AWS
clients (skymarshal.aws.prime), which are otherwise the first invocation's work: 0.1 s and 0.25 s of the agent's
first invocation on the 2-core build VM, on top of its import (benchmarks/bench_coldstart.py prints both per
handler). A restored sandbox then starts with them built; after the restore it only makes its clients again on
the service models already loaded (~0.06 s). AWS's SnapStart guidance asks for exactly this: "preload
dependencies and initialize resources that contribute to startup latency in your initialization code instead
of in the function handler" (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html).
Functions without SnapStart pay it at their first invocation, only for what they use.

Written by hand: no library pauses the collector for the span of a module's import, and none builds every
deferred pydantic model of a package.
"""

import gc
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

STORES = ("dynamodb", "s3")  # the checkpoint store's services (items in DynamoDB, large payloads in S3)

_paused = gc.isenabled()
if _paused:
    gc.disable()


def initialised(*, snapshot: Iterable[str] = (), preload: Iterable[str] = ()) -> None:
    """The handler module is imported: freeze what its import built and resume the collector (once per process:
    the local runtime's zygote imports every handler, only the first import ran paused). `snapshot`: the AWS
    services whose clients `prime` creates before a SnapStart snapshot; `preload`: modules the handler imports
    on first use (to keep the import of a function without SnapStart short) that `prime` imports into the
    snapshot."""
    global _paused
    services = tuple(snapshot)
    if services:
        from snapshot_restore_py import register_before_snapshot

        register_before_snapshot(prime, services, tuple(preload))
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def deferred_models() -> list[type["BaseModel"]]:
    """The skymarshal pydantic models loaded so far whose validators are not built yet."""
    from pydantic import BaseModel

    found: list[type[BaseModel]] = []
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("skymarshal.") and not model.__pydantic_complete__:
            found.append(model)
    return found


def prime(services: Iterable[str] = (), preload: Iterable[str] = ()) -> None:
    """A first invocation's one-time work, done now: import the `preload` modules, build every deferred model's
    validator (theirs included) and create the clients of `services` (see the module docstring). Errors are
    raised: a model that cannot be built would fail the first invocation anyway."""
    import importlib

    from skymarshal import aws

    for module in preload:
        importlib.import_module(module)
    for model in deferred_models():
        model.model_rebuild(raise_errors=True)
    aws.prime(services)
