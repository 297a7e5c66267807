"""Benchmark: the generated hub day and the in-process decision engine, per disruption.

Prints, and writes to benchmarks/results/agents.json:
- the time to generate the hub day (scale 1.0 by default) and to index it in an `InMemoryOpsReader`;
- per disruption (the four sample events EY123, EY456, EY789, EY321): snapshot + options + the seven agents'
  phase 1 + their phase 2 + arbitration, with the stage breakdown, against the target "well under 1 s per
  disruption in process" (the ratio is mean / 1 s).

Run: `PYTHONPATH=functions:local python benchmarks/bench_agents.py [--scale 1.0] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "functions", ROOT / "local"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from skymarshal.models import ALL_AGENTS, DisruptionEvent  # noqa: E402
from skymarshal_local.datagen import SAMPLE_FLIGHTS, generate_day, summary  # noqa: E402

TARGET_SECONDS = 1.0
RESULTS = ROOT / "benchmarks" / "results" / "agents.json"
EVENT_DIRS = (ROOT / "events", ROOT / "data" / "scenarios")
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def sample_events() -> list[DisruptionEvent]:
    """The sample events of the four sample flights: from events/, else data/scenarios/, else built here."""
    found: dict[str, DisruptionEvent] = {}
    for directory in EVENT_DIRS:
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            try:
                event = DisruptionEvent.model_validate_json(path.read_bytes())
            except ValueError:
                continue  # an SQS envelope, a dataset, ...
            if event.flight_number in SAMPLE_FLIGHTS:
                found.setdefault(event.flight_number, event)
    day = generate_day.__defaults__[0] if generate_day.__defaults__ else None  # the generator's default day
    for number, (_, origin, std, _) in SAMPLE_FLIGHTS.items():
        if number not in found and day is not None:
            found[number] = DisruptionEvent(
                event_id=f"bench-{number.lower()}",
                flight_number=number,
                flight_date=day,
                disruption_type="technical",
                delay_minutes=180,
                cause="benchmark: technical fault found at pre-flight",
                reported_at=f"{day.isoformat()}T{std.isoformat()}Z",  # type: ignore[arg-type]
                station=origin,
            )
    return [found[n] for n in SAMPLE_FLIGHTS if n in found]


class NoGuidance:
    """Arbitration without citations (the fallback when no knowledge source is configured)."""

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Any]:
        return []


def guidance() -> tuple[Any, str]:
    try:
        from skymarshal.knowledge import EmbeddedCorpus

        return EmbeddedCorpus.default(), "embedded corpus"
    except Exception as exc:  # the knowledge module is optional for this benchmark
        return NoGuidance(), f"none ({type(exc).__name__})"


def engine_available() -> tuple[dict[str, Any] | None, str]:
    try:
        from skymarshal import domain
    except Exception as exc:
        return None, f"skymarshal.domain does not import: {type(exc).__name__}: {exc}"
    names = ("build_snapshot", "generate_options", "assess", "revise", "arbitrate", "Policy")
    missing = [n for n in names if not hasattr(domain, n)]
    if missing:
        return None, "skymarshal.domain does not expose " + ", ".join(missing) + " yet"
    return {n: getattr(domain, n) for n in names}, "ok"


def run_disruption(
    api: dict[str, Any], event: DisruptionEvent, reader: Any, policy: Any, lookup: Any
) -> dict:
    stages: dict[str, float] = {}
    t = time.perf_counter()
    snapshot = api["build_snapshot"](event, reader)
    stages["snapshot"] = time.perf_counter() - t
    t = time.perf_counter()
    options = api["generate_options"](event, snapshot, policy)
    stages["options"] = time.perf_counter() - t
    t = time.perf_counter()
    phase1 = [api["assess"](agent, snapshot, options, policy) for agent in ALL_AGENTS]
    stages["phase1"] = time.perf_counter() - t
    t = time.perf_counter()
    phase2 = [
        api["revise"](agent, own, [p for p in phase1 if p.agent != agent], snapshot, options, policy)
        for agent, own in zip(ALL_AGENTS, phase1, strict=True)
    ]
    stages["phase2"] = time.perf_counter() - t
    t = time.perf_counter()
    decision = api["arbitrate"](event, [*phase1, *phase2], options, snapshot, policy, lookup)
    stages["arbitrate"] = time.perf_counter() - t
    stages["total"] = sum(stages.values())
    return {
        "stages": stages,
        "options": len(options),
        "snapshot_kb": round(len(snapshot.model_dump_json()) / 1024, 1),
        "decision": _decision_summary(decision),
    }


def _decision_summary(decision: Any) -> str:
    """`OPT-2 crew_change, confidence 0.61` (or the escalation), whatever the Decision model's details."""
    recommended = getattr(decision, "recommended", None)
    option = getattr(recommended, "option_id", None) or getattr(recommended, "option", None)
    kind = getattr(recommended, "kind", None) or getattr(getattr(recommended, "option", None), "kind", "")
    text = f"{getattr(option, 'option_id', option)} {kind}".strip() if recommended is not None else "none"
    if getattr(decision, "escalated", False):
        text += " (escalated)"
    confidence = getattr(decision, "confidence", None)
    return text if confidence is None else f"{text}, confidence {confidence:.2f}"


