"""Benchmark: each Lambda handler's cold start (import + module-level init) in a fresh interpreter, as a new
sandbox pays it, with the `-X importtime` breakdown of what it costs; and the package each function ships.

Run: `PYTHONPATH=functions python benchmarks/bench_coldstart.py [--runs 11]`. The figure per handler is the
lowest, over fresh interpreters, of the CPU time (user + system) of `import skymarshal.handlers.NAME`, against
a 0.4 s budget; the median is printed and kept beside it. The import runs on one thread, so its CPU time is
what other processes do not inflate, but on this VM the same import's CPU time still varies by up to 60 %
(cache and memory-bandwidth contention, steal), in spells that last several seconds: the variation is the
machine's, not the code's, and Python's own timing guidance says to take the minimum of repeated runs for that
reason (https://docs.python.org/3/library/timeit.html#timeit.Timer.repeat: "the lowest value gives a lower
bound for how fast your machine can run the given code snippet; higher values ... are typically not caused by
variability in Python's speed, but by other processes interfering"). The runs are interleaved: each round
imports every handler once, so that a slow spell falls on one run of every handler rather than on all the runs
of one handler (with the runs of one handler back to back, one spell moved a handler's least of 5 from 0.34 s
to 0.55 s). The median wall time and the load average are kept too. The first row measures the same way what
every handler imports before a line of its own (boto3, pydantic and the model machinery pydantic imports when
the first model class is defined, Powertools with the X-Ray patch, with the garbage collector paused as
skymarshal.handlers pauses it for a handler's import): the libraries' share of the
budget at the time of the run; each handler's "own code" is its figure minus that one.

The environment is AWS's: the template's Globals (service, namespace, plugins off) and the Lambda variables,
LAMBDA_TASK_ROOT included, so Powertools' Tracer is *enabled* and patches botocore as it does on AWS
(POWERTOOLS_TRACE_DISABLED is not set; without LAMBDA_TASK_ROOT the Tracer would disable itself).

The breakdown sums each imported module's own time (`self`) by what it belongs to (boto3/botocore, pydantic,
Powertools, the X-Ray SDK, each skymarshal package, the rest), from one more run per handler made for it: the
groups do not overlap and add up to that run's total. The timed runs go without `-X importtime`: the instrument
writes a line per module (~1,000) and added 7-25 ms to the CPU time it was timing.

"instructions" is the number of machine instructions the import executes, counted by valgrind (callgrind) in
one more fresh interpreter per handler, less those of an interpreter that imports nothing: unlike time, it does
not depend on the hour of the VM (the same import gives the same count to within 0.1 %), so it is the figure to
compare between runs and between handlers, and "own" is exactly the handler's share beyond the libraries row.
It is measured when valgrind is installed (apt install valgrind; `--no-instructions` skips it) and never decides
pass or miss: the budget is time.

The package is functions/skymarshal plus functions/requirements.txt as
functions/Makefile installs it (boto3 and botocore are pinned there, so they are shipped); "loaded" is the
part of it a handler's import reads.

The measured runs find every module compiled, as a deployed package has them (functions/Makefile ships
bytecode): the bench compiles what a handler's import reads into a pycache prefix of its own first, so the
figure does not depend on whether this machine writes bytecode (PYTHONDONTWRITEBYTECODE is set here: without
this step the skymarshal modules were compiled from source in every measured run).

"no bytecode" is one more run per handler in which the package (functions/ and site-packages) has no .pyc and
the standard library has its own, as in a Lambda sandbox when the package ships none: /var/task is read-only,
so every module of the package is compiled from source at each cold start (functions/Makefile ships bytecode
when the build host has python3.13).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections import Counter
from importlib import metadata
from typing import Any

from _common import ROOT, row, write

BUDGET_S = 0.4
HANDLERS = sorted({m for m in re.findall(r"Handler: skymarshal\.handlers\.(\w+)\.",
                                         (ROOT / "template.yaml").read_text())})
ENV = {"POWERTOOLS_SERVICE_NAME": "skymarshal", "POWERTOOLS_METRICS_NAMESPACE": "SkyMarshal",
       "PYDANTIC_DISABLE_PLUGINS": "__all__",  # template.yaml Globals
       "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "bench",
       "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
       "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"}
# Only what the package ships can be imported (the standard library, skymarshal and the distributions of
# functions/requirements.txt, and snapshot_restore_py of the Lambda runtime): this venv also holds the CLI's and
# SAM's (awscrt, which botocore would import).
PACKAGE_ONLY = """
import sys
class _NotShipped:
    allowed = set({allowed!r}) | set(sys.stdlib_module_names)
    allowed |= {{"skymarshal", "snapshot_restore_py", "_distutils_hack"}}
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.allowed or top.startswith("__editable__"):
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(top)
        if spec is not None and "site-packages" in (spec.origin or str(spec.submodule_search_locations)):
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the package)", name=name)
        return None
