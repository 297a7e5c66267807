"""Holds and commitments on the shared operation, in OpsDataTable, by conditional writes (TransactWriteItems
where several items change together): two decisions can never both hold, nor both commit, one resource.

| item                  | PK                       | SK              | what                                         |
|-----------------------|--------------------------|-----------------|----------------------------------------------|
| claim: tail/crew/flt  | `CLAIM#tail#A6-XWE`      | `CLAIM`         | thread_id, state, hold_until, busy_until, TTL |
| seat ledger           | `SEATS#EY124/2026-12-01` | `LEDGER`        | `available` for rebooking, `committed`       |
| seats of a thread     | `SEATS#EY124/2026-12-01` | `HOLD#{thread}` | seats, state, thread_id, expires_at (TTL)    |
| a decision's holds    | `DECISION#{thread}`      | `HOLDS`         | state, needs, conflicts, applied             |

(claim state: held/committed; decision state: held/contested/committed/released/superseded)

- hold (when approval is requested): one transaction puts every claim (condition: free, or our own, or a hold
  that lapsed, or a commitment whose use ended before we need it), takes the seats off each ledger
  (condition: enough left) and writes the decision record. If any condition fails nothing is written; the
  record says `contested`, with the holder of each resource taken.
- commit (on approval): one transaction turns every hold of the thread into a commitment (condition: still
  ours, still held); a contested decision is held and committed in one go. If any condition fails nothing
  changes and the approval is refused.
- release (rejection, timeout, escalation): each of the thread's holds is deleted (condition: still ours and
  held) and its seats go back to the ledger.
- TTL (`expires_at`, the table's TTL attribute) is a backstop: a lapsed hold is already free to others by the
  conditions above (`hold_until` < now); TTL only clears the item later (DynamoDB deletes expired items
  typically within a few days). Seats of a lapsed hold return to the ledger when the workflow releases them
  (it always ends: approval, rejection or timeout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from skymarshal import aws, opsdata
from skymarshal.config import settings
from skymarshal.domain import fleet
from skymarshal.domain.fleet import Claim, Need
from skymarshal.domain.operation import Booking
from skymarshal.models import RecoveryOption
from skymarshal.stores.dynamo import plain, utcnow

if TYPE_CHECKING:
    from skymarshal.domain.operation import Snapshot

CLAIM_SK = "CLAIM"
LEDGER_SK = "LEDGER"
HOLDS_SK = "HOLDS"
NEVER = "9999-12-31T00:00:00.000000Z"
HOLD_TTL_GRACE = timedelta(days=1)  # a lapsed hold item stays readable a day for the audit, then TTL clears it
COMMIT_TTL = timedelta(days=90)  # committed items outlive their use by the checkpoints' retention
TRANSACT_MAX = 100  # TransactWriteItems: at most 100 items

_SER, _DESER = TypeSerializer(), TypeDeserializer()


def claim_pk(kind: str, resource_id: str) -> str:
    return f"CLAIM#{kind}#{resource_id}"


def seats_pk(flight_key: str) -> str:
    return f"SEATS#{flight_key}"


def decision_pk(thread_id: str) -> str:
    return f"DECISION#{thread_id}"


def _ts(moment: datetime | None, default: str = NEVER) -> str:
    return opsdata.ts(moment) if moment is not None else default


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _av(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], _SER.serialize(value))  # typed by boto3-stubs when SAM installed them


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return plain({k: _DESER.deserialize(v) for k, v in raw.items()})


@dataclass
class HoldResult:
    """What a hold or commit did: the decision record's state and, when refused, who holds what."""

    state: str
    conflicts: list[str] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state in ("held", "committed")


