"""SkyMarshal's decision engine: pure, deterministic rules (no AWS, no clock, no randomness).

The handlers call exactly these functions; see each module for the rule it implements.
"""

from __future__ import annotations

from .agents import assess, unavailable_view
from .arbitrator import GuidanceLookup, approval_requirement, arbitrate
from .operation import InMemoryOpsReader, OpsDataset, OpsReader, Snapshot, SnapshotError, build_snapshot
from .options import generate_options
from .policy import Policy
from .revision import revise

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