sys.meta_path.insert(0, _NotShipped())
"""
CODE = ("import sys, time, json; before = set(sys.modules); t = time.perf_counter(); c = time.process_time();"
        " {0}; s = time.perf_counter() - t; cpu = time.process_time() - c;"
        " print(json.dumps([s, cpu, sorted({{m.__file__ for m in list(sys.modules.values())"
        " if getattr(m, '__file__', None)}}), sorted(before)]))")


GROUPS = {"boto3": "boto3+botocore", "botocore": "boto3+botocore", "s3transfer": "boto3+botocore",
          "urllib3": "boto3+botocore", "jmespath": "boto3+botocore", "dateutil": "boto3+botocore",
          "pydantic": "pydantic", "pydantic_core": "pydantic", "annotated_types": "pydantic",
          "typing_extensions": "pydantic", "typing_inspection": "pydantic",
          "aws_lambda_powertools": "powertools", "aws_xray_sdk": "xray-sdk+wrapt", "wrapt": "xray-sdk+wrapt"}


# What every handler imports before any line of its own: boto3, pydantic with the machinery it imports for the
# first model class (~0.05 s, paid by whichever model comes first), and Powertools' Logger, Metrics and
# Tracer (patching botocore, as skymarshal.observability does), with the garbage collector paused as a handler's
# import runs it (skymarshal.handlers). Measured the same way, it is the part of the budget that the libraries
# take on this machine at the time of the run.
LIBRARIES = ("import gc; gc.disable(); import boto3, pydantic; from aws_lambda_powertools import Logger, Metrics,"
             " Tracer; pydantic.create_model('First', __config__=pydantic.ConfigDict(defer_build=True), x=(int, 0));"
             " Tracer(service='skymarshal', patch_modules=('botocore',)); Logger(service='skymarshal');"
             " Metrics(namespace='SkyMarshal', service='skymarshal'); gc.freeze(); gc.enable()")
LIBRARIES_NAME = "(libraries)"


def statement(handler: str) -> str:
    return LIBRARIES if handler == LIBRARIES_NAME else f"import skymarshal.handlers.{handler}"


def group(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "skymarshal":
        return ".".join(parts[:2])
    return GROUPS.get(parts[0], "stdlib+other")


def sandbox_env(pycache: str | None) -> dict[str, str]:
    """A fresh interpreter's environment: AWS's (ENV), the template's variables set to placeholders, the
    package on the path; with `pycache`, bytecode read only from that directory, never written."""
    from skymarshal.config import REQUIRED

    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYDANTIC_"))}
    env = {**env, **{name: f"bench-{name.lower()}" for name in REQUIRED}, **ENV, "PYTHONPATH": str(ROOT / "functions")}
    if pycache:
        env |= {"PYTHONPYCACHEPREFIX": pycache, "PYTHONDONTWRITEBYTECODE": "1"}
    return env


def cold_start(handler: str, pycache: str | None = None, importtime: bool = False,
               ) -> tuple[float, float, Counter[str], set[str]]:
    """One fresh interpreter; with `pycache`, bytecode is read only from that directory, never written. With
    `importtime`, the `-X importtime` breakdown too: only in a run of its own, since the instrument's own work
    (a clock read and a line to stderr per module, ~1,000 modules) added 7-25 ms to the CPU time it would time."""
    code = PACKAGE_ONLY.format(allowed=sorted(shipped_modules())) + CODE.format(statement(handler))
    proc = subprocess.run([sys.executable, *(["-X", "importtime"] if importtime else []), "-c", code],
                          env=sandbox_env(pycache),
                          capture_output=True, text=True, check=True, timeout=120)
    seconds, cpu, files, before = json.loads(proc.stdout.strip().splitlines()[-1])
    by_group: Counter[str] = Counter()
    for line in proc.stderr.splitlines():  # "import time:  self [us] | cumulative | imported package"
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)", line)
        if m and m.group(2) not in before:  # not the interpreter's own start-up (site, encodings, ...)
            by_group[group(m.group(2))] += int(m.group(1)) / 1e6
    return seconds, cpu, by_group, set(files)


# The first invocation's one-time work, after the import: every deferred pydantic model's validator and the
# checkpoint store's clients (DynamoDB with its resource, S3). A SnapStart function does it in its before-snapshot
# hook (skymarshal.handlers.prime), so a restored sandbox only makes its clients again, on the service models
# already loaded ("restored": the after-restore hooks, then the same clients); a function without SnapStart pays
# it in its first invocation.
FIRST_USE = ("import sys, time, json, snapshot_restore_py; import skymarshal.handlers.{0}; "
             "from skymarshal import aws; from skymarshal.handlers import STORES, prime; "
             "snap = bool(snapshot_restore_py.get_before_snapshot()); c = time.process_time(); prime(STORES); "
             "first = time.process_time() - c; c = time.process_time(); "
             "[h(*a, **k) for h, a, k in snapshot_restore_py.get_after_restore()]; aws.prime(STORES); "
             "print(json.dumps([first, time.process_time() - c, snap]))")


def first_use(handler: str, pycache: str, runs: int = 3) -> tuple[float, float, bool]:
    """The least CPU time, over fresh interpreters, of the first invocation's one-time work and of a restored
    sandbox's, and whether the handler registers a before-snapshot hook (SnapStart)."""
    code = PACKAGE_ONLY.format(allowed=sorted(shipped_modules())) + FIRST_USE.format(handler)
    found = [json.loads(subprocess.run([sys.executable, "-c", code], env=sandbox_env(pycache), capture_output=True,
                                       text=True, check=True, timeout=120).stdout.strip().splitlines()[-1])
             for _ in range(runs)]
    return min(f[0] for f in found), min(f[1] for f in found), found[0][2]