class FleetStore:
    """Holds, commitments and releases of the resources of decisions (see the module docstring)."""

    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or settings().ops_table

    @property
    def _client(self) -> Any:
        """The resource's client: plain Python values in and out (transactions use the typed client)."""
        return aws.table(self.table_name).meta.client

    # -- reading -------------------------------------------------------------------------------------------
    def _get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        items = aws.batch_get(self._client, self.table_name, keys, "read holds", ConsistentRead=True)
        return {key: plain(item) for key, item in items.items()}

    def claims(self, keys: list[tuple[str, str]]) -> dict[str, Claim]:
        """The claims on (kind, resource id) pairs, by resource key."""
        found = self._get_many([(claim_pk(k, r), CLAIM_SK) for k, r in keys])
        return {c.key: c for c in (_claim(item) for item in found.values())}

    def seats_available(self, flight_keys: list[str]) -> dict[str, int]:
        """Seats left for rebooking on flights whose ledger exists (decisions have taken seats there)."""
        found = self._get_many([(seats_pk(k), LEDGER_SK) for k in flight_keys])
        return {item["PK"].split("#", 1)[1]: int(item["available"]) for item in found.values()}

    def record(self, thread_id: str) -> dict[str, Any] | None:
        with aws.dependency("read decision holds"):
            item = aws.table(self.table_name).get_item(Key={"PK": decision_pk(thread_id), "SK": HOLDS_SK},
                                                       ConsistentRead=True).get("Item")
        if item is None:
            return None
        out = plain(item)
        out["needs"] = json.loads(out.get("needs") or "[]")
        return out

    def records(self, thread_ids: list[str]) -> dict[str, dict[str, Any]]:
        found = self._get_many([(decision_pk(t), HOLDS_SK) for t in thread_ids])
        return {item["thread_id"]: item for item in found.values()}

    def view(self, snapshot: Snapshot, now: datetime | None = None) -> Snapshot:
        """The snapshot with the live claims on the resources it may use (the flight, the tails at the station,
        the reserves) and the seats left on the rebooking flights after other decisions."""
        now = now or utcnow()
        keys: list[tuple[str, str]] = [("flight", snapshot.flight_key)]
        keys += [("tail", a.tail) for a in snapshot.swap_candidates]
        keys += [("flight", k) for rotation in snapshot.swap_rotations.values() for k in rotation]
        if snapshot.aircraft is not None:
            keys.append(("tail", snapshot.aircraft.tail))
        keys += [("crew", r.crew_id) for r in snapshot.reserves]
        live = {k: c for k, c in self.claims(keys).items()
                if c.state == "committed" or c.hold_until is None or c.hold_until > now}
        free = dict(snapshot.rebooking_free_seats)
        for key, available in self.seats_available(snapshot.rebooking_options).items():
            free[key] = max(0, min(free.get(key, available), available))
        return snapshot.model_copy(update={"claims": live, "rebooking_free_seats": free})

    # -- hold ----------------------------------------------------------------------------------------------
    def hold(self, thread_id: str, flight_key: str, option: RecoveryOption, needs: list[Need],
             hold_until: datetime, now: datetime | None = None, commit: bool = False) -> HoldResult:
        """Hold (or, with `commit`, hold and commit at once) every resource of the option, all or nothing."""
        now = now or utcnow()
        state = "committed" if commit else "held"
        previous = self.record(thread_id)
        if previous is not None and previous.get("state") in ("held", "committed") and not commit:
            return HoldResult(previous["state"], holds=describe(previous["needs"]))
        items = self._hold_items(thread_id, flight_key, needs, state, hold_until, now)
        items.append({"Put": {
            "TableName": self.table_name,
            "Item": self._record_item(thread_id, flight_key, option, needs, state, hold_until, now, []),
            "ConditionExpression": "attribute_not_exists(PK) OR #st IN (:contested, :released, :held)",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": {":contested": _av("contested"), ":released": _av("released"),
                                          ":held": _av("held")},
        }})
        if self._transact(items, "hold decision resources"):
            return HoldResult(state, holds=describe([n.model_dump(mode="json") for n in needs]))
        reasons = self.conflicts(thread_id, needs, now) or ["resources changed while holding: try again"]
        if not commit:
            with aws.dependency("record contested decision"):
                aws.table(self.table_name).put_item(Item=_plain_item(self._record_item(
                    thread_id, flight_key, option, needs, "contested", hold_until, now, reasons)))
        return HoldResult("contested", conflicts=reasons)

    def _hold_items(self, thread_id: str, flight_key: str, needs: list[Need], state: str, hold_until: datetime,
                    now: datetime) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        ttl = _epoch(hold_until + HOLD_TTL_GRACE) if state == "held" else _epoch(now + COMMIT_TTL)
        for n in needs:
            if n.kind == "seats":
                items += self._seat_hold_items(thread_id, n, state, ttl)
                continue
            item = {"PK": claim_pk(n.kind, n.resource_id), "SK": CLAIM_SK, "kind": n.kind,
                    "resource_id": n.resource_id, "thread_id": thread_id, "state": state, "purpose": n.purpose,
                    "flight_key": flight_key, "hold_until": opsdata.ts(hold_until),
                    "busy_until": _ts(n.busy_until), "since": now.isoformat(), "expires_at": ttl}
            items.append({"Put": {
                "TableName": self.table_name, "Item": {k: _av(v) for k, v in item.items()},
                "ConditionExpression": "attribute_not_exists(PK) OR thread_id = :me"
                                       " OR (#st = :held AND hold_until < :now)"
                                       " OR (#st = :committed AND busy_until <= :from)",
                "ExpressionAttributeNames": {"#st": "state"},
                "ExpressionAttributeValues": {":me": _av(thread_id), ":held": _av("held"),
                                              ":committed": _av("committed"), ":now": _av(opsdata.ts(now)),
                                              ":from": _av(_ts(n.busy_from, "0000"))},
            }})
        if len(items) > TRANSACT_MAX - 1:
            raise ValueError(f"a decision holds at most {TRANSACT_MAX - 1} items, this one needs {len(items)}")
        return items

    def _seat_hold_items(self, thread_id: str, n: Need, state: str, ttl: int) -> list[dict[str, Any]]:
        free = int(n.free_seats if n.free_seats is not None else n.seats)
        ledger: dict[str, Any] = {"Update": {
            "TableName": self.table_name,
            "Key": {"PK": _av(seats_pk(n.resource_id)), "SK": _av(LEDGER_SK)},
            "UpdateExpression": "SET available = if_not_exists(available, :free) - :n",
            "ConditionExpression": "attribute_not_exists(available) OR available >= :n",
            "ExpressionAttributeValues": {":free": _av(free), ":n": _av(n.seats)},
        }}
        if state == "committed":
            ledger["Update"]["UpdateExpression"] += " ADD committed :n"
        if free < n.seats:  # a first hold that cannot fit: fail the transaction on a condition that cannot hold
            ledger["Update"]["ConditionExpression"] = "attribute_exists(available) AND available >= :n"
        hold = {"PK": seats_pk(n.resource_id), "SK": f"HOLD#{thread_id}", "thread_id": thread_id,
                "seats": n.seats, "state": state, "expires_at": ttl}
        return [ledger, {"Put": {"TableName": self.table_name, "Item": {k: _av(v) for k, v in hold.items()},
                                 "ConditionExpression": "attribute_not_exists(PK)"}}]

    def _record_item(self, thread_id: str, flight_key: str, option: RecoveryOption, needs: list[Need], state: str,
                     hold_until: datetime, now: datetime, conflicts: list[str]) -> dict[str, Any]:
        item = {"PK": decision_pk(thread_id), "SK": HOLDS_SK, "thread_id": thread_id, "state": state,
                "flight_key": flight_key, "option_id": option.option_id, "option": option.model_dump_json(),
                "needs": json.dumps([n.model_dump(mode="json") for n in needs]), "conflicts": conflicts,
                "hold_until": hold_until.isoformat(), "updated_at": now.isoformat(),
                "expires_at": _epoch(now + COMMIT_TTL)}
        return {k: _av(v) for k, v in item.items()}

    def conflicts(self, thread_id: str, needs: list[Need], now: datetime | None = None) -> list[str]:
        """Who holds what this thread needs (named), and the seats that are short."""
        keys: list[tuple[str, str]] = [(n.kind, n.resource_id) for n in needs if n.kind != "seats"]
        seats = self.seats_available([n.resource_id for n in needs if n.kind == "seats"])
        for n in needs:  # a flight without a ledger has the seats the snapshot saw
            if n.kind == "seats" and n.resource_id not in seats and n.free_seats is not None:
                seats[n.resource_id] = n.free_seats
        return fleet.conflicts(needs, self.claims(keys), thread_id, now or utcnow(), seats)

    # -- commit --------------------------------------------------------------------------------------------
    def commit(self, thread_id: str, now: datetime | None = None) -> HoldResult:
        """Turn the thread's holds into commitments, all or nothing; a contested decision (its hold failed) is
        held and committed at once. Refused (state `contested`, with the reasons) when a resource was taken."""
        now = now or utcnow()
        record = self.record(thread_id)
        if record is None:
            return HoldResult("contested", conflicts=[f"thread {thread_id} holds nothing: re-plan it"])
        needs = [Need.model_validate(n) for n in record["needs"]]
        if record["state"] == "committed":
            return HoldResult("committed", holds=describe(record["needs"]))
        if record["state"] in ("released", "superseded"):
            return HoldResult("contested", conflicts=[f"the holds of {thread_id} were {record['state']}"])
        option = RecoveryOption.model_validate_json(record["option"])
        if record["state"] == "contested":
            hold_until = datetime.fromisoformat(record["hold_until"])
            return self.hold(thread_id, record["flight_key"], option, needs, hold_until, now, commit=True)
        items = self._commit_items(thread_id, needs, now)
        items.append({"Update": {
            "TableName": self.table_name, "Key": {"PK": _av(decision_pk(thread_id)), "SK": _av(HOLDS_SK)},
            "UpdateExpression": "SET #st = :committed, updated_at = :t",
            "ConditionExpression": "#st = :held",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": {":committed": _av("committed"), ":held": _av("held"),
                                          ":t": _av(now.isoformat())},
        }})
        if self._transact(items, "commit decision resources"):
            return HoldResult("committed", holds=describe(record["needs"]))
        again = self.record(thread_id)
        if again is not None and again["state"] == "committed":  # a concurrent approval of the same thread won
            return HoldResult("committed", holds=describe(record["needs"]))
        reasons = self.conflicts(thread_id, needs, now) or [f"a hold of {thread_id} lapsed and was taken"]
        return HoldResult("contested", conflicts=reasons)

    def _commit_items(self, thread_id: str, needs: list[Need], now: datetime) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        ttl = _av(_epoch(now + COMMIT_TTL))
        mine = {":me": _av(thread_id), ":held": _av("held"), ":committed": _av("committed"), ":ttl": ttl}
        for n in needs:
            if n.kind == "seats":
                items.append({"Update": {
                    "TableName": self.table_name,
                    "Key": {"PK": _av(seats_pk(n.resource_id)), "SK": _av(f"HOLD#{thread_id}")},
                    "UpdateExpression": "SET #st = :committed, expires_at = :ttl",
                    "ConditionExpression": "thread_id = :me AND #st = :held",
                    "ExpressionAttributeNames": {"#st": "state"}, "ExpressionAttributeValues": mine}})
                items.append({"Update": {
                    "TableName": self.table_name, "Key": {"PK": _av(seats_pk(n.resource_id)), "SK": _av(LEDGER_SK)},
                    "UpdateExpression": "ADD committed :n", "ExpressionAttributeValues": {":n": _av(n.seats)}}})
                continue
            items.append({"Update": {
                "TableName": self.table_name, "Key": {"PK": _av(claim_pk(n.kind, n.resource_id)), "SK": _av(CLAIM_SK)},
                "UpdateExpression": "SET #st = :committed, expires_at = :ttl",
                "ConditionExpression": "thread_id = :me AND #st = :held",
                "ExpressionAttributeNames": {"#st": "state"}, "ExpressionAttributeValues": mine}})
        return items

    # -- release -------------------------------------------------------------------------------------------
    def release(self, thread_id: str, state: str = "released", now: datetime | None = None) -> None:
        """Give back every hold of the thread (each still ours and held); seats return to their ledger."""
        now = now or utcnow()
        record = self.record(thread_id)
        if record is None or record["state"] not in ("held", "contested"):
            return
        if record["state"] == "held":
            for n in (Need.model_validate(x) for x in record["needs"]):
                if n.kind == "seats":
                    self._transact([
                        {"Delete": {"TableName": self.table_name,
                                    "Key": {"PK": _av(seats_pk(n.resource_id)), "SK": _av(f"HOLD#{thread_id}")},
                                    "ConditionExpression": "thread_id = :me AND #st = :held",
                                    "ExpressionAttributeNames": {"#st": "state"},
                                    "ExpressionAttributeValues": {":me": _av(thread_id), ":held": _av("held")}}},
                        {"Update": {"TableName": self.table_name,
                                    "Key": {"PK": _av(seats_pk(n.resource_id)), "SK": _av(LEDGER_SK)},
                                    "UpdateExpression": "ADD available :n",
                                    "ExpressionAttributeValues": {":n": _av(n.seats)}}},
                    ], "release seats")
                    continue
                try:
                    with aws.dependency("release hold"):
                        self._client.delete_item(
                            TableName=self.table_name,
                            Key={"PK": claim_pk(n.kind, n.resource_id), "SK": CLAIM_SK},
                            ConditionExpression="thread_id = :me AND #st = :held",
                            ExpressionAttributeNames={"#st": "state"},
                            ExpressionAttributeValues={":me": thread_id, ":held": "held"})
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                        raise
        with aws.dependency("record released holds"):
            aws.table(self.table_name).update_item(
                Key={"PK": decision_pk(thread_id), "SK": HOLDS_SK},
                UpdateExpression="SET #st = :s, updated_at = :t",
                ConditionExpression="#st IN (:held, :contested)",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues={":s": state, ":t": now.isoformat(), ":held": "held",
                                           ":contested": "contested"})

    # -- apply ---------------------------------------------------------------------------------------------
    def apply(self, thread_id: str, snapshot: Snapshot, option: RecoveryOption, changes: fleet.PlanChanges,
              bookings: list[Booking]) -> None:
        """Write what the committed plan changes into the operational data (idempotent: same items, same keys):
        flights (both items), duties of called-out reserves, the cancelled flight's bookings on their new
        flights (and off the cancelled one)."""
        table = aws.table(self.table_name)
        with aws.dependency("apply decision"), table.batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
            for f in changes.flights.values():
                for _, item in opsdata.flight_items(f):
                    writer.put_item(Item=item)
            for d in changes.duties.values():
                writer.put_item(Item={"PK": opsdata.crew_pk(d.crew_id), "SK": opsdata.duty_sk(d.duty_date),
                                      opsdata.DOC: d.model_dump_json(exclude_defaults=True)})
            for b in fleet.rebook(bookings, changes.rebooking):
                writer.put_item(Item={"PK": opsdata.flight_pk(b.flight_key), "SK": opsdata.BOOKING_PREFIX + b.pnr,
                                      opsdata.DOC: b.model_dump_json(exclude_defaults=True), "rebooked_by": thread_id})
        with aws.dependency("record applied decision"):
            table.update_item(Key={"PK": decision_pk(thread_id), "SK": HOLDS_SK},
                              UpdateExpression="SET applied = :t", ExpressionAttributeValues={":t": True})

    # -- transactions --------------------------------------------------------------------------------------
    def _transact(self, items: list[dict[str, Any]], action: str) -> bool:
        """TransactWriteItems; False when a condition failed (nothing was written)."""
        try:
            with aws.dependency(action):
                aws.client("dynamodb").transact_write_items(TransactItems=items)  # typed values, no transformer
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("TransactionCanceledException",
                                                             "ConditionalCheckFailedException"):
                return False
            raise
        return True


def _claim(item: dict[str, Any]) -> Claim:
    return Claim(kind=item["kind"], resource_id=item["resource_id"], thread_id=item["thread_id"], state=item["state"],
                 purpose=item.get("purpose", ""), flight_key=item.get("flight_key"),
                 hold_until=_parse(item.get("hold_until")), busy_until=_parse(item.get("busy_until")))


def _parse(value: str | None) -> datetime | None:
    if not value or value == NEVER:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _plain_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESER.deserialize(v) for k, v in item.items()}


def describe(needs: list[dict[str, Any]]) -> list[str]:
    """What a decision holds, for the duty manager: `tail A6-XWE (swap)`, `seats 40 on EY125/2026-12-01`."""
    out = []
    for n in needs:
        if n["kind"] == "seats":
            out.append(f"seats {n['seats']} on {n['resource_id']}")
        elif n["kind"] != "flight":
            out.append(f"{n['kind']} {n['resource_id']} ({n['purpose']})")
    return out

