"""The generated hub-airline day on the embedded stack: load time and one decision, with and without
skymarshal_local.emulator.fastdynamo (moto's Query narrowed to the queried partition).

    PYTHONPATH=functions:local python benchmarks/bench_hubday.py [--scale 1.0] [--stock] [--http-load]

--stock: uninstall fastdynamo after the stack starts (moto's own Query: the "before" numbers).
--http-load: generate after the stack started and load with opsdata.load_dataset (BatchWriteItem over HTTP)
instead of what `skymarshal run --hub-day` does (generate in a process of its own while the stack starts, then
write the items straight into moto).
Prints: items, load seconds, seconds to AWAITING_APPROVAL, seconds from approval to the end, the outcome.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "functions", ROOT / "local"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
TARGET_LOAD_S = 15.0  # from nothing to a loaded 1,000-flight day (issue 15)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--stock", action="store_true")
    parser.add_argument("--http-load", dest="direct_load", action="store_false",
                        help="load through BatchWriteItem over HTTP instead of straight into the table, as "
                             "`skymarshal run --hub-day` does")
    parser.add_argument("--event", default=str(ROOT / "events" / "ey123-technical-delay.json"))
    args = parser.parse_args()

    from skymarshal.opsdata import load_dataset
    from skymarshal_local.datagen import generate_day
    from skymarshal_local.datagen.background import DayInBackground
    from skymarshal_local.emulator import fastdynamo
    from skymarshal_local.emulator.stack import EmbeddedStack
    from skymarshal_local.operations.seed import replace_items_embedded
    from skymarshal_local.target import Target, read_event

    t_start = time.perf_counter()
    # what `skymarshal run --hub-day` does: the day is generated in a process of its own while the stack starts
    generating = DayInBackground(args.scale) if args.direct_load else None
    stack = EmbeddedStack(parameters={"ApprovalTimeoutSeconds": "300"}).start()
    t_stack = time.perf_counter() - t_start
    try:
        if args.stock:
            fastdynamo.uninstall()
        table = stack.outputs["OpsDataTableName"]
        t0 = time.perf_counter()
        if generating is not None:
            generated = generating.result()
            t_gen, t_wait = generated.seconds, time.perf_counter() - t0  # its own time; what was left to wait
            t0 = time.perf_counter()
            items = replace_items_embedded(table, generated.items)
        else:
            day = generate_day(scale=args.scale)
            t_gen = t_wait = time.perf_counter() - t0
            t0 = time.perf_counter()
            items = sum(load_dataset(day, table).values())
        t_load = time.perf_counter() - t0
        t_total = time.perf_counter() - t_start

        target = Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()
        event = read_event(Path(args.event))
        event = event.model_copy(update={"event_id": f"{event.event_id}-{uuid.uuid4().hex[:6]}"})
        t0 = time.perf_counter()
        arn = target.start(event)
        desc = target.wait(arn, TERMINAL | {"AWAITING_APPROVAL"}, timeout=600)
        t_decision = time.perf_counter() - t0
        t_approval = 0.0
        if desc["status"] == "AWAITING_APPROVAL":
            t0 = time.perf_counter()
            target.decide(event.event_id, True, "bench", "")
            desc = target.wait(arn, TERMINAL, timeout=600)
            t_approval = time.perf_counter() - t0
        data = {
            "scale": args.scale,
            "fastdynamo": not args.stock,
            "loader": "generated beside the stack start, written into moto" if args.direct_load
            else "opsdata.load_dataset after the stack start",
            "total_s": round(t_total, 2),
            "waited_for_generation_s": round(t_wait, 2),
            "stack_start_s": round(t_stack, 2),
            "items": items,
            "generate_s": round(t_gen, 2),
            "load_s": round(t_load, 2),
            "to_awaiting_approval_s": round(t_decision, 2),
            "approval_to_end_s": round(t_approval, 2),
            "status": desc["status"],
            "error": desc.get("error"),
            "query_stats": fastdynamo.stats(),
        }
        print(json.dumps(data, indent=2))
        from _common import row, write

        write("hubday", data, [
            row(f"hub day x{args.scale:g}: nothing -> loaded (start, generate beside it, load)", round(t_total, 2),
                "s", TARGET_LOAD_S),
            row("hub day: stack start", round(t_stack, 2), "s"),
            row("hub day: generate (its own process, beside the stack start)", round(t_gen, 2), "s"),
            row("hub day: waited for the generation after the stack started", round(t_wait, 2), "s"),
            row(f"hub day: load {items:,} items", round(t_load, 2), "s"),
            row("hub day: event to awaiting approval", round(t_decision, 2), "s"),
        ])
        if desc["status"] != "SUCCEEDED":
            raise SystemExit(f"the hub-day decision ended {desc['status']}: {desc.get('error')}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