def mega(count: int | None) -> float | None:
    return None if count is None else round(count / 1e6, 1)


def instructions(statements: list[str], pycache: str) -> dict[str, int]:
    """Machine instructions each statement's import executes (valgrind's callgrind, deterministic), less those of
    the same fresh interpreter importing nothing; two at a time (each run takes ~20 s under valgrind)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {**sandbox_env(pycache), "PYTHONHASHSEED": "0"}
    preamble = PACKAGE_ONLY.format(allowed=sorted(shipped_modules()))

    def count(statement: str) -> int:
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                               "-c", preamble + statement], env=env, capture_output=True, text=True, timeout=600)
        found = re.findall(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or not found:
            raise RuntimeError(f"valgrind could not count {statement!r}: {proc.stderr[-500:]}")
        return int(found[-1])

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(count, ["pass", *statements]))
    return {statement: n - counts[0] for statement, n in zip(statements, counts[1:], strict=True)}


def distributions() -> list[metadata.Distribution]:
    """functions/requirements.txt and what they require (the tracer extra included), as installed here."""
    names = [re.split(r"[\[=<> ]", r.strip())[0] for r in (ROOT / "functions" / "requirements.txt").read_text()
             .splitlines() if r.strip() and not r.startswith("#")]
    seen: set[str] = set()
    found = []
    while names:
        name = names.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(dist)
        names += [re.split(r"[\[=<>;! (]", r)[0] for r in dist.requires or [] if "extra ==" not in r
                  or "tracer" in r]
    return found


@functools.cache
def shipped_modules() -> set[str]:
    """The top-level modules of the package's distributions."""
    names: set[str] = set()
    for dist in distributions():
        for f in dist.files or []:
            top = f.parts[0]
            if top.endswith((".dist-info", ".data")) or top == "..":
                continue
            names.add(top.removesuffix(".py") if top.endswith(".py") else top.split(".")[0])
    return names


