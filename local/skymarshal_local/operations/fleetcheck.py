"""Read the whole operation after a storm of decisions and check its invariants (skymarshal.domain.fleet):
no tail or crew member on two flights at once, no stacked call-out beyond the FTL limits, no seat sold twice,
every approved plan shown by the final state. For tests and benchmarks (reads every flight of a dataset by key).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from boto3.dynamodb.conditions import Key

from skymarshal import aws
from skymarshal.domain import fleet
from skymarshal.domain.operation import Booking, OpsDataset
from skymarshal.models import RecoveryOption
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.stores.fleet import LEDGER_SK, FleetStore, seats_pk


def fleet_state(ops_table: str, dataset: OpsDataset, thread_ids: list[str]) -> fleet.FleetState:
    reader = DynamoOpsReader(ops_table)
    holds = FleetStore(ops_table)
    flights = {}
    for f in dataset.flights:
        now = reader.get_flight(f.flight_number, f.flight_date)
        if now is not None:
            flights[now.key] = now
    seats_of = {a.tail: a.seats for a in dataset.aircraft}
    capacity = {f.key: (f.capacity or seats_of.get(f.tail or "", 0)) for f in dataset.flights}
    table = aws.table(ops_table)
    committed: dict[str, int] = {}
    rebooked: dict[str, int] = {}
    for key in capacity:
        ledger = table.get_item(Key={"PK": seats_pk(key), "SK": LEDGER_SK}, ConsistentRead=True).get("Item")
        if ledger and int(ledger.get("committed", 0)):
            committed[key] = int(ledger["committed"])
        items = table.query(KeyConditionExpression=Key("PK").eq(f"FLIGHT#{key}") & Key("SK").begins_with("BOOKING#"))
        pax = sum(Booking.model_validate_json(i["doc"]).pax_count for i in items["Items"] if i.get("rebooked_by"))
        if pax:
            rebooked[key] = pax
    plans, callouts = [], defaultdict(list)
    for thread_id, record in holds.records(thread_ids).items():
        if record["state"] != "committed":
            continue
        option = RecoveryOption.model_validate_json(record["option"])
        plans.append(fleet.CommittedPlan(thread_id=thread_id, flight_key=record["flight_key"], kind=option.kind,
                                         tail=option.tail, departure=option.new_departure_utc,
                                         crew=list(option.replacement_crew_ids),
                                         seats=dict(option.details.get("rebooking_pax") or {})))
        for crew_id in option.replacement_crew_ids:
            callouts[crew_id].append(thread_id)
    return fleet.FleetState(flights=flights, seats_of=capacity, committed_seats=committed, rebooked_pax=rebooked,
                            plans=plans, callouts=dict(callouts),
                            timezones={a.iata: a.timezone for a in dataset.airports})


def check(ops_table: str, dataset: OpsDataset, thread_ids: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The broken invariants (empty: consistent) and a few counts."""
    state = fleet_state(ops_table, dataset, thread_ids)
    counts = {"approved_plans": len(state.plans), "called_out": len(state.callouts),
              "seats_rebooked": sum(state.committed_seats.values()),
              "kinds": dict(sorted({p.kind: sum(1 for q in state.plans if q.kind == p.kind) for p in state.plans}
                                   .items()))}
    return fleet.invariant_violations(state), counts
