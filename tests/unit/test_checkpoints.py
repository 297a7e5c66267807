"""The checkpoint store on moto (in process): time-ordered collision-free ids, S3 offload at exactly 350 KB of
stored bytes, TTL = retention, compare-and-swap on the thread version, the ByStatus index.

The table is created from template.yaml's CheckpointTable definition, so the tests follow the template.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto_tables import offline_aws, table_definition

from skymarshal import aws
from skymarshal.checkpoints import S3_OFFLOAD_BYTES, CheckpointStore, new_checkpoint_id
from skymarshal.errors import ApprovalExpired, ApprovalNotPending, CheckpointConflict, CheckpointNotFound
from skymarshal.models import Ref

TABLE, BUCKET = "checkpoints-test", "checkpoints-bucket-test"


@pytest.fixture(scope="module")
def store() -> Iterator[CheckpointStore]:
    with offline_aws():
        with mock_aws():
            aws.reset()
            boto3.client("dynamodb").create_table(TableName=TABLE, **table_definition("CheckpointTable"))
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            yield CheckpointStore(TABLE, BUCKET, retention_days=90)
        aws.reset()


def _item(thread: str, checkpoint_id: str) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"PK": {"S": f"THREAD#{thread}"}, "SK": {"S": f"CHECKPOINT#{checkpoint_id}"}})["Item"]


def _payload_of_stored_size(size: int) -> dict[str, str]:
    payload = {"x": ""}
    payload["x"] = "a" * (size - len(json.dumps(payload).encode()))
    assert len(json.dumps(payload).encode()) == size
    return payload


# ------------------------------------------------------------------------------------------------
def test_checkpoint_ids_sort_in_time_and_never_collide() -> None:
    now = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    same_instant = {new_checkpoint_id(now) for _ in range(5000)}
    assert len(same_instant) == 5000
    times = [now + timedelta(microseconds=i) for i in (0, 1, 999_999, 1_000_000, 86_400_000_000)]
    ids = [new_checkpoint_id(t) for t in times]
    assert ids == sorted(ids)


def test_history_is_oldest_first_and_keeps_every_concurrent_write(store: CheckpointStore) -> None:
    thread = "order-1"
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait()
        for i in range(10):
            store.put(thread, "agent_complete", {"writer": n, "i": i}, phase=1, agent="network")

    workers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    history = store.history(thread)
    assert len(history) == 80 and len({c["checkpoint_id"] for c in history}) == 80
    assert [c["checkpoint_id"] for c in history] == sorted(c["checkpoint_id"] for c in history)
    assert [c["created_at"] for c in history] == sorted(c["created_at"] for c in history)


def test_payload_of_349_kb_stays_inline(store: CheckpointStore) -> None:
    payload = _payload_of_stored_size(349 * 1024)
    record = store.put("size-1", "snapshot", payload)
    assert not record.in_s3 and record.size_bytes == 349 * 1024
    item = _item("size-1", record.checkpoint_id)
    assert "payload" in item and "payload_s3" not in item
    assert store.load(record.ref) == payload


def test_payload_of_exactly_350_kb_goes_to_s3_and_loads_back(store: CheckpointStore) -> None:
    payload = _payload_of_stored_size(S3_OFFLOAD_BYTES)
    assert S3_OFFLOAD_BYTES == 350 * 1024
    record = store.put("size-2", "snapshot", payload)
    assert record.in_s3 and record.size_bytes == S3_OFFLOAD_BYTES
    item = _item("size-2", record.checkpoint_id)
    assert "payload" not in item
    key = item["payload_s3"]["M"]["key"]["S"]
    assert key == f"checkpoints/size-2/{record.checkpoint_id}.json"
    assert boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read() == json.dumps(payload).encode()
    assert store.load(record.ref) == payload
    assert store.history("size-2", with_payloads=True)[0]["payload"] == payload


def test_a_step_reads_its_checkpoints_in_one_request_in_the_order_asked(store: CheckpointStore) -> None:
    """An agent in phase 2 reads the event, snapshot, options and seven views: one BatchGetItem for the ones
    its container has not read before (strongly consistent: they were written a moment ago), none after."""
    thread = "many-1"
    views = [store.put(thread, "agent_complete", {"n": n}, phase=1).ref for n in range(7)]
    large = _payload_of_stored_size(S3_OFFLOAD_BYTES)
    snapshot = store.put(thread, "snapshot", large).ref
    calls: list[tuple[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    events = aws.table(TABLE).meta.client.meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="count-checkpoint-reads")
    try:
        asked = [views[3], snapshot, *views, views[3]]
        loaded = store.load_many(asked)
        assert store.load_many(asked) == loaded  # kept by the container: no second read
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="count-checkpoint-reads")
    assert loaded == [{"n": 3}, large, *({"n": n} for n in range(7)), {"n": 3}]
    assert [name for name, _ in calls] == ["BatchGetItem"]
    request = calls[0][1]["RequestItems"][TABLE]
    assert len(request["Keys"]) == 8 and request["ConsistentRead"] is True
    with pytest.raises(CheckpointNotFound, match="checkpoint gone of thread many-1"):
        store.load_many([views[0], Ref(thread_id=thread, checkpoint_id="gone")])


def test_every_item_expires_after_the_retention(store: CheckpointStore) -> None:
    short = CheckpointStore(TABLE, BUCKET, retention_days=7)
    before = datetime.now(UTC)
    record = short.put("ttl-1", "start", {"a": 1})
    thread = short.open_thread("ttl-1")
    approval = short.put_approval("ttl-1", "token-abc", "arn:x", {"s": 1}, timeout_s=60)
    after = datetime.now(UTC)
    for expires in (int(_item("ttl-1", record.checkpoint_id)["expires_at"]["N"]), thread["expires_at"],
                    approval["expires_at"]):
        assert int((before + timedelta(days=7)).timestamp()) <= expires <= int((after + timedelta(days=7)).timestamp())
    from skymarshal_local.template import load_template

    resources = load_template()["Resources"]  # the table's TTL attribute and the bucket lifecycle agree
    assert resources["CheckpointTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at", "Enabled": True}
    rules = resources["CheckpointBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == {"Ref": "CheckpointRetentionDays"} for r in rules)


def test_thread_version_changes_only_by_compare_and_swap(store: CheckpointStore) -> None:
    thread = store.open_thread("cas-1", flight_number="EY123")
    assert thread["version"] == 1 and thread["status"] == "active"
    assert store.open_thread("cas-1")["version"] == 1  # a retried start returns it unchanged
    updated = store.update_thread("cas-1", 1, status="awaiting_approval")
    assert updated["version"] == 2
    with pytest.raises(CheckpointConflict, match="expected version 1, found 2"):
        store.update_thread("cas-1", 1, status="failed")
    assert store.get_thread("cas-1")["status"] == "awaiting_approval"
    assert store.set_status("cas-1", "failed", failure="x")["version"] == 3
    with pytest.raises(CheckpointConflict, match="no thread"):
        store.update_thread("cas-missing", 1, status="active")


def test_status_index_lists_threads_without_a_scan(store: CheckpointStore) -> None:
    store.open_thread("idx-1")
    store.set_status("idx-1", "awaiting_approval")
    store.open_thread("idx-2")
    store.set_status("idx-2", "failed")
    waiting = {t["thread_id"] for t in store.threads_by_status("awaiting_approval")}
    failed = {t["thread_id"] for t in store.threads_by_status("failed")}
    assert "idx-1" in waiting and "idx-2" not in waiting and "idx-2" in failed


def test_status_index_lists_only_threads_changed_after_a_time(store: CheckpointStore) -> None:
    first = store.set_status(store.open_thread("after-1")["thread_id"], "escalated")
    second = store.set_status(store.open_thread("after-2")["thread_id"], "escalated")

    def listed(after: str) -> set[str]:
        return {t["thread_id"] for t in store.threads_by_status("escalated", updated_after=after)}

    assert {"after-1", "after-2"} <= listed("0000")
    assert "after-1" not in listed(first["updated_at"])  # strictly after: a poll does not read it twice
    assert not {"after-1", "after-2"} & listed(max(first["updated_at"], second["updated_at"]))


def test_approval_is_decided_once_and_never_after_it_expires(store: CheckpointStore) -> None:
    store.put_approval("ap-1", "tok", "arn:x", {}, timeout_s=60)
    store.decide_approval("ap-1", "approved", "dm-1", "ok")
    with pytest.raises(ApprovalNotPending, match="already approved by dm-1"):
        store.decide_approval("ap-1", "rejected", "dm-2", "no")
    store.put_approval("ap-2", "tok", "arn:x", {}, timeout_s=60)
    with pytest.raises(ApprovalExpired):
        store.decide_approval("ap-2", "approved", "dm-1", "late", now=datetime.now(UTC) + timedelta(seconds=61))
    with pytest.raises(CheckpointNotFound):
        store.load(Ref(thread_id="nope", checkpoint_id="nope"))
