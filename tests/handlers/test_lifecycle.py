"""steps.lifecycle: how a run that ended unfinished is reflected on its thread. The thread's `failed` status is
written last, so whoever sees it finds the run's execution_ended record, and a write that fails in between
leaves the event to be retried in full (Lambda retries an asynchronous invocation that failed) instead of a
retry that finds the thread failed and skips the record."""

from __future__ import annotations

from typing import Any

import pytest

from skymarshal.steps.lifecycle import ExecutionStatusChange, record_execution_status

ARN = "arn:aws:states:us-east-1:123456789012:execution:skymarshal-disruption:ev-1"


class Store:
    """The Store calls record_execution_status makes, in memory; `fail_put` fails the next checkpoint write."""

    def __init__(self) -> None:
        self.thread: dict[str, Any] = {"thread_id": "ev-1", "status": "active", "version": 1, "attempt": 0,
                                       "execution_arn": ARN}
        self.checkpoints: list[dict[str, Any]] = []
        self.closed: list[str] = []
        self.fail_put = False
        self.seen_at_put: list[str] = []

    def get_thread(self, thread_id: str) -> dict[str, Any] | None:
        return dict(self.thread)

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        return list(self.checkpoints)

    def put(self, thread_id: str, step: str, payload: dict[str, Any], **meta: Any) -> None:
        self.seen_at_put.append(self.thread["status"])
        if self.fail_put:
            self.fail_put = False
            raise RuntimeError("ProvisionedThroughputExceeded (injected)")
        self.checkpoints.append({"step": step, "checkpoint_id": str(len(self.checkpoints)), **payload, **meta})

    def close_approval(self, thread_id: str, reason: str, arn: str) -> None:
        self.closed.append(reason)

    def update_thread(self, thread_id: str, version: int, **fields: Any) -> None:
        assert version == self.thread["version"]
        self.thread.update(fields, version=version + 1)

    def open_thread(self, thread_id: str, **fields: Any) -> None:
        raise AssertionError("the thread exists")


def failed() -> ExecutionStatusChange:
    return ExecutionStatusChange(executionArn=ARN, name="ev-1", status="FAILED", error="RuntimeError",
                                 cause="data source unreachable")


def test_the_record_is_written_before_the_thread_shows_failed() -> None:
    store = Store()
    outcome = record_execution_status(failed(), store)  # type: ignore[arg-type]
    assert outcome["action"] == "failed"
    assert store.seen_at_put == ["active"]  # the thread was not yet failed when its record was written
    assert [c["step"] for c in store.checkpoints] == ["execution_ended"]
    assert store.thread["status"] == "failed" and store.closed == ["execution_ended"]


def test_a_failed_record_write_is_retried_in_full_not_skipped() -> None:
    store = Store()
    store.fail_put = True
    with pytest.raises(RuntimeError, match="injected"):
        record_execution_status(failed(), store)  # type: ignore[arg-type]
    assert store.thread["status"] == "active"  # not marked failed without its record
    outcome = record_execution_status(failed(), store)  # type: ignore[arg-type]  # Lambda's retry
    assert outcome["action"] == "failed"
    assert [c["step"] for c in store.checkpoints] == ["execution_ended"]
    assert store.thread["status"] == "failed"
    assert record_execution_status(failed(), store)["action"] == "ignored"  # type: ignore[arg-type]


def test_a_redrive_start_delivered_after_its_end_does_not_reopen_the_thread() -> None:
    """EventBridge does not guarantee order: the redriven run's RUNNING event may come after its FAILED one."""
    store = Store()
    store.thread.update(status="failed", attempt=0)  # the first run failed
    ended = ExecutionStatusChange(executionArn=ARN, name="ev-1", status="FAILED", error="RuntimeError",
                                  redriveCount=1)
    started = ExecutionStatusChange(executionArn=ARN, name="ev-1", status="RUNNING", redriveCount=1)
    assert record_execution_status(ended, store)["action"] == "failed"  # type: ignore[arg-type]
    assert record_execution_status(started, store)["action"] == "ignored"  # type: ignore[arg-type]
    assert (store.thread["status"], store.thread["attempt"]) == ("failed", 1)


def stopped(**fields: Any) -> ExecutionStatusChange:
    return ExecutionStatusChange(executionArn=ARN, name="ev-1", status="ABORTED", **fields)


def test_a_stopped_run_s_thread_quotes_the_operator_s_reason_when_the_event_does_not() -> None:
    """`skymarshal stop` writes a stop_requested checkpoint (error and cause in its meta) before StopExecution;
    the status-change event says ABORTED and may carry no cause: the thread's failure text (status --failed,
    the console) and the execution_ended record take them from the request for this execution, never from a
    request made for an earlier execution of the thread."""
    store = Store()
    store.checkpoints.append({"step": "stop_requested", "checkpoint_id": "a",
                              "meta": {"execution_arn": ARN + "-earlier", "error": "StoppedByOperator",
                                       "cause": "an earlier run"}})
    store.checkpoints.append({"step": "stop_requested", "checkpoint_id": "b",
                              "meta": {"execution_arn": ARN, "error": "StoppedByOperator",
                                       "cause": "duplicate of report 7"}})
    outcome = record_execution_status(stopped(), store)  # type: ignore[arg-type]
    assert outcome["failure"] == "execution was stopped: StoppedByOperator: duplicate of report 7"
    assert store.thread["failure"] == outcome["failure"]
    ended = next(c for c in store.checkpoints if c["step"] == "execution_ended")
    assert (ended["error"], ended["cause"]) == ("StoppedByOperator", "duplicate of report 7")


def test_a_stop_s_own_cause_wins_and_a_stop_nobody_explained_says_so() -> None:
    store = Store()
    store.checkpoints.append({"step": "stop_requested", "checkpoint_id": "b",
                              "meta": {"execution_arn": ARN, "error": "StoppedByOperator", "cause": "by the CLI"}})
    console = stopped(error="Console", cause="stopped in the AWS console")
    given = record_execution_status(console, store)  # type: ignore[arg-type]
    assert given["failure"] == "execution was stopped: Console: stopped in the AWS console"
    unexplained = record_execution_status(stopped(), Store())  # type: ignore[arg-type]
    assert unexplained["failure"] == "execution was stopped"
