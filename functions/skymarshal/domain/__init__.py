"""SkyMarshal's decision engine: pure, deterministic rules (no AWS, no clock, no randomness).

The handlers call exactly these functions; see each module for the rule it implements.

The names below are loaded on first use (PEP 562 module `__getattr__`): `skymarshal.config` needs only
`domain.policy`, and a Lambda handler imports only the rules it runs, so a cold start does not pay for the
seven agents' modules in every function (benchmarks/bench_coldstart.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skymarshal.lazy import exports

if TYPE_CHECKING:
    from .agents import assess, unavailable_view
    from .arbitrator import GuidanceLookup, approval_requirement, arbitrate
    from .operation import InMemoryOpsReader, OpsDataset, OpsReader, Snapshot, SnapshotError, build_snapshot
    from .options import generate_options
    from .policy import Policy
    from .revision import revise

_WHERE = {
    "assess": ".agents", "unavailable_view": ".agents",
    "GuidanceLookup": ".arbitrator", "approval_requirement": ".arbitrator", "arbitrate": ".arbitrator",
    "InMemoryOpsReader": ".operation", "OpsDataset": ".operation", "OpsReader": ".operation", "Snapshot": ".operation",
    "SnapshotError": ".operation", "build_snapshot": ".operation",
    "generate_options": ".options",
    "Policy": ".policy",
    "revise": ".revision",
}

__all__ = [
    "GuidanceLookup",
    "InMemoryOpsReader",
    "OpsDataset",
    "OpsReader",
    "Policy",
    "Snapshot",
    "SnapshotError",
    "approval_requirement",
    "arbitrate",
    "assess",
    "build_snapshot",
    "generate_options",
    "revise",
    "unavailable_view",
]


__getattr__ = exports(__name__, _WHERE)
