"""`skymarshal redrive` and `skymarshal stop`: RedriveExecution of a failed run and StopExecution of a running
one, by execution ARN or thread id, on AWS and on the embedded stack alike (which answers both calls as AWS
documents them: skymarshal_local.emulator.redrive and emulator.patches.stop_executions_at_once)."""

from __future__ import annotations

import contextlib
from typing import Any

from skymarshal.errors import CheckpointConflict
from skymarshal.steps.lifecycle import STOP_REQUESTED
from skymarshal_local.target import Target, TargetError


def refused(verb: str, arn: str, exc: Any) -> TargetError:
    """What Step Functions refused, in the operator's words: `cannot VERB ARN: Code: message`."""
    error = exc.response.get("Error", {})
    return TargetError(f"cannot {verb} {arn}: {error.get('Code', '')}: {error.get('Message', str(exc))}")


def redrive(target: Target, execution_arn_or_thread: str) -> dict[str, Any]:
    """RedriveExecution for an execution ARN or a thread id (its execution ARN is on the thread record).
    Works the same against AWS and the embedded stack. Returns
    {execution_arn, thread_id, redrive_date, redrive_count, status, local}; a TargetError names what is wrong."""
    arn, thread_id = target.execution_of(execution_arn_or_thread)
    store = target.store
    thread = store.get_thread(thread_id)
    sfn = target.client("stepfunctions")
    try:
        answer = sfn.redrive_execution(executionArn=arn)
    except sfn.exceptions.ClientError as exc:
        raise refused("redrive", arn, exc) from exc
    if thread and thread.get("status") == "failed":
        # the thread is worked on again (leaves `status --failed`); compare-and-swap on the version read before
        # the call, so a redriven run that has already moved the thread on is never overwritten
        with contextlib.suppress(CheckpointConflict):
            store.update_thread(thread_id, int(thread["version"]), status="active",
                                redriven_at=answer["redriveDate"].isoformat())
    desc = sfn.describe_execution(executionArn=arn)
    return {
        "execution_arn": arn,
        "thread_id": thread_id,
        "redrive_date": answer["redriveDate"].isoformat(),
        "redrive_count": desc.get("redriveCount"),
        "status": desc["status"],
        "local": target.local,
    }


STOPPED_BY_OPERATOR = "StoppedByOperator"


def stop(target: Target, execution_arn_or_thread: str, reason: str) -> dict[str, Any]:
    """StopExecution of a running decision (a duplicate report, a disruption that resolved itself): it ends
    ABORTED at once with error `StoppedByOperator` and the reason as cause (in the history, in a `stop_requested`
    checkpoint and in the thread's failure text); its
    status-change event closes the pending approval and releases what its decision held (steps/lifecycle.py);
    `redrive` resumes it where it stopped. Returns {execution_arn, thread_id, stop_date, status}."""
    if not reason.strip():
        raise TargetError("reason: say why the run is stopped (it is kept in the audit)")
    arn, thread_id = target.execution_of(execution_arn_or_thread)
    sfn = target.client("stepfunctions")
    try:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            raise TargetError(f"cannot stop {arn}: it is {status}, not RUNNING")
        # The request goes into the thread's own audit first: its status-change event names the execution but
        # need not carry the cause, and the thread's failure text (status --failed, the console) quotes it
        target.store.put(thread_id, STOP_REQUESTED, None, meta={"execution_arn": arn, "error": STOPPED_BY_OPERATOR,
                                                                "cause": reason[:32768]})
        answer = sfn.stop_execution(executionArn=arn, error=STOPPED_BY_OPERATOR, cause=reason[:32768])
    except sfn.exceptions.ClientError as exc:
        raise refused("stop", arn, exc) from exc
    return {"execution_arn": arn, "thread_id": thread_id, "stop_date": answer["stopDate"].isoformat(),
            "status": sfn.describe_execution(executionArn=arn)["status"]}
