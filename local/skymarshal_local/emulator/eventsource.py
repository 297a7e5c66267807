"""SQS -> Lambda delivery for the embedded stack, as Lambda's event source mapping pollers do it on AWS.

moto has SQS event source mappings, but they do not behave like AWS (checked on 5.2.5): delivery happens inside
SendMessage (the sender blocks while the function runs), one message per invocation whatever BatchSize says,
`batchItemFailures` is ignored (a partial failure either deletes every message or none), the records carry no
message attributes and ApproximateReceiveCount is always "1". So moto's delivery is switched off
(`disable_moto_delivery`) and `EventSourcePoller` does what Lambda does, through the public APIs only:

1. read the event source mappings of the deployed stack (Lambda ListEventSourceMappings: the template's
   `Events: Type: SQS` translated by SAM into AWS::Lambda::EventSourceMapping), enabled SQS ones only;
2. per mapping, one poller thread: ReceiveMessage (long polling) until BatchSize messages or
   MaximumBatchingWindowInSeconds, then Invoke the function (RequestResponse) with the SQS event;
3. a function error fails the whole batch; with FunctionResponseTypes [ReportBatchItemFailures] only the
   `batchItemFailures` fail (an unknown or empty itemIdentifier fails the whole batch, as on AWS);
   succeeded messages are deleted (DeleteMessageBatch), failed ones stay for redelivery, so the queue's
   redrive policy (maxReceiveCount -> dead-letter queue) applies exactly as on AWS (moto implements it).

One local deviation, on purpose: a failed message is made visible again after `retry_visibility_seconds`
(default 1 s) instead of the queue's VisibilityTimeout (180 s), so retries and the redrive to the DLQ happen
within a test. Pass `retry_visibility_seconds=None` for AWS's timing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from skymarshal_local import localenv
from skymarshal_local.localenv import REGION

log = logging.getLogger(__name__)


class _NoMotoDelivery:
    """Replaces moto's per-queue mapping dict: reads are empty (no delivery inside SendMessage), writes vanish.
    The mappings themselves stay in moto's Lambda backend, where ListEventSourceMappings reads them."""

    def __get__(self, obj: Any, owner: Any = None) -> dict[str, Any]:
        return {}

    def __set__(self, obj: Any, value: Any) -> None:
        pass


def disable_moto_delivery() -> None:
    """No delivery inside SendMessage: on AWS a poller, not the sender, invokes the function (see above)."""
    from moto.sqs.models import Queue  # moto is slow to import: only the started stack calls this

    Queue.lambda_event_source_mappings = _NoMotoDelivery()  # type: ignore[assignment]


@dataclass(frozen=True)
class Mapping:
    uuid: str
    function_arn: str
    queue_arn: str
    queue_url: str
    batch_size: int
    batching_window_s: float
    report_item_failures: bool


