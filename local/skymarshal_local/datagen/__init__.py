"""A deterministic hub airline day: the `OpsDataset` behind `make demo`, `skymarshal seed` and the benchmarks.

`generate_day(day, seed, scale)` builds, from a seeded `random.Random` only (no wall clock, no hash order), an
Etihad-like operation at the AUH hub:
- airports: the hub and 50+ outstations with real IATA/ICAO codes, IANA timezones and coordinates (distances
  are great-circle), curfews where real (FRA 23:00–05:00, SYD 23:00–06:00, ZRH, NRT, DUS), sample MCTs;
- fleet: ~150 tails of A320/A321/A321neo, B787-9/-10, A350-1000 and B777-300ER (families for swaps), some
  with open MEL deferrals; spares at the hub, some with an expired deferral, one in the hangar, one AOG;
- flights: hub-and-spoke rotations timed to five AUH departure banks, curfew-aware, from 00:00 UTC on the
  day until 12:00 UTC the next day (tails fly 2–6 sectors on the day), ~1,000 flights;
- crew: pairings cut from the rotations within EASA Table 2 FDP limits (augmented crews on ultra-long haul),
  rostered greedily with rest respected, cumulative histories (a few near their limits), ~5% reserves;
- bookings: ~150,000 segment bookings with cabins, loyalty tiers, SSRs, revenue, hub connections (same PNR on
  both legs; some tight) and interline onward connections; cargo with handling codes, temperature classes and
  deadlines; the default cost parameters.

The sample events' flights exist at every scale, as in the hand-made scenarios (`SAMPLE_FLIGHTS`): EY123
AUH→FRA 06:20Z on A6-BLA, EY456 AUH→LHR 03:00Z on A6-BLH, EY789 AUH→SYD 17:40Z on A6-BLC (expired MEL
deferral) and EY321 AUH→ZRH 13:20Z on A6-BLK, on the day, each with the scenarios' crew ids, bookings (some
connecting) and special cargo.

`scale` shrinks the fleet (hence flights, crew, bookings, cargo) and the network proportionally, keeping the
minimum that the sample flights and their recovery options need.

The package: `reference` reads the reference tables from `data/*.json`; `network`, `fleet`, `crew` and
`commercial` generate their part of the day; `day` composes them (`generate_day`); `files` writes and reads the
import document.
"""

from __future__ import annotations

from skymarshal_local.datagen.day import generate_day, summary
from skymarshal_local.datagen.files import DatasetFileError, read_dataset, write_dataset
from skymarshal_local.datagen.reference import DEFAULT_DAY, HUB, SAMPLE_FLIGHTS

__all__ = [
    "DEFAULT_DAY",
    "HUB",
    "SAMPLE_FLIGHTS",
    "DatasetFileError",
    "generate_day",
    "read_dataset",
    "summary",
    "write_dataset",
]
