"""Benchmark (b): what one decision costs. Per decision (start -> approved -> completed, on the embedded stack):
state transitions (execution history), Lambda invocations and their duration, DynamoDB reads/writes and S3
GET/PUT (every request the moto server answered, counted by service and operation), SNS publishes; then the
AWS cost at list prices. Target <= $0.002 per decision.

Run: `PYTHONPATH=functions:local python benchmarks/bench_cost.py [--decisions 5]`.
Lambda GB-s uses the local wall time per invocation at the template's MemorySize (512 MB); on AWS arm64 the
handlers' durations differ (no moto in the same process), so that line is an estimate.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from _common import PRICE, InvocationTimer, RequestCounter, event, row, seed, start_stack, target_for, write

TARGET_USD = 0.002
MEMORY_GB = 0.5


def one_decision(target: Any, n: int, counter: RequestCounter, timer: InvocationTimer) -> dict[str, Any]:
    from skymarshal.models import DisruptionEvent

    sfn = target.client("stepfunctions")
    ev = DisruptionEvent.model_validate(event(f"cost-{n}-{time.time_ns() % 10**8}"))
    before_req, mark = counter.snapshot(), timer.mark()
    arn = target.start(ev)
    timer.wait_for(mark, "RequestApprovalFunction", f"the approval request of {arn}")
    target.decide(ev.thread_id, True, "bench", "approved")  # the duty manager's answer is part of the cost
    deadline = time.monotonic() + 300
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited 300s for {arn} to end after its approval")
        time.sleep(0.05)
    requests = RequestCounter.diff(counter.snapshot(), before_req)
    history = target.history(arn)
    transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
    invocations = timer.since(mark)
    gb_s = sum(d for _, d in invocations) * MEMORY_GB
    cost = {
        "step_functions": transitions * PRICE["sfn_transition"],
        "lambda_requests": len(invocations) * PRICE["lambda_request"],
        "lambda_duration": gb_s * PRICE["lambda_gb_s_arm64"],
        "dynamodb_writes": requests["ddb_write_units_est"] * PRICE["ddb_write"],
        "dynamodb_reads": requests["ddb_reads"] * PRICE["ddb_read"],
        "s3": requests["s3_puts"] * PRICE["s3_put"] + requests["s3_gets"] * PRICE["s3_get"],
        "sns": requests["sns_publishes"] * PRICE["sns_publish"],
    }
    return {"transitions": transitions, "lambda_invocations": len(invocations), "lambda_gb_s": gb_s,
            "requests": requests, "cost_usd": cost, "total_usd": sum(cost.values())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=5)
    args = parser.parse_args()
    counter = RequestCounter().install()
    stack = start_stack(ApprovalTimeoutSeconds="600")
    try:
        seed(stack)
        target = target_for(stack)
        timer = InvocationTimer().install()
        one_decision(target, -1, counter, timer)  # warm-up
        runs = []
        for n in range(args.decisions):
            seed(stack)  # the same disruption decided afresh: the last approved plan's tail and crew are free
            runs.append(one_decision(target, n, counter, timer))
    finally:
        stack.stop()
    med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
    # the SQS intake adds, per event: SendMessage + 1/10 ReceiveMessage + 1/10 DeleteMessageBatch + 1 invoke
    intake_usd = 1.2 * PRICE["sqs_request"] + 0.1 * PRICE["lambda_request"]
    total = med(lambda r: r["total_usd"])
    rows = [
        row("state transitions per decision", med(lambda r: r["transitions"]), "transitions"),
        row("Lambda invocations per decision", med(lambda r: r["lambda_invocations"]), "invocations"),
        row("Lambda GB-s per decision (local wall time)", round(med(lambda r: r["lambda_gb_s"]), 3), "GB-s"),
        row("DynamoDB write requests per decision", med(lambda r: r["requests"]["ddb_writes"]), "requests"),
        row("DynamoDB write units (est. by size)", med(lambda r: r["requests"]["ddb_write_units_est"]), "WRU"),
        row("DynamoDB read requests per decision", med(lambda r: r["requests"]["ddb_reads"]), "requests"),
        row("S3 PUT per decision", med(lambda r: r["requests"]["s3_puts"]), "requests"),
        row("S3 GET per decision", med(lambda r: r["requests"]["s3_gets"]), "requests"),
        row("SNS publishes per decision", med(lambda r: r["requests"]["sns_publishes"]), "requests"),
        row("AWS cost per decision (list prices)", round(total + intake_usd, 6), "USD", TARGET_USD),
    ]
    write("cost", {"decisions": args.decisions, "prices": PRICE, "runs": runs,
                   "breakdown_median_usd": {k: statistics.median(r["cost_usd"][k] for r in runs)
                                            for k in runs[0]["cost_usd"]},
                   "intake_usd_per_event": intake_usd}, rows)


if __name__ == "__main__":
    main()
