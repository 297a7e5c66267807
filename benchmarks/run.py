"""Run every benchmarks/bench_*.py (each in its own process: the embedded stack is process-global), then print
one table of measurements with their targets and ratios, and write benchmarks/results/summary.json.

Run: `make bench`, or `python benchmarks/run.py [--only latency,cost] [-- extra args are not forwarded]`.
A benchmark writes benchmarks/results/NAME.json (NAME = file name without `bench_`) with "rows"
(see _common.py); a result without rows is summarised by its known fields (agents) or listed as run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TIMEOUT_S = 1800


def rows_of(name: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(doc.get("rows"), list):
        return doc["rows"]
    if name == "agents":  # bench_agents.py: per-disruption in-process decision engine, target well under 1 s
        target_ms = float(doc.get("target_seconds_per_disruption", 1.0)) * 1000
        rows = []
        for event, data in (doc.get("disruptions", {}).get("events") or {}).items():
            total = (data.get("mean_ms") or {}).get("total")
            if total is not None:
                rows.append({"measure": f"agent compute per disruption {event}", "value": total, "unit": "ms",
                             "target": target_ms, "ratio": round(total / target_ms, 3), "ok": total <= target_ms})
        if "generate_seconds" in doc:
            rows.append({"measure": "1,000-flight day generation", "value": doc["generate_seconds"], "unit": "s",
                         "target": None, "ratio": None, "ok": None})
        return rows
    if name == "checkpoints" and isinstance(doc.get("store"), dict):  # bench_checkpoints.py: store latency by size
        rows = []
        for size, data in doc["store"].items():
            for op in ("write", "read"):
                p50 = (data.get(op) or {}).get("p50_ms")
                if p50 is not None:
                    rows.append({"measure": f"checkpoint {op} p50, {size}", "value": p50, "unit": "ms",
                                 "target": None, "ratio": None, "ok": None})
        decision = doc.get("decision") or {}
        if "seconds_incl_approval" in decision:
            rows.append({"measure": "one decision incl. approval", "value": decision["seconds_incl_approval"],
                         "unit": "s", "target": None, "ratio": None, "ok": None})
        return rows
    numbers = {k: v for k, v in doc.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return [{"measure": k, "value": v, "unit": "", "target": None, "ratio": None, "ok": None}
            for k, v in numbers.items()]


def run_one(path: Path, env: dict[str, str]) -> tuple[int, float, str]:
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
        code, tail = proc.returncode, (proc.stderr or proc.stdout)[-2000:]
    except subprocess.TimeoutExpired:
        code, tail = -1, f"timed out after {TIMEOUT_S}s"
    return code, time.monotonic() - start, tail


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated benchmark names (file name without bench_)")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "functions"), str(ROOT / "local"), str(HERE), os.environ.get("PYTHONPATH", "")])}
    benches = [p for p in sorted(HERE.glob("bench_*.py")) if not only or p.stem[len("bench_"):] in only]
    summary: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "benchmarks": {}}
    failed = 0
    for path in benches:
        name = path.stem[len("bench_"):]
        print(f"running {path.name} ...", flush=True)
        code, seconds, tail = run_one(path, env)
        result_path = RESULTS / f"{name}.json"
        entry: dict[str, Any] = {"exit_code": code, "seconds": round(seconds, 1), "rows": []}
        fresh = result_path.exists() and result_path.stat().st_mtime >= time.time() - seconds - 1
        if code == 0 and fresh:
            entry["rows"] = rows_of(name, json.loads(result_path.read_text()))
        else:
            failed += 1
            why = (f"exited {code}" if code > 0 else f"timed out after {TIMEOUT_S}s" if code == -1
                   else f"killed by signal {-code}" if code < 0 else f"exited 0 without writing {result_path.name}")
            entry["error"] = f"{why}: {tail}"
            print(f"  {path.name} failed: {why}\n{tail}", file=sys.stderr)
        summary["benchmarks"][name] = entry

    print()
    header = f"{'benchmark':10} {'measure':70} {'value':>12} {'unit':12} {'target':>10} {'ratio':>7}  pass"
    print(header)
    print("-" * len(header))
    for name, entry in summary["benchmarks"].items():
        if entry.get("error"):
            print(f"{name:10} FAILED: {entry['error'].splitlines()[0][:100]}")
        for r in entry["rows"]:
            target = "" if r.get("target") is None else f"{r['target']:g}"
            ratio = "" if r.get("ratio") is None else f"{r['ratio']:.2f}"
            ok = {True: "pass", False: "MISS", None: ""}[r.get("ok")]
            print(f"{name:10} {str(r['measure'])[:70]:70} {r['value']!s:>12} {r['unit']:12} {target:>10} "
                  f"{ratio:>7}  {ok}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"\nJSON: {RESULTS / 'summary.json'} (and one file per benchmark)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