def verdict(avg: float) -> str:
    if avg < TARGET_SECONDS / 4:
        return "well under"
    return "under" if avg < TARGET_SECONDS else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the generated day (1.0 = full hub day)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per disruption (after one warm-up run)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "benchmark": "agents",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "scale": args.scale,
        "target_seconds_per_disruption": TARGET_SECONDS,
    }
    dataset, gen_s = timed(lambda: generate_day(scale=args.scale))
    counts = summary(dataset)
    print(f"generate hub day (scale {args.scale}): {gen_s:.2f} s  {counts}")
    from skymarshal.domain.operation import InMemoryOpsReader

    reader, index_s = timed(lambda: InMemoryOpsReader(dataset))
    print(f"build InMemoryOpsReader: {index_s * 1000:.0f} ms")
    result.update(dataset=counts, generate_seconds=round(gen_s, 3), reader_build_seconds=round(index_s, 4))

    api, status = engine_available()
    if api is None:
        print(f"skipping the per-disruption benchmark: {status}")
        result["disruptions"] = {"skipped": status}
    else:
        policy = api["Policy"]()
        lookup, lookup_name = guidance()
        events = sample_events()
        per_event: dict[str, Any] = {}
        totals: list[float] = []
        print(
            f"per disruption: snapshot + options + 7 agents x 2 phases + arbitration ({lookup_name} guidance)"
        )
        for event in events:
            try:
                run_disruption(api, event, reader, policy, lookup)  # warm-up (imports, caches)
                runs = [run_disruption(api, event, reader, policy, lookup) for _ in range(args.repeat)]
            except Exception as exc:
                print(f"  {event.event_id}: FAILED {type(exc).__name__}: {exc}")
                per_event[event.event_id] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            mean = {k: statistics.fmean(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
            totals.extend(r["stages"]["total"] for r in runs)
            per_event[event.event_id] = {
                "flight": f"{event.flight_number}/{event.flight_date}",
                "options": runs[0]["options"],
                "snapshot_kb": runs[0]["snapshot_kb"],
                "decision": runs[0]["decision"],
                "mean_ms": {k: round(v * 1000, 2) for k, v in mean.items()},
            }
            breakdown = "  ".join(f"{k} {v * 1000:.1f}" for k, v in mean.items() if k != "total")
            print(
                f"  {event.event_id:<24} {mean['total'] * 1000:7.1f} ms  ({breakdown} ms; "
                f"{runs[0]['options']} options, snapshot {runs[0]['snapshot_kb']} KB)"
            )
        if totals:
            avg = statistics.fmean(totals)
            print(
                f"average per disruption: {avg * 1000:.1f} ms over {len(totals)} runs; "
                f"ratio to the {TARGET_SECONDS:.0f} s target: {avg / TARGET_SECONDS:.3f} "
                f"({verdict(avg)})"
            )
            result["disruptions"] = {
                "guidance": lookup_name,
                "repeat": args.repeat,
                "events": per_event,
                "mean_seconds": round(avg, 5),
                "p_max_seconds": round(max(totals), 5),
                "ratio_to_target": round(avg / TARGET_SECONDS, 4),
            }
        else:
            result["disruptions"] = {"events": per_event, "skipped": "no event ran"}

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