class EventSourcePoller:
    """Delivers SQS messages to Lambda per the deployed event source mappings. Thread-safe; `start()`/`stop()`."""

    def __init__(self, endpoint_url: str, region: str = REGION, *, retry_visibility_seconds: int | None = 1,
                 wait_seconds: int = 1, refresh_seconds: float = 2.0) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.retry_visibility_seconds = retry_visibility_seconds
        self.wait_seconds = wait_seconds
        self.refresh_seconds = refresh_seconds
        self.stats: Counter[str] = Counter()
        self._mappings: dict[str, Mapping] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self._idle: dict[str, bool] = {}
        self._clients: dict[tuple[str, int], Any] = {}

    def client(self, service: str, read_timeout: int = 30) -> Any:
        """One client per (service, read timeout), built once: the supervisor re-reads the mappings every
        `refresh_seconds`, and a new client costs ~7 ms of CPU in the process that also runs the server and
        the engine. boto3 clients are thread-safe once built."""
        with self._lock:
            key = (service, read_timeout)
            if key not in self._clients:
                self._clients[key] = localenv.client(service, self.endpoint_url, self.region,
                                                     read_timeout=read_timeout, max_pool_connections=20)
            return self._clients[key]

    # ------------------------------------------------------------------------------------------
    def start(self) -> EventSourcePoller:
        self._stop.clear()
        self.refresh()
        self._supervisor = threading.Thread(target=self._supervise, name="esm-supervisor", daemon=True)
        self._supervisor.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in [*self._threads.values(), *( [self._supervisor] if self._supervisor else [])]:
            thread.join(timeout=self.wait_seconds + 5)
        self._threads.clear()

    def refresh(self) -> list[Mapping]:
        """Re-read the event source mappings (after a redeploy, or one enabled/disabled) and start pollers."""
        lam, sqs = self.client("lambda"), self.client("sqs")
        found: dict[str, Mapping] = {}
        for page in lam.get_paginator("list_event_source_mappings").paginate():
            for esm in page["EventSourceMappings"]:
                arn = esm.get("EventSourceArn", "")
                if not arn.startswith("arn:aws:sqs:") or esm.get("State", "Enabled") not in ("Enabled", "Enabling"):
                    continue
                _, _, _, _, account, name = arn.split(":", 5)
                try:
                    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                except Exception:
                    continue
                found[esm["UUID"]] = Mapping(
                    uuid=esm["UUID"], function_arn=esm["FunctionArn"], queue_arn=arn, queue_url=url,
                    batch_size=int(esm.get("BatchSize") or 10),
                    batching_window_s=float(esm.get("MaximumBatchingWindowInSeconds") or 0),
                    report_item_failures="ReportBatchItemFailures" in (esm.get("FunctionResponseTypes") or []),
                )
        with self._lock:
            self._mappings = found
            for uuid in found:
                thread = self._threads.get(uuid)
                if thread is None or not thread.is_alive():
                    thread = threading.Thread(target=self._run, args=(uuid,), name=f"esm-{uuid[:8]}", daemon=True)
                    self._threads[uuid] = thread
                    thread.start()
        return list(found.values())

    @property
    def mappings(self) -> list[Mapping]:
        with self._lock:
            return list(self._mappings.values())

    def _supervise(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
            except Exception as exc:
                log.debug("event source mapping refresh failed: %s", exc)

    def _run(self, uuid: str) -> None:
        sqs, lam = self.client("sqs"), self.client("lambda", read_timeout=120)
        while not self._stop.is_set():
            with self._lock:
                mapping = self._mappings.get(uuid)
            if mapping is None:
                return
            try:
                delivered = self.poll_once(mapping, sqs, lam)
                self._idle[uuid] = delivered == 0
            except Exception as exc:
                self.stats["poll_errors"] += 1
                log.warning("event source mapping %s: %s", uuid, exc)
                self._stop.wait(1.0)

    # ------------------------------------------------------------------------------------------
    def poll_once(self, mapping: Mapping, sqs: Any = None, lam: Any = None) -> int:
        """Receive one batch and deliver it; returns how many messages were delivered."""
        sqs = sqs or self.client("sqs")
        lam = lam or self.client("lambda", read_timeout=120)
        messages = self._receive_batch(sqs, mapping)
        if not messages:
            return 0
        records = [self._record(m, mapping) for m in messages]
        response = lam.invoke(FunctionName=mapping.function_arn, InvocationType="RequestResponse",
                              Payload=json.dumps({"Records": records}).encode())
        payload_text = response["Payload"].read().decode() or "null"
        ids = {m["MessageId"] for m in messages}
        if response.get("FunctionError"):
            failed = set(ids)
            self.stats["function_errors"] += 1
        elif mapping.report_item_failures:
            failed = self._reported_failures(payload_text, ids)
        else:
            failed = set()
        ok = [m for m in messages if m["MessageId"] not in failed]
        for i in range(0, len(ok), 10):
            sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(ok[i:i + 10])])
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry and self.retry_visibility_seconds is not None:
            for i in range(0, len(retry), 10):
                sqs.change_message_visibility_batch(QueueUrl=mapping.queue_url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"],
                     "VisibilityTimeout": self.retry_visibility_seconds} for n, m in enumerate(retry[i:i + 10])])
        self.stats["batches"] += 1
        self.stats["messages"] += len(messages)
        self.stats["succeeded"] += len(ok)
        self.stats["failed"] += len(retry)
        return len(messages)

    def _receive_batch(self, sqs: Any, mapping: Mapping) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + mapping.batching_window_s
        while len(messages) < mapping.batch_size and not self._stop.is_set():
            wait = self.wait_seconds if not messages else max(0, min(self.wait_seconds,
                                                                        int(deadline - time.monotonic())))
            got = sqs.receive_message(
                QueueUrl=mapping.queue_url, MaxNumberOfMessages=min(10, mapping.batch_size - len(messages)),
                WaitTimeSeconds=wait, AttributeNames=["All"], MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(got)
            if not got or time.monotonic() >= deadline:
                break
        return messages

    def _record(self, m: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
        attributes = {k: str(v) for k, v in (m.get("Attributes") or {}).items()}
        message_attributes = {
            name: {"stringValue": a.get("StringValue"), "binaryValue": a.get("BinaryValue"),
                   "stringListValues": [], "binaryListValues": [], "dataType": a.get("DataType", "String")}
            for name, a in (m.get("MessageAttributes") or {}).items()
        }
        return {
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m.get("Body", ""),
            "attributes": attributes, "messageAttributes": message_attributes, "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": mapping.queue_arn, "awsRegion": self.region,
        }

    @staticmethod
    def _reported_failures(payload_text: str, ids: set[str]) -> set[str]:
        """AWS: a malformed response, or an identifier that is empty or not in the batch, fails the batch."""
        try:
            payload = json.loads(payload_text)
        except json.JSONDecodeError:
            return set(ids)
        if not isinstance(payload, dict) or payload.get("batchItemFailures") is None:
            return set()
        failed: set[str] = set()
        for item in payload["batchItemFailures"]:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not identifier or identifier not in ids:
                return set(ids)
            failed.add(identifier)
        return failed

    # ------------------------------------------------------------------------------------------
    def wait_idle(self, queue_url: str | None = None, timeout: float = 60.0) -> bool:
        """Wait until the mapped queues (or one) have no visible and no in-flight messages."""
        sqs = self.client("sqs")
        urls = [queue_url] if queue_url else [m.queue_url for m in self.mappings]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = 0
            for url in urls:
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                busy += int(attrs.get("ApproximateNumberOfMessages", 0))
                busy += int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))
            if not busy:
                return True
            time.sleep(0.1)
        return False


def start_local_delivery(endpoint_url: str, region: str = REGION, **kwargs: Any) -> EventSourcePoller:
    """What the embedded stack calls once it is deployed (moto's own delivery is already switched off)."""
    disable_moto_delivery()
    return EventSourcePoller(endpoint_url, region, **kwargs).start()
