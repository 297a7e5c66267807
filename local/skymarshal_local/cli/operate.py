"""`start`, `approve`, `reject`, `token`, `status`, `show`: one workflow run, from its start to its decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from skymarshal.models import Ref
from skymarshal_local.cli.common import TERMINAL, EndpointOpt, JsonOpt, RegionOpt, StackOpt, fail, target_for
from skymarshal_local.cli.render import (
    briefing_of,
    console,
    print_briefing,
    print_checkpoints,
    print_decision,
    print_thread,
    print_threads,
)
from skymarshal_local.operations.audit import list_threads
from skymarshal_local.target import AlreadyStarted, read_event

app = typer.Typer()


@app.command()
def start(
    event_file: Annotated[Path, typer.Argument(help="A disruption event (JSON).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Start the workflow for one event (execution name = event id, so a re-sent event starts nothing new: it
    says "already started" with the thread's status, and exits 0)."""
    event = read_event(event_file)
    target = target_for(endpoint_url, stack_name, region)
    sfn = target.client("stepfunctions")
    try:  # StartExecution answers a running execution's name and input with its ARN: ask first
        status = sfn.describe_execution(executionArn=target.execution_arn(event.thread_id))["status"]
        arn = target.execution_arn(event.thread_id)
    except sfn.exceptions.ExecutionDoesNotExist:
        try:
            arn, status = target.start(event), None
        except AlreadyStarted as started:  # started by someone else meanwhile
            arn, status = started.execution_arn, "already started"
    if as_json:
        print(json.dumps({"thread_id": event.thread_id, "execution_arn": arn, "already_started": status is not None}
                         | ({"status": status} if status else {})))
    elif status:
        console.print(f"already started, thread {event.thread_id} ({status}): nothing new was started\n{arn}",
                      markup=False)
    else:
        console.print(f"started thread {event.thread_id}\n{arn}", markup=False)


def _decide(thread_id: str, approved: bool, approver: str, comment: str, endpoint_url: str | None,
            stack_name: str | None, region: str | None, wait: bool, as_json: bool) -> None:
    if not 1 <= len(approver.strip()) <= 128:
        fail(f"--approver: 1 to 128 characters (got {len(approver.strip())})", code=2)
    if len(comment) > 2000:
        fail(f"--comment: at most 2000 characters (got {len(comment)})", code=2)
    target = target_for(endpoint_url, stack_name, region)
    response = target.decide(thread_id, approved, target.approver_identity(approver.strip()), comment)
    result: dict[str, Any] = {"thread_id": thread_id, "approval": response}
    if wait:
        desc = target.wait(target.execution_arn(thread_id), TERMINAL, timeout=60)
        result = json.loads(desc.get("output") or "{}") or result
    if as_json:
        print(json.dumps(result, indent=2))
    elif wait and "decision" in result:
        print_decision(result)
    else:
        console.print(f"{'approved' if approved else 'rejected'} thread {thread_id} as"
                      f" {response.get('approver_id', approver)}", markup=False)


@app.command()
def approve(
    thread_id: Annotated[str, typer.Argument(help="Thread id (= event id).")],
    approver: Annotated[str, typer.Option("--approver", help="Your approver id (on a deployed stack: a display"
                                          " name beside the identity of your AWS credentials).")],
    comment: Annotated[str, typer.Option("--comment", help="Optional comment.")] = "",
    wait: Annotated[bool, typer.Option(help="Wait for the workflow to finish and print the decision.")] = True,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Approve the pending decision of a thread (the task token is looked up server-side)."""
    _decide(thread_id, True, approver, comment, endpoint_url, stack_name, region, wait, as_json)


@app.command()
def reject(
    thread_id: Annotated[str, typer.Argument(help="Thread id (= event id).")],
    approver: Annotated[str, typer.Option("--approver", help="Your approver id.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")],
    wait: Annotated[bool, typer.Option(help="Wait for the workflow to finish.")] = True,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Reject the pending decision of a thread, with a comment."""
    if not comment.strip():
        fail("--comment is required to reject", code=2)
    _decide(thread_id, False, approver, comment, endpoint_url, stack_name, region, wait, as_json)


@app.command()
def token(
    thread_id: Annotated[str, typer.Argument(help="Thread id (= event id).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None,
) -> None:
    """Print the full task token of a pending approval, for `aws stepfunctions send-task-success`.
    (Logs and checkpoints only ever show a masked token; this is the one explicit way to see it.)"""
    target = target_for(endpoint_url, stack_name, region)
    approval = target.store.get_approval(thread_id)
    if not approval or approval["approval_status"] != "pending":
        fail(f"thread {thread_id} has no pending approval")
    print(approval["task_token"])


@app.command()
def status(
    thread_id: Annotated[str | None, typer.Argument(help="A thread; omit to list threads by status.")] = None,
    awaiting_approval: Annotated[bool, typer.Option("--awaiting-approval", help="Threads awaiting approval.")]
    = False,
    failed: Annotated[bool, typer.Option("--failed", help="Failed threads (redrive them).")] = False,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """A thread's status, or every thread awaiting approval / failed (from the status index, no scan)."""
    target = target_for(endpoint_url, stack_name, region)
    store = target.store
    if thread_id:
        thread = store.get_thread(thread_id)
        if thread is None:
            fail(f"unknown thread {thread_id}")
        approval = store.get_approval(thread_id)
        desc = target.client("stepfunctions").describe_execution(executionArn=thread["execution_arn"])
        doc = {k: v for k, v in thread.items() if k not in ("PK", "SK")}
        doc["execution_status"] = desc["status"]
        if approval:
            doc["approval"] = {k: approval.get(k) for k in ("approval_status", "requested_at",
                                                              "approval_expires_at", "approver_id", "comments")}
        if as_json:
            print(json.dumps(doc, indent=2, default=str))
        else:
            print_thread(thread_id, doc)
        return
    statuses = [s for s, on in (("awaiting_approval", awaiting_approval), ("failed", failed)) if on] or \
        ["awaiting_approval", "failed", "active"]
    rows = [t for s in statuses for t in list_threads(target, s)]
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    print_threads(rows)


@app.command()
def show(
    thread_id: Annotated[str, typer.Argument(help="Thread id (= event id).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """The decision of a thread (final or pending) and its checkpoints."""
    target = target_for(endpoint_url, stack_name, region)
    store = target.store
    thread = store.get_thread(thread_id)
    if thread is None:
        fail(f"unknown thread {thread_id}")
    desc = target.client("stepfunctions").describe_execution(executionArn=thread["execution_arn"])
    if desc["status"] == "SUCCEEDED":
        result = json.loads(desc["output"])
    else:
        decision_cp = store.latest(thread_id, "arbitration")
        decision = store.load(Ref(thread_id=thread_id, checkpoint_id=decision_cp["checkpoint_id"])) \
            if decision_cp else None
        result = {"thread_id": thread_id, "execution_arn": thread["execution_arn"],
                  "outcome": None, "status": desc["status"], "decision": decision, "approval": None}
    result["briefing"] = briefing_of(target, thread_id)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return
    print_briefing(result["briefing"])
    if result.get("decision"):
        print_decision({**result, "outcome": result.get("outcome") or thread["status"]})
    print_checkpoints(store.history(thread_id))
