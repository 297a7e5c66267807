"""Benchmark: checkpoint write/read times inline (DynamoDB) vs offloaded (S3), and the DynamoDB and S3 requests
one decision makes, on the embedded stack (moto on 127.0.0.1: absolute times are local HTTP + moto, not AWS).

Requests are counted by the embedded server (every request it answers, whoever makes it); the ones this
process makes (the benchmark's polling, and separately the operator's approval call) are counted with a botocore
`before-call` hook on its clients and set apart: the rest are the Lambda handlers' (in their sandbox processes).

Prints, and writes to benchmarks/results/checkpoints.json.
Run: `PYTHONPATH=functions:local python benchmarks/bench_checkpoints.py [--repeat 20]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "functions", ROOT / "local"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from _common import RequestCounter  # noqa: E402  (after the path set-up above)

RESULTS = ROOT / "benchmarks" / "results" / "checkpoints.json"
SERVER = RequestCounter()  # what the embedded server answers
SIZES = {"1 KB inline": 1024, "100 KB inline": 100 * 1024, "349 KB inline": 349 * 1024,
         "350 KB S3": 350 * 1024, "2 MB S3": 2 * 1024 * 1024}

calls: Counter[tuple[str, str, str]] = Counter()  # (who, service, operation) of this process's requests
_local = threading.local()


def _count(model: Any, **_: Any) -> None:
    calls[(getattr(_local, "who", None) or "bench", model.service_model.service_name, model.name)] += 1


def install_counter() -> None:
    """Register the hook on every botocore client created from now on (boto3, Powertools, the ASL engine)."""
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call", _count)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


def ms(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"mean_ms": round(statistics.mean(samples) * 1000, 2),
            "p50_ms": round(samples[len(samples) // 2] * 1000, 2),
            "max_ms": round(samples[-1] * 1000, 2)}


def bench_store(store: Any, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, size in SIZES.items():
        payload = {"x": ""}
        payload["x"] = "a" * (size - len(json.dumps(payload)))
        writes, reads = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            record = store.put(f"bench-{size}", "bench", payload)
            writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert store.load(record.ref) == payload
            reads.append(time.perf_counter() - t)
        out[label] = {"bytes": size, "in_s3": record.in_s3, "write": ms(writes), "read": ms(reads)}
    return out


def bench_decision(target: Any) -> dict[str, Any]:
    from skymarshal.models import DisruptionEvent
    from skymarshal_local.emulator.runtime import RUNTIME

    event = DisruptionEvent.model_validate({**json.loads((ROOT / "events" / "ey123-technical-delay.json")
                                                        .read_text()), "event_id": f"bench-{time.time_ns()}"})
    calls.clear()
    RUNTIME.reset_counters()
    before = SERVER.mark()
    t = time.perf_counter()
    arn = target.start(event)
    target.wait(arn, {"AWAITING_APPROVAL", "FAILED", "SUCCEEDED"})
    _local.who = "operator"
    try:
        target.decide(event.thread_id, True, "bench", "benchmark approval")
    finally:
        _local.who = None
    desc = target.wait(arn, {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
    elapsed = time.perf_counter() - t
    answered = SERVER.seconds_since(before)
    by_service: Counter[str] = Counter({"lambda:dynamodb": 0, "lambda:s3": 0})
    by_operation: Counter[str] = Counter()
    for (service, op), (n, _) in answered.items():
        if service in ("dynamodb", "s3"):
            by_service[f"lambda:{service}"] += n
            by_operation[f"lambda:{service}:{op}"] += n
    for (who, service, op), n in calls.items():  # made by this process, not by a Lambda
        if service in ("dynamodb", "s3"):
            by_service[f"lambda:{service}"] -= n
            by_service[f"{who}:{service}"] += n
            if service == "dynamodb":  # the server names S3 requests by HTTP method, the client by operation
                by_operation[f"lambda:{service}:{op}"] -= n
            by_operation[f"{who}:{service}:{op}"] += n
    return {
        "status": desc["status"],
        "seconds_incl_approval": round(elapsed, 2),
        "lambda_invocations": sum(RUNTIME.invocations.values()),
        "checkpoints": len(target.store.history(event.thread_id)),
        "requests": dict(sorted(by_service.items())),
        "by_operation": {k: n for k, n in sorted(by_operation.items()) if n > 0},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    install_counter()
    SERVER.install()
    from skymarshal.domain.operation import OpsDataset
    from skymarshal_local.emulator.stack import EmbeddedStack
    from skymarshal_local.operations.seed import replace_ops_data
    from skymarshal_local.target import Target

    stack = EmbeddedStack().start()
    try:
        replace_ops_data(stack.outputs["OpsDataTableName"], OpsDataset.model_validate_json(
            (ROOT / "data" / "scenarios" / "ey123-technical-delay.json").read_text()))
        target = Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()
        store = bench_store(target.store, args.repeat)
        bench_decision(target)  # warm-up: imports, first clients
        replace_ops_data(stack.outputs["OpsDataTableName"], OpsDataset.model_validate_json(  # the tail is free again
            (ROOT / "data" / "scenarios" / "ey123-technical-delay.json").read_text()))
        decision = bench_decision(target)
    finally:
        stack.stop()
    result = {"python": platform.python_version(), "repeat": args.repeat, "store": store, "decision": decision}
    print(f"{'payload':<16}{'where':<7}{'write p50 ms':>14}{'read p50 ms':>13}")
    for label, r in store.items():
        print(f"{label:<16}{'S3' if r['in_s3'] else 'inline':<7}{r['write']['p50_ms']:>14}{r['read']['p50_ms']:>13}")
    print(f"\none decision ({decision['status']}, {decision['lambda_invocations']} Lambda invocations, "
          f"{decision['checkpoints']} checkpoints, {decision['seconds_incl_approval']} s):")
    for key, n in decision["requests"].items():
        print(f"  {key:<20}{n:>5} requests")
    for key, n in decision["by_operation"].items():
        print(f"    {key:<36}{n:>5}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
