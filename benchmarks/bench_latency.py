"""Benchmark (a): embedded-stack latency, start -> awaiting approval and start -> completion, against the same
ASL with no-op handlers measured in the same run (a second state machine whose Tasks all call `noop_lambda`,
which returns the recorded real outputs instantly). Ratio real / no-op; target <= 1.5x.

Run: `PYTHONPATH=functions:local python benchmarks/bench_latency.py [--runs 7]`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import time
import zipfile
from collections import Counter
from typing import Any

import noop_lambda
from _common import ROOT, InvocationTimer, RequestCounter, row, seed, start_stack, target_for, write

TARGET_RATIO = 1.5
POLL = 0.01
COUNTER = RequestCounter()  # every request the embedded server answers, with the time it took
TIMER = InvocationTimer()  # every Lambda invocation, with its wall time


NOOP_FUNCTION = "bench-noop"
WAIT_S = 300.0  # the longest any one wait of this benchmark may take


def waited(what: str, deadline: float) -> None:
    """Sleep one poll, or fail naming what was waited for once the deadline has passed."""
    if time.monotonic() > deadline:
        raise TimeoutError(f"waited {WAIT_S:.0f}s for {what}")
    time.sleep(POLL)


def record_real_outputs() -> Any:
    """Wrap the runtime so the real handlers' outputs are kept for the no-op function."""
    from skymarshal_local.emulator.runtime import RUNTIME

    original = RUNTIME.invoke

    def invoke(fn: Any, event: Any) -> tuple[str, bool, str]:
        data = json.loads(event) if isinstance(event, (str, bytes)) else (event or {})
        if fn.function_name == NOOP_FUNCTION:  # the floor: answered here, without a sandbox round trip
            return json.dumps(noop_lambda.lambda_handler(data, None)), False, ""
        payload, errored, logs = original(fn, event)
        logical = RUNTIME.logical_names.get(fn.function_name, "")
        if logical and logical != "IntakeFunction" and not errored:
            k = (logical, str(data.get("agent", "")), int(data.get("phase", 0) or 0))
            noop_lambda.RECORDED.setdefault(k, json.loads(payload))
        return payload, errored, logs

    RUNTIME.invoke = invoke  # type: ignore[method-assign]


