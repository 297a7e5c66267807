"""Benchmark (c): storm throughput. N disruptions (default 200, over the flights of the seeded scenario) are
sent to the intake queue at once; the SQS event source mapping delivers them to the intake Lambda, which starts
the workflows. A decision = the arbitrator's decision recorded and the thread awaiting the duty manager (its
`updated_at` in the ByStatus index). Reports decisions per minute, p50/p95 and the slowest send -> decision,
and the processor's ceiling: the CPU a decision took over the storm, in the emulator's process (one
interpreter, so at most one core) and in the sandboxes, and the decisions per minute that allows (every core
busy, and the emulator's process busy), so a miss of the goal says what bound it.

Run: `PYTHONPATH=functions:local python benchmarks/bench_storm.py [--events 200]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime

from _common import row, seed, start_stack, target_for, write

TARGET_PER_MINUTE = 60.0  # local goal: at least one decision per second on a 2-core machine


def cpu_now() -> tuple[float, float]:
    """CPU seconds so far of what a decision runs on: this process (the emulator's server, the ASL engine, the
    event-source poller, the runtime's threads and this bench's gentle polling), one interpreter and so at most
    one core; and the sandboxes' invocations (the runtime's account per function), processes of their own."""
    from skymarshal_local.emulator.runtime import RUNTIME

    return time.process_time(), sum(RUNTIME.cpu_seconds.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    from skymarshal_local.operations import submit

    stack = start_stack(ApprovalTimeoutSeconds="3600")
    try:
        dataset = seed(stack)
        target = target_for(stack)
        # each event is one the intake admits: the flight's own origin as the station (the sample event's AUH
        # would contradict the operation for the other flights, which the intake dead-letters)
        flights = [(f.flight_number, str(f.flight_date), f.origin) for f in dataset.flights]
        prefix = f"storm-{uuid.uuid4().hex[:6]}"
        base = json.loads((target_for.__globals__["ROOT"] / "events" / "ey123-technical-delay.json").read_text())
        bodies = []
        for i in range(args.events):
            number, day, origin = flights[i % len(flights)]
            bodies.append(json.dumps({**base, "event_id": f"{prefix}-{i:04d}", "flight_number": number,
                                      "flight_date": day, "station": origin}))
        sent_at = datetime.now().astimezone()
        cpu0 = cpu_now()
        t0 = time.monotonic()
        submit.send_bodies(target, bodies)
        send_s = time.monotonic() - t0
        decided: dict[str, datetime] = {}
        deadline = time.monotonic() + args.timeout
        sfn, sqs = target.client("stepfunctions"), target.client("sqs")
        ended: set[str] = set()  # executions that ended without a decision (FAILED, ...)
        refused: dict[str, str] = {}  # events the intake dead-lettered: event id -> code and field

        def look_for_ends() -> None:
            """Dead letters and executions that ended without a decision: two scans, so every 10 s only."""
            waiting = sqs.get_queue_attributes(QueueUrl=target.outputs["IntakeDeadLetterQueueUrl"],
                                               AttributeNames=["ApproximateNumberOfMessages"])
            if int(waiting["Attributes"]["ApproximateNumberOfMessages"]) > len(refused):
                for letter in submit.dead_letters(target, limit=args.events):
                    event_id = str(json.loads(letter["body"]).get("event_id", "")) if letter["body"] else ""
                    if event_id.startswith(prefix):
                        refused[event_id] = f"{letter['code']} ({letter['field']})"
            for status in ("FAILED", "TIMED_OUT", "ABORTED"):
                for page in sfn.get_paginator("list_executions").paginate(
                        stateMachineArn=target.state_machine_arn, statusFilter=status):
                    ended.update(e["name"] for e in page["executions"] if e["name"].startswith(prefix))

        def note_awaiting(since: str) -> None:
            """Threads awaiting approval that changed after `since`, the storm's start: the ByStatus index's
            sort key bounds the query to this storm's threads. The bound does not move with what a poll saw:
            each Lambda stamps updated_at before its write lands, so a later poll can find a thread stamped
            before the newest one an earlier poll saw (a moving bound lost such threads, and the bench then
            waited for them until its deadline)."""
            for thread in target.store.threads_by_status("awaiting_approval", limit=10 * args.events,
                                                         updated_after=since):
                thread_id = str(thread.get("thread_id") or thread["PK"].split("#", 1)[-1])
                if thread_id.startswith(prefix):
                    decided.setdefault(thread_id, datetime.fromisoformat(thread["updated_at"]))

        since = sent_at.astimezone(UTC).isoformat()  # as the store writes updated_at
        # The observer runs in the emulator's process and shares its interpreter lock: it polls gently. The
        # decision time is the thread's own updated_at (written when it reached awaiting_approval), so the poll
        # interval changes when the loop notices, not the latencies measured.
        polls = 0
        while len(decided) + len(ended) + len(refused) < args.events and time.monotonic() < deadline:
            if polls % 5 == 0:
                look_for_ends()
            polls += 1
            note_awaiting(since)
            if len(decided) + len(ended) + len(refused) < args.events:
                time.sleep(2.0)
        look_for_ends()
        wall = time.monotonic() - t0
        (main1, boxes1), (main0, boxes0) = cpu_now(), cpu0
        main_cpu, boxes_cpu = main1 - main0, boxes1 - boxes0
        statuses: dict[str, int] = {}
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=target.state_machine_arn):
            for e in page["executions"]:
                if e["name"].startswith(prefix):
                    statuses[e["status"]] = statuses.get(e["status"], 0) + 1
        stats = dict(stack.delivery.stats)
    finally:
        stack.stop()
    latencies = sorted((t - sent_at).total_seconds() for t in decided.values())
    span = max(latencies) if latencies else wall
    per_minute = len(latencies) / span * 60 if span else 0.0
    cores = os.cpu_count() or 1
    n = len(latencies) or float("nan")
    main_per, boxes_per = main_cpu / n, boxes_cpu / n
    # The processor's ceiling: every core busy, and this process's one interpreter busy (its share cannot
    # spread over cores); the lower of the two bounds the decisions per minute
    ceiling = min(cores * 60 / (main_per + boxes_per), 60 / main_per) if latencies else float("nan")
    rows = [
        row("storm events sent", args.events, "events"),
        row("decisions reached", len(latencies), "decisions"),
        row("executions ended without a decision", len(ended - set(decided)), "executions"),
        row("events refused at intake (dead-lettered)", len(refused), "events"),
        row("decisions per minute", round(per_minute, 1), "/min", TARGET_PER_MINUTE, lower_is_better=False),
        # why a miss is a miss: the processor's ceiling at this hour (every core busy for the whole storm)
        # why a miss is a miss: the processor's ceiling at this hour
        row("CPU per decision: emulator process (server, engine, intake poller; one interpreter)",
            round(main_per, 3), "s"),
        row("CPU per decision: sandboxes (the handlers)", round(boxes_per, 3), "s"),
        row(f"decisions per minute the processor allows ({cores} cores; the emulator on one)", round(ceiling, 1),
            "/min"),
        row("decisions per minute / what the processor allows (1.0 = at the ceiling)",
            round(per_minute / ceiling, 3) if latencies else float("nan"), "x"),
        row("slowest send -> decision", round(max(latencies), 2) if latencies else float("nan"), "s"),
        row("p50 send -> decision", round(statistics.median(latencies), 2) if latencies else float("nan"), "s"),
        row("p95 send -> decision", round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2)
            if latencies else float("nan"), "s"),
    ]
    write("storm", {"events": args.events, "send_seconds": round(send_s, 3), "wall_seconds": round(wall, 1),
                    "cpu_seconds": {"emulator_process": round(main_cpu, 2), "sandboxes": round(boxes_cpu, 2)},
                    "cores": cores,
                    "executions_by_status": statuses, "intake_delivery": stats,
                    "refused": refused, "latencies_s": [round(x, 3) for x in latencies]}, rows)


if __name__ == "__main__":
    main()
