"""Benchmark: a hub storm that stays consistent. N disruptions at AUH (default 200) compete for K spare tails
and R reserve captains (K, R << N) and the seats of a few later flights; they are decided concurrently and
approved in random order by concurrent approvers, through the workflow's own steps (prepare, agents, arbitrate,
request approval = hold, approve = commit or 409 + re-plan, finalize = apply/release) against the embedded
stack's tables (skymarshal_local.operations.fleetstorm). Reports decisions per minute, re-plans caused by
conflicts, and the invariant checker's result over the operational table.

Run: `PYTHONPATH=functions:local python benchmarks/bench_fleet.py [--events 200 --spares 10 --reserves 8]`.
"""

from __future__ import annotations

import argparse
import os
import uuid

from _common import row, start_stack, target_for, write


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--spares", type=int, default=10)
    parser.add_argument("--reserves", type=int, default=8)
    parser.add_argument("--approvers", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # the steps run in this process: no EMF on stdout
    from skymarshal.opsdata import DynamoOpsReader
    from skymarshal.stores import Store
    from skymarshal.stores.fleet import FleetStore
    from skymarshal_local.datagen.hubstorm import hub_storm, storm_event
    from skymarshal_local.operations import fleetcheck
    from skymarshal_local.operations.fleetstorm import Storm
    from skymarshal_local.operations.seed import replace_ops_data

    stack = start_stack(ApprovalTimeoutSeconds="3600")
    try:
        target = target_for(stack)
        ops = target.outputs["OpsDataTableName"]
        dataset = hub_storm(args.events, args.spares, args.reserves)
        replace_ops_data(ops, dataset)
        driver = Storm(Store(target.outputs["CheckpointTableName"], target.outputs["CheckpointBucketName"]),
                       FleetStore(ops), DynamoOpsReader(ops))
        prefix = f"bench-{uuid.uuid4().hex[:6]}"
        result = driver.run([storm_event(i, prefix) for i in range(args.events)], approvers=args.approvers)
        violations, counts = fleetcheck.check(ops, dataset, result.decided)
    finally:
        stack.stop()
    approved = sum(1 for o in result.outcomes.values() if o == "approved")
    per_minute = len(result.decided) / result.seconds * 60 if result.seconds else 0.0
    rows = [
        row("storm disruptions", args.events, "events"),
        row("decisions made (incl. re-plans)", len(result.decided), "decisions"),
        row("disruptions with an approved plan", approved, "decisions"),
        row("decisions per minute", round(per_minute, 1), "/min"),
        row("re-plans caused by conflicts", result.replans, "re-plans"),
        row("invariant violations", len(violations), "violations", None),
    ]
    print(f"fleet storm: {args.events} disruptions, {args.spares} spares, {args.reserves} reserves: "
          f"{len(result.decided)} decisions in {result.seconds:.1f} s ({per_minute:.1f}/min), "
          f"{result.replans} re-plans caused by conflicts, "
          f"invariants {'hold' if not violations else 'BROKEN: ' + '; '.join(violations[:5])}")
    write("fleet", {"events": args.events, "spares": args.spares, "reserves": args.reserves,
                    "seconds": round(result.seconds, 1), "approved": approved, "counts": counts,
                    "violations": violations}, rows)
    if violations:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
