"""`skymarshal redrive`: RedriveExecution of a failed run, by execution ARN or thread id, on AWS and on the
embedded stack alike (which answers the call through skymarshal_local.emulator.redrive)."""

from __future__ import annotations

import contextlib
from typing import Any

from skymarshal.errors import CheckpointConflict
from skymarshal_local.target import Target, TargetError


def redrive(target: Target, execution_arn_or_thread: str) -> dict[str, Any]:
    """RedriveExecution for an execution ARN or a thread id (its execution ARN is on the thread record).
    Works the same against AWS and the embedded stack. Returns
    {execution_arn, thread_id, redrive_date, redrive_count, status, local}; a TargetError names what is wrong."""
    if execution_arn_or_thread.startswith("arn:"):
        arn = execution_arn_or_thread
        thread_id = arn.rsplit(":", 1)[-1]
    else:
        thread_id = execution_arn_or_thread
        arn = target.execution_arn(thread_id)
    store = target.store
    thread = store.get_thread(thread_id)
    sfn = target.client("stepfunctions")
    try:
        answer = sfn.redrive_execution(executionArn=arn)
    except sfn.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise TargetError(f"cannot redrive {arn}: {code}: {message}") from exc
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