def create_noop_state_machine(stack: Any) -> str:
    lam, sfn = stack.client("lambda"), stack.client("stepfunctions")
    role = lam.get_function(FunctionName=stack.outputs.get("IntakeFunctionName") or
                            lam.list_functions()["Functions"][0]["FunctionName"])["Configuration"]["Role"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(ROOT / "benchmarks" / "noop_lambda.py", "noop_lambda.py")
    fn = lam.create_function(FunctionName=NOOP_FUNCTION, Runtime="python3.13", Role=role,
                             Handler="noop_lambda.lambda_handler", Code={"ZipFile": buf.getvalue()},
                             Timeout=30, MemorySize=512)
    definition = re.sub(r"\$\{\w+FunctionArn\}", fn["FunctionArn"], (ROOT / "statemachines" /
                                                                        "disruption.asl.json").read_text())
    return str(sfn.create_state_machine(name="bench-noop-disruption", definition=definition, roleArn=role,
                                        type="STANDARD")["stateMachineArn"])


def wait_status(sfn: Any, arn: str, until: set[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status in until:
            return str(status)
        time.sleep(POLL)
    raise TimeoutError(arn)


def state_breakdown(sfn: Any, arn: str) -> list[tuple[str, float, float]]:
    """(state, start offset s, span s) for every state of one execution, from its history's timestamps: a
    state's span runs from its first StateEntered to its last StateExited (a Map's iterations side by side)."""
    events, kwargs = [], {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    t0 = events[0]["timestamp"]
    spans: dict[str, list[float]] = {}
    for e in events:
        for kind, details in (("Entered", "stateEnteredEventDetails"), ("Exited", "stateExitedEventDetails")):
            if e["type"].endswith("State" + kind) and details in e:
                at = (e["timestamp"] - t0).total_seconds()
                span = spans.setdefault(e[details]["name"], [at, at])
                span[0], span[1] = min(span[0], at), max(span[1], at)
    return sorted(((name, a, b - a) for name, (a, b) in spans.items()), key=lambda x: x[1])


def run_real(target: Any, n: int) -> tuple[float, float]:
    from skymarshal.models import DisruptionEvent

    sfn = target.client("stepfunctions")
    ev = DisruptionEvent.model_validate(__import__("_common").event(f"lat-real-{n}-{time.time_ns() % 10**8}"))
    requests, invocations, sandbox_cpu = COUNTER.mark(), TIMER.mark(), sandbox_cpu_now()
    t0, cpu0 = time.perf_counter(), time.process_time()
    arn = target.start(ev)
    # the request is recorded when its invocation ends; waiting on the timer adds no request to the ones measured
    TIMER.wait_for(invocations, "RequestApprovalFunction", f"the approval request of {arn}", WAIT_S, POLL)
    t1, cpu1 = time.perf_counter(), time.process_time()
    LAST_REAL[:] = [arn, COUNTER.seconds_since(requests), TIMER.since(invocations)]
    CPU["real"].append((cpu1 - cpu0, sandbox_cpu_now() - sandbox_cpu))
    target.decide(ev.thread_id, True, "bench", "ok")
    assert wait_status(sfn, arn, {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}) == "SUCCEEDED"
    return t1 - t0, time.perf_counter() - t0


LAST_REAL: list[Any] = []  # the last real decision: ARN, server time by request, invocations
# per run up to awaiting approval: (CPU of this process: engine, server, runtime threads; CPU of the sandboxes)
CPU: dict[str, list[tuple[float, Counter[str]]]] = {"real": [], "noop": []}


def sandbox_cpu_now() -> Counter[str]:
    from skymarshal_local.emulator.runtime import RUNTIME

    return Counter(RUNTIME.cpu_seconds)


def run_noop(target: Any, sm_arn: str, n: int) -> tuple[float, float]:
    sfn = target.client("stepfunctions")
    t0, cpu0 = time.perf_counter(), time.process_time()
    arn = sfn.start_execution(stateMachineArn=sm_arn, name=f"lat-noop-{n}-{time.time_ns() % 10**8}",
                              input=json.dumps(__import__("_common").event("noop")))["executionArn"]
    deadline = time.monotonic() + WAIT_S
    while arn not in noop_lambda.TOKENS:
        waited(f"the no-op approval task token of {arn}", deadline)
    t1 = time.perf_counter()
    CPU["noop"].append((time.process_time() - cpu0, Counter()))
    sfn.send_task_success(taskToken=noop_lambda.TOKENS[arn],
                          output=json.dumps({"approved": True, "approver_id": "bench", "comments": "ok"}))
    assert wait_status(sfn, arn, {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}) == "SUCCEEDED"
    return t1 - t0, time.perf_counter() - t0


def where_the_time_goes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The last real decision up to the approval request, by who spent the time: each function's invocations
    (wall time, in its sandbox, the requests it makes included) and the embedded server's answers by AWS
    operation (the Lambda Invoke requests themselves and SQS long polls left out: they wait, they do not work).
    The server is one Python process shared by the engine and every request: the CPU time its request threads
    spent is the serial part (their wall times overlap when seven agents ask at once)."""
    _, requests, invocations = LAST_REAL
    by_function: dict[str, list[float]] = {}
    for name, seconds in invocations:
        by_function.setdefault(name, []).append(seconds)
    working = {f"{svc}:{op}": (n, sec) for (svc, op), (n, sec) in requests.items()
               if svc != "lambda" and op != "ReceiveMessage"}
    data["last_decision_lambda_s"] = {k: [round(x, 4) for x in v] for k, v in by_function.items()}
    data["last_decision_server_s"] = {k: {"requests": n, "seconds": round(sec, 4)} for k, (n, sec) in working.items()}
    rows = [row(f"last real decision: {name} x{len(xs)} invocations, mean wall", round(statistics.mean(xs), 4), "s")
            for name, xs in sorted(by_function.items())]
    rows.append(row(f"last real decision: server CPU answering {sum(n for n, _ in working.values())} AWS "
                    "requests (serial)", round(sum(sec for _, sec in working.values()), 4), "s"))
    rows += [row(f"  of which {op} x{n}", round(sec, 4), "s")
             for op, (n, sec) in sorted(working.items(), key=lambda kv: -kv[1][1])[:6]]
    return rows


def processor_floor(data: dict[str, Any], real_s: float, noop_s: float) -> list[dict[str, Any]]:
    """The processor time a decision takes up to awaiting approval, and the wall time it cannot beat on this
    machine: the engine, the server and the runtime share this process; each invocation runs in a sandbox
    process of its own. On n cores no schedule finishes sooner than (all of it) / n."""
    cores = os.cpu_count() or 1
    main_cpu = statistics.median(c for c, _ in CPU["real"])
    noop_cpu = statistics.median(c for c, _ in CPU["noop"])
    by_function: Counter[str] = Counter()
    for _, per_function in CPU["real"]:
        by_function.update(per_function)
    by_function = Counter({k: v / len(CPU["real"]) for k, v in by_function.items()})
    sandboxes = sum(by_function.values())
    floor = (main_cpu + sandboxes) / cores
    data["processor_s"] = {"cores": cores, "real_this_process": round(main_cpu, 4), "noop_this_process":
                           round(noop_cpu, 4), "real_sandboxes_mean": {k: round(v, 4) for k, v in by_function.items()},
                           "real_floor_wall": round(floor, 4), "real_wall": round(real_s, 4)}
    rows = [row("CPU to awaiting approval, no-op: engine + server (median)", round(noop_cpu, 4), "s"),
            row("CPU to awaiting approval, real: engine + server + runtime (median)", round(main_cpu, 4), "s"),
            row("CPU to awaiting approval, real: handlers in sandboxes (mean)", round(sandboxes, 4), "s")]
    rows += [row(f"  of which {name}", round(sec, 4), "s") for name, sec in by_function.most_common()]
    rows += [row(f"processor floor of the real decision on {cores} cores (all CPU / cores)", round(floor, 4), "s"),
             row("processor floor / no-op wall (the lowest ratio this machine allows)", round(floor / noop_s, 3), "x"),
             row("real wall / processor floor (1.0 = every core busy throughout)", round(real_s / floor, 3), "x")]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    COUNTER.install()
    TIMER.install()
    stack = start_stack(ApprovalTimeoutSeconds="600")
    try:
        seed(stack)
        target = target_for(stack)
        record_real_outputs()
        run_real(target, -1)  # warm-up: imports, first clients, and the recording for the no-op
        seed(stack)  # each run decides the same disruption afresh: the approved plan's tail and crew are free again
        sm_arn = create_noop_state_machine(stack)
        run_noop(target, sm_arn, -1)
        real, noop = [], []
        for n in range(args.runs):  # interleaved, so both see the same machine state
            real.append(run_real(target, n))
            seed(stack)
            noop.append(run_noop(target, sm_arn, n))
        breakdown = state_breakdown(target.client("stepfunctions"), LAST_REAL[0])
    finally:
        stack.stop()
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    data = {
        "runs": args.runs,
        "real_s": {"to_awaiting_approval": [round(x[0], 4) for x in real],
                   "to_completion": [round(x[1], 4) for x in real]},
        "noop_s": {"to_awaiting_approval": [round(x[0], 4) for x in noop],
                   "to_completion": [round(x[1], 4) for x in noop]},
        "note": "median of interleaved runs; approval answered as soon as the request is recorded",
        "state_breakdown_s": {name: {"start": round(a, 3), "span": round(d, 3)} for name, a, d in breakdown},
    }
    rows = [
        row("start -> awaiting approval, real (median)", round(med(real, 0), 4), "s"),
        row("start -> awaiting approval, no-op ASL (median)", round(med(noop, 0), 4), "s"),
        row("awaiting-approval ratio real/no-op", round(med(real, 0) / med(noop, 0), 3), "x", TARGET_RATIO),
        row("start -> completion, real (median)", round(med(real, 1), 4), "s"),
        row("start -> completion, no-op ASL (median)", round(med(noop, 1), 4), "s"),
        row("completion ratio real/no-op", round(med(real, 1) / med(noop, 1), 3), "x", TARGET_RATIO),
    ]
    rows += processor_floor(data, med(real, 0), med(noop, 0))
    rows += [row(f"last real decision: {name} (starts +{a:.2f}s)", round(d, 3), "s") for name, a, d in breakdown]
    rows += where_the_time_goes(data)
    write("latency", data, rows)


if __name__ == "__main__":
    main()
