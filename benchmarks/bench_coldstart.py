"""Benchmark: each Lambda handler's cold start (import + module-level init) in a fresh interpreter, as a new
sandbox pays it, with the `-X importtime` items that cost most; and the package each function ships.

Run: `PYTHONPATH=functions python benchmarks/bench_coldstart.py [--runs 3]`. The figure per handler is the
median wall time of `import skymarshal.handlers.NAME` over fresh interpreters, against a 0.4 s budget (2 cores).
The environment is the template's (Globals): tracing active, Powertools service and namespace set.
boto3/botocore ship with the Lambda runtime; the package is functions/skymarshal + functions/requirements.txt.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from importlib import metadata

from _common import ROOT, row, write

BUDGET_S = 0.4
HANDLERS = sorted({m for m in re.findall(r"Handler: skymarshal\.handlers\.(\w+)\.",
                                         (ROOT / "template.yaml").read_text())})
ENV = {"POWERTOOLS_SERVICE_NAME": "skymarshal", "POWERTOOLS_METRICS_NAMESPACE": "SkyMarshal",
       "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "bench",
       "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"}
CODE = "import time; t = time.perf_counter(); import skymarshal.handlers.{0}; print(time.perf_counter() - t)"


def cold_start(handler: str) -> tuple[float, list[tuple[str, float]]]:
    from skymarshal.config import REQUIRED  # the template's variables, set to placeholders

    env = {**os.environ, **{name: f"bench-{name.lower()}" for name in REQUIRED}, **ENV,
           "PYTHONPATH": str(ROOT / "functions")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", CODE.format(handler)], env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    top: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():  # "import time:  self [us] | cumulative | imported package"
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and 1 < len(m.group(2)) <= 5 and not m.group(3).startswith("skymarshal.handlers"):
            # what the handler imports, two levels down
            top.append((m.group(3), int(m.group(1)) / 1e6))
    return float(proc.stdout.strip().splitlines()[-1]), sorted(top, key=lambda x: -x[1])[:5]


def package_mb() -> float:
    """functions/skymarshal plus the installed distributions of functions/requirements.txt (and theirs)."""
    names = [re.split(r"[\[=<> ]", r.strip())[0] for r in (ROOT / "functions" / "requirements.txt").read_text()
             .splitlines() if r.strip() and not r.startswith("#")]
    seen: set[str] = set()
    total = sum(p.stat().st_size for p in (ROOT / "functions" / "skymarshal").rglob("*.py"))
    while names:
        name = names.pop().lower().replace("_", "-")
        if name in seen or name in {"boto3", "botocore", "s3transfer", "jmespath"}:  # in the Lambda runtime
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += sum(dist.locate_file(f).stat().st_size for f in dist.files or []
                      if dist.locate_file(f).exists())
        names += [re.split(r"[\[=<>;! (]", r)[0] for r in dist.requires or [] if "extra ==" not in r
                  or "tracer" in r]
    return round(total / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results, rows = {}, []
    for handler in HANDLERS:
        runs = [cold_start(handler) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in runs)
        results[handler] = {"seconds": [round(r[0], 3) for r in runs],
                            "top_imports_s": {name: round(s, 3) for name, s in runs[-1][1]}}
        rows.append(row(f"cold start (import+init) {handler}", round(seconds, 3), "s", BUDGET_S))
        print(f"{handler:20} {seconds:6.3f}s  top: " +
              ", ".join(f"{n} {s:.3f}" for n, s in runs[-1][1]), flush=True)
    size = package_mb()
    rows.append(row("package per function (unzipped, one shared CodeUri)", size, "MB"))
    write("coldstart", {"budget_s": BUDGET_S, "handlers": results, "package_mb": size}, rows)


if __name__ == "__main__":
    main()
