"""Operational data: the import document, the read patterns the agents need, and the per-disruption snapshot.

| module | concern |
|---|---|
| `records.py` | the records (airports, aircraft, flights, crew, duties, bookings, cargo, costs) and flight keys |
| `document.py` | `OpsDataset`, the ONE import document (JSON, `schema_version` "1"), and its cross-reference check |
| `reader.py` | `OpsReader`, the access patterns (by key or index, never a scan); `InMemoryOpsReader` |
| `snapshot.py` | `Snapshot`, everything one disruption needs, and `build_snapshot` |

- `OpsDataset` is the ONE import document (JSON, `schema_version` "1"): airports, aircraft types, aircraft,
  flights, crew, duties, bookings, cargo and cost parameters; cross-references are checked with clear errors.
- A flight is addressed by its key `"EY123/2026-12-01"` (`flight_key()`); every datetime is aware UTC and local
  times come from the airport's IANA timezone; durations are minutes, cumulative crew totals are hours.
- `OpsReader` lists the access patterns, each by key or by an index (never a scan), that a DynamoDB reader
  implements; `InMemoryOpsReader` builds the same indexes once over a dataset (tests, `--ops-data FILE`).
- `Snapshot` is everything one disruption needs, read once and stored as one JSON checkpoint: a registry of the
  flights involved plus key lists, bookings aggregated except the connecting ones, which stay in detail.

Everything is re-exported here: import from `skymarshal.domain.operation`. The names load their module on first
use (skymarshal.lazy), so a function that reads flights does not import the snapshot builder and the workflow
models behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skymarshal.lazy import exports

if TYPE_CHECKING:
    from .document import OpsDataset, dataset_errors
    from .reader import InMemoryOpsReader, OpsReader
    from .records import (
        CABIN_RANKS,
        COCKPIT_RANKS,
        FLIGHT_KEY,
        FLIGHT_NUMBER,
        IATA,
        SCHEMA_VERSION,
        Aircraft,
        AircraftStatus,
        AircraftType,
        Airport,
        Booking,
        Cabin,
        CargoShipment,
        ConnectionType,
        CostParameters,
        CrewDuty,
        CrewMember,
        Defect,
        Flight,
        FlightStatus,
        HandlingCode,
        LoyaltyTier,
        MelCategory,
        MinimumConnectionTimes,
        OnwardConnection,
        Rank,
        Record,
        TemperatureClass,
        flight_key,
        split_flight_key,
    )
    from .snapshot import (
        MAX_SWAP_CANDIDATES,
        REBOOKING_HORIZON,
        ROTATION_AFTER,
        ROTATION_BEFORE,
        BookingSummary,
        Snapshot,
        SnapshotError,
        build_snapshot,
    )

_WHERE = {
    **dict.fromkeys(("OpsDataset", "dataset_errors"), ".document"),
    **dict.fromkeys(("InMemoryOpsReader", "OpsReader"), ".reader"),
    **dict.fromkeys((
        "CABIN_RANKS", "COCKPIT_RANKS", "FLIGHT_KEY", "FLIGHT_NUMBER", "IATA", "SCHEMA_VERSION", "Aircraft",
        "AircraftStatus", "AircraftType", "Airport", "Booking", "Cabin", "CargoShipment", "ConnectionType",
        "CostParameters", "CrewDuty", "CrewMember", "Defect", "Flight", "FlightStatus", "HandlingCode",
        "LoyaltyTier", "MelCategory", "MinimumConnectionTimes", "OnwardConnection", "Rank", "Record",
        "TemperatureClass", "flight_key", "split_flight_key",
    ), ".records"),
    **dict.fromkeys((
        "MAX_SWAP_CANDIDATES", "REBOOKING_HORIZON", "ROTATION_AFTER", "ROTATION_BEFORE", "BookingSummary",
        "Snapshot", "SnapshotError", "build_snapshot",
    ), ".snapshot"),
}

__all__ = [
    "CABIN_RANKS",
    "COCKPIT_RANKS",
    "FLIGHT_KEY",
    "FLIGHT_NUMBER",
    "IATA",
    "MAX_SWAP_CANDIDATES",
    "REBOOKING_HORIZON",
    "ROTATION_AFTER",
    "ROTATION_BEFORE",
    "SCHEMA_VERSION",
    "Aircraft",
    "AircraftStatus",
    "AircraftType",
    "Airport",
    "Booking",
    "BookingSummary",
    "Cabin",
    "CargoShipment",
    "ConnectionType",
    "CostParameters",
    "CrewDuty",
    "CrewMember",
    "Defect",
    "Flight",
    "FlightStatus",
    "HandlingCode",
    "InMemoryOpsReader",
    "LoyaltyTier",
    "MelCategory",
    "MinimumConnectionTimes",
    "OnwardConnection",
    "OpsDataset",
    "OpsReader",
    "Rank",
    "Record",
    "Snapshot",
    "SnapshotError",
    "TemperatureClass",
    "build_snapshot",
    "dataset_errors",
    "flight_key",
    "split_flight_key",
]

__getattr__ = exports(__name__, _WHERE)
