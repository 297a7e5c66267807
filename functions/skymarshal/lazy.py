"""Names a package re-exports, imported on first use (PEP 562 module `__getattr__`).

A Lambda handler imports only the modules whose names it uses: `from skymarshal.domain.operation import Flight`
imports the records and not the snapshot builder with every workflow model behind it (cold start:
benchmarks/bench_coldstart.py). Written here because the standard library's `importlib.util.LazyLoader` defers
a whole module until an attribute is touched, where a package needs each name to load its own submodule.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: `where` maps each re-exported name to its module (absolute, or relative
    to the package: ".records"). A name is looked up once; it then sits in the package like an eager import."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:  # a submodule (`from skymarshal.domain import fleet`) is found by the import system
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__, not importlib.import_module: the interpreter's own import path, which `-X importtime`
        # times (the bench's breakdown); import_module's pure-Python path is invisible to it.
        absolute = importlib.util.resolve_name(module, package)
        __import__(absolute)
        value = getattr(sys.modules[absolute], name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