def package_files() -> dict[str, int]:
    files = {str(p.resolve()): p.stat().st_size for p in (ROOT / "functions" / "skymarshal").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    for dist in distributions():
        for f in dist.files or []:
            path = dist.locate_file(f)
            if path.exists() and "__pycache__" not in str(f) and not str(f).endswith(".pyc"):
                files[str(path.resolve())] = path.stat().st_size
    return files


def bytecode(files: set[str], into: str, package: bool) -> None:
    """Bytecode under the pycache prefix `into` for the modules in `files` that a sandbox finds compiled: the
    standard library's (the runtime image has them) and, with `package`, the package's own (skymarshal and its
    distributions: functions/Makefile compiles them into the package). Compiled here, into a directory of the
    bench's own, so the figure does not depend on what this machine happens to have cached: with
    PYTHONDONTWRITEBYTECODE set (as on this machine) the source tree has no bytecode of skymarshal, and an
    import would compile it every time."""
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    saved, sys.pycache_prefix = sys.pycache_prefix, into
    try:
        for f in files:
            real = os.path.realpath(f)
            if not real.endswith(".py"):
                continue
            if package or (real.startswith(stdlib) and "site-packages" not in real):
                py_compile.compile(real, cfile=importlib.util.cache_from_source(real), doraise=False, quiet=2)
    finally:
        sys.pycache_prefix = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per handler (interleaved rounds)")
    parser.add_argument("--no-instructions", action="store_true", help="skip the valgrind instruction counts")
    args = parser.parse_args()
    files = package_files()
    package_mb = round(sum(files.values()) / 1e6, 1)
    load = os.getloadavg()[0]
    results: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    missed: list[str] = []
    names = [LIBRARIES_NAME, *HANDLERS]
    loaded = {name: cold_start(name)[3] for name in names}  # which files each import reads
    runs: dict[str, list[tuple[float, float, Counter[str], set[str]]]] = {name: [] for name in names}
    # as deployed: every module compiled (removed at the end, or by TemporaryDirectory's finalizer on an error)
    shipped = tempfile.TemporaryDirectory()
    shipped_dir = shipped.name
    bytecode(set().union(*loaded.values()), shipped_dir, package=True)
    # Rounds, each importing every handler once: a slow spell of the machine (they last seconds here) then
    # falls on one run of every handler, not on all the runs of one (see the module docstring).
    for _ in range(args.runs):
        for name in names:
            runs[name].append(cold_start(name, pycache=shipped_dir))
    libraries = min(r[1] for r in runs[LIBRARIES_NAME])
    counted: dict[str, int] = {}
    if args.no_instructions or not shutil.which("valgrind"):
        print("instructions: not counted (" + ("--no-instructions" if args.no_instructions else
              "valgrind is not installed: apt install valgrind") + ")", flush=True)
    else:
        by_statement = instructions([statement(name) for name in names], shipped_dir)
        counted = {name: by_statement[statement(name)] for name in names}
    lib_ir = counted.get(LIBRARIES_NAME)
    print(f"{'handler':18} {'import+init':>11} {'median':>8} {'(wall)':>8} {'budget':>7}  {'':4}  {'no bytecode':>11}  "
          f"{'loaded':>8}  {'instr':>7} {'own':>6}  {'1st use':>7} {'restored':>8}  top -X importtime groups")
    for name in names:
        ordered = sorted(runs[name], key=lambda r: r[1])
        _, cpu, _, files_read = ordered[0]  # the fastest run (by CPU time): the code's cost (docstring)
        median_cpu = ordered[len(ordered) // 2][1]
        wall = statistics.median(r[0] for r in ordered)
        if name == LIBRARIES_NAME:
            rows.append(row(f"cold start, libraries only: least of {args.runs}, median {median_cpu:.2f} s",
                            round(cpu, 3), "s"))
            results[name] = {"cpu_s": [round(r[1], 3) for r in runs[name]], "min_cpu_s": round(cpu, 3),
                             "median_cpu_s": round(median_cpu, 3), "instructions_m": mega(lib_ir)}
            print(f"{name:18} {cpu:10.3f}s {median_cpu:7.3f}s {wall:7.3f}s  (what every handler imports first)"
                  + (f"  {mega(lib_ir):6.0f}M" if lib_ir else ""), flush=True)
            continue
        real = {os.path.realpath(f) for f in files_read}
        loaded_mb = round(sum(size for path, size in files.items() if path in real) / 1e6, 1)
        top = cold_start(name, pycache=shipped_dir, importtime=True)[2].most_common(6)
        with tempfile.TemporaryDirectory() as prefix:
            bytecode(loaded[name], prefix, package=False)
            no_bytecode = cold_start(name, pycache=prefix)[1]
        own_ir = counted[name] - lib_ir if counted and lib_ir else None
        primed, restored, snapstart = first_use(name, shipped_dir)
        ok = cpu <= BUDGET_S
        if not ok:
            missed.append(name)
        results[name] = {"cpu_s": [round(r[1], 3) for r in runs[name]], "min_cpu_s": round(cpu, 3),
                         "median_cpu_s": round(median_cpu, 3),
                         "wall_s": [round(r[0], 3) for r in runs[name]], "median_wall_s": round(wall, 3),
                         "ok": ok, "self_time_by_group_s": {n: round(s, 3) for n, s in top},
                         "package_mb": package_mb, "loaded_mb": loaded_mb,
                         "no_bytecode_s": round(no_bytecode, 3), "own_s": round(cpu - libraries, 3),
                         "instructions_m": mega(counted.get(name)),
                         "own_instructions_m": mega(own_ir), "snapstart": snapstart,
                         "first_use_s": round(primed, 3), "restored_s": round(restored, 3)}
        ir = f", {mega(counted[name]):.0f} M instructions ({mega(own_ir):.0f} M own)" if own_ir is not None else ""
        rows.append(row(f"cold start {name}: least of {args.runs}, median {median_cpu:.2f}, own code "
                        f"{cpu - libraries:.2f} s{ir}", round(cpu, 3), "s", BUDGET_S))
        where = (f"in the SnapStart snapshot; a restored sandbox's clients {restored:.3f} s" if snapstart
                 else "paid by its first invocation (no SnapStart)")
        rows.append(row(f"first invocation's one-time work {name} (models, clients): {where}", round(primed, 3), "s"))
        print(f"{name:18} {cpu:10.3f}s {median_cpu:7.3f}s {wall:7.3f}s {BUDGET_S:6.1f}s  "
              f"{'pass' if ok else 'MISS'}  "
              f"{no_bytecode:10.3f}s  {loaded_mb:5.1f} MB  "
              + (f"{mega(counted[name]):6.0f}M {mega(own_ir):5.0f}M  " if own_ir is not None else "")
              + f"{primed:6.3f}s {(f'{restored:7.3f}s' if snapstart else '      - ')}  "
              + ", ".join(f"{n} {s:.3f}" for n, s in top), flush=True)
    shipped.cleanup()
    # Why a miss is a miss: how much of the budget the libraries alone took at this hour of the machine, and how
    # fast it ran (instructions per CPU second, from the libraries row), so that runs on different hours compare
    speed = lib_ir / libraries / 1e9 if lib_ir and libraries else None
    share = f"the libraries alone took {libraries:.3f} s of the {BUDGET_S} s budget ({libraries / BUDGET_S:.0%})"
    if speed:
        largest = max(counted[n] for n in HANDLERS) / 1e9
        share += (f"; this machine ran {speed:.2f} G instructions per CPU second this hour, so a handler of "
                  f"{largest:.2f} G instructions (the largest) needed {largest / speed:.3f} s")
    print(("missed: " + ", ".join(missed) + "; " if missed else "all within budget; ") + share, flush=True)
    print(f"package per function: {package_mb} MB unzipped (one shared CodeUri: the same for all "
          f"{len(HANDLERS)} handler modules); load average during the run: {load:.1f}")
    rows.append(row("package per function (unzipped, one shared CodeUri)", package_mb, "MB"))
    write("coldstart", {"budget_s": BUDGET_S, "runs": args.runs, "load_average": round(load, 2),
                        "tracing": "enabled (LAMBDA_TASK_ROOT set, POWERTOOLS_TRACE_DISABLED unset)",
                        "handlers": results, "package_mb": package_mb, "missed": missed,
                        "libraries_share_of_budget": round(libraries / BUDGET_S, 3),
                        "ginstructions_per_cpu_s": round(speed, 2) if speed else None}, rows)


if __name__ == "__main__":
    main()
