"""The decision-quality suite: hand-made scenarios with the outcome an operations controller expects.

Each `cases/*.json` is one scenario: the changes it makes to `base.json` (the operational data), its disruption
event, an optional policy override, and `expected` — the recommended kind (or null), whether the decision is
escalated to a duty manager, optional further checks, and the reason, derived by hand from the rules (FACTS.md,
README "The decision") before the engine was run. `python -m tests.scenarios.suite` (`make eval`) prints one line
per scenario and exits non-zero on any miss; `test_scenarios.py` runs the same cases under pytest.

Changes to the base data (`ops`): per collection a mapping key -> record (merged into the record with that key,
added when new) or null (removed). Keys: airports by iata, aircraft by tail, aircraft_types by type_code, flights
by flight_number, crew and duties by crew_id, bookings by pnr, cargo by awb. `reserves` is a shorthand: each entry
{crew_id, rank, type_ratings?} becomes a reserve on standby at AUH the whole day (crew record + standby duty).
`cost_parameters` is merged.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skymarshal.domain import (
    InMemoryOpsReader,
    OpsDataset,
    Policy,
    approval_requirement,
    arbitrate,
    assess,
    build_snapshot,
    generate_options,
    revise,
)
from skymarshal.models import ALL_AGENTS, Citation, Decision, DisruptionEvent

HERE = Path(__file__).resolve().parent
CASES = sorted((HERE / "cases").glob("*.json"))
KEYS = {
    "airports": "iata",
    "aircraft": "tail",
    "aircraft_types": "type_code",
    "flights": "flight_number",
    "crew": "crew_id",
    "duties": "crew_id",
    "bookings": "pnr",
    "cargo": "awb",
}
BASE_EVENT: dict[str, Any] = {
    "flight_number": "EY1",
    "flight_date": "2026-12-01",
    "disruption_type": "technical",
    "delay_minutes": 60,
    "cause": "hydraulic leak found at pre-flight",
    "reported_at": "2026-12-01T07:15:00Z",
    "station": "AUH",
}


class _NoGuidance:
    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        return []


def _reserve(r: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    crew = {
        "crew_id": r["crew_id"],
        "name": f"Reserve {r['crew_id']}",
        "rank": r["rank"],
        "base": "AUH",
        "type_ratings": r.get("type_ratings", ["B787"] if r["rank"] in ("CPT", "FO") else []),
        "is_reserve": True,
        "reserve_start_utc": r.get("reserve_start_utc", "2026-12-01T00:00:00Z"),
        "reserve_end_utc": r.get("reserve_end_utc", "2026-12-01T23:59:00Z"),
    }
    duty = {
        "crew_id": r["crew_id"],
        "duty_date": "2026-12-01",
        "report_station": "AUH",
        "duty_hours_7d": 20,
        "last_duty_end_utc": "2026-11-29T18:00:00Z",
        "last_duty_minutes": 480,
    }
    return crew, duty


def dataset(changes: dict[str, Any]) -> OpsDataset:
    doc = json.loads((HERE / "base.json").read_text())
    changes = copy.deepcopy(changes)
    for r in changes.pop("reserves", []):
        crew, duty = _reserve(r)
        changes.setdefault("crew", {})[r["crew_id"]] = crew
        changes.setdefault("duties", {})[r["crew_id"]] = duty
    for collection, edits in changes.items():
        if collection == "cost_parameters":
            doc["cost_parameters"] = {**doc.get("cost_parameters", {}), **edits}
            continue
        key = KEYS[collection]
        records = {rec[key]: rec for rec in doc.get(collection, [])}
        for k, rec in edits.items():
            if rec is None:
                records.pop(k, None)
            else:
                records[k] = {**records.get(k, {}), key: k, **rec}
        doc[collection] = list(records.values())
    return OpsDataset.model_validate(doc)


@dataclass
class Outcome:
    name: str
    expected: str
    actual: str
    misses: list[str]
    reason: str

    @property
    def passed(self) -> bool:
        return not self.misses


def decide(case: dict[str, Any]) -> Decision:
    event = DisruptionEvent.model_validate({"event_id": case["id"], **BASE_EVENT, **case.get("event", {})})
    policy = Policy.model_validate(case.get("policy", {}))
    snapshot = build_snapshot(event, InMemoryOpsReader(dataset(case.get("ops", {}))))
    options = generate_options(event, snapshot, policy)
    phase1 = [assess(a, snapshot, options, policy) for a in ALL_AGENTS]
    phase2 = [revise(v.agent, v, phase1, snapshot, options, policy) for v in phase1]
    return arbitrate(event, phase2, options, snapshot, policy, _NoGuidance())


def _describe(kind: str | None, escalated: bool) -> str:
    return f"{kind or 'null'}{' (escalated)' if escalated else ''}"


def check(path: Path) -> Outcome:
    case = json.loads(path.read_text())
    exp = case["expected"]
    d = decide(case)
    rec = d.recommended
    kind = rec.kind if rec else None
    misses: list[str] = []
    if kind != exp["kind"]:
        misses.append(f"kind {kind} != {exp['kind']}")
    if d.escalated != exp["escalated"]:
        misses.append(f"escalated {d.escalated} != {exp['escalated']}")
    if "approval_required" in exp:
        required = approval_requirement(d, Policy.model_validate(case.get("policy", {}))).required
        if required != exp["approval_required"]:
            misses.append(f"approval_required {required} != {exp['approval_required']}")
    breakdown = rec.cost_breakdown if rec else {}
    for item in exp.get("cost_includes", []):
        if not breakdown.get(item):
            misses.append(f"cost has no {item}")
    for item in exp.get("cost_excludes", []):
        if breakdown.get(item):
            misses.append(f"cost has {item} {breakdown[item]:,.0f}")
    plan = " | ".join(s.detail for s in rec.plan) if rec else ""
    for text in exp.get("plan_mentions", []):
        if text.lower() not in plan.lower():
            misses.append(f"plan does not mention {text!r}")
    for text in exp.get("escalation_mentions", []):
        if not any(text.lower() in r.lower() for r in d.escalation_reasons):
            misses.append(f"no escalation reason mentions {text!r}")
    for text in exp.get("infeasible_mentions", []):
        if not any(text in r for reasons in d.infeasible.values() for r in reasons):
            misses.append(f"no infeasibility reason mentions {text!r}")
    return Outcome(
        path.stem, _describe(exp["kind"], exp["escalated"]), _describe(kind, d.escalated), misses, exp["reason"]
    )


def main(argv: list[str] | None = None) -> int:
    outcomes = [check(p) for p in CASES]
    width = max(len(o.name) for o in outcomes)
    for o in outcomes:
        line = f"{'PASS' if o.passed else 'FAIL'}  {o.name:<{width}}  expected {o.expected:<28} actual {o.actual}"
        print(line + ("" if o.passed else "  <- " + "; ".join(o.misses)))
    failed = [o for o in outcomes if not o.passed]
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} scenarios as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
