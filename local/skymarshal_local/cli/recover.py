"""`redrive`, `stop`, `replay`, `audit`: recover a failed run, stop a running one, re-run a thread from a
checkpoint, export its record."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from skymarshal_local.cli.common import TERMINAL, EndpointOpt, JsonOpt, RegionOpt, StackOpt, target_for
from skymarshal_local.cli.render import console
from skymarshal_local.operations import audit as auditor
from skymarshal_local.operations import redrive as redriver
from skymarshal_local.operations import replay as replayer

app = typer.Typer()


@app.command()
def redrive(
    execution: Annotated[str, typer.Argument(help="Execution ARN or thread id of a FAILED/TIMED_OUT/ABORTED run.")],
    wait: Annotated[bool, typer.Option(help="Wait until it awaits approval or ends.")] = True,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Redrive a failed execution from where it stopped (RedriveExecution: STANDARD only, within 14 days).
    Finished agents return their checkpointed result; only failed work is recomputed."""
    target = target_for(endpoint_url, stack_name, region)
    result = redriver.redrive(target, execution)
    if wait:
        desc = target.wait(result["execution_arn"], TERMINAL | {"AWAITING_APPROVAL"}, timeout=120)
        result["status"] = desc["status"]
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console.print(f"redriven {result['execution_arn']} (redrive #{result.get('redrive_count')}): "
                      f"{result.get('status', 'RUNNING')}")


@app.command()
def stop(
    execution: Annotated[str, typer.Argument(help="Execution ARN or thread id of a RUNNING decision.")],
    reason: Annotated[str, typer.Option(
        "--reason", help="Why it is stopped (the cause in its history, audit and failure text).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Stop a running decision (StopExecution): it ends ABORTED at once, its pending approval is closed and the
    resources its recommendation held are released for other decisions; `redrive` resumes it where it stopped."""
    target = target_for(endpoint_url, stack_name, region)
    result = redriver.stop(target, execution, reason)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console.print(f"stopped {result['execution_arn']}: {result['status']} at {result['stop_date']}")


@app.command()
def replay(
    thread_id: Annotated[str, typer.Argument(help="The thread to replay.")],
    from_checkpoint: Annotated[str, typer.Option("--from", help="Checkpoint id to resume after (`skymarshal show`).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Start a new execution, linked to the thread, that resumes after a checkpoint with the stored state
    (e.g. re-arbitrate from the phase-2 views after a policy change)."""
    target = target_for(endpoint_url, stack_name, region)
    result = replayer.replay(target, thread_id, from_checkpoint)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console.print(f"replay thread [bold]{result['thread_id']}[/] of {thread_id} from {result['from_step']}"
                      f"\n{result['execution_arn']}")


class AuditFormat(StrEnum):
    json = "json"
    md = "md"
    csv = "csv"


@app.command()
def audit(
    thread_id: Annotated[str, typer.Argument(help="The thread to export.")],
    fmt: Annotated[AuditFormat, typer.Option("--format", help="json, md (for compliance) or csv.")]
    = AuditFormat.json,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None,
) -> None:
    """The audit trail of a thread: checkpoints merged with the execution history (states, retries, errors,
    the approval with approver, comment and time)."""
    target = target_for(endpoint_url, stack_name, region)
    text = auditor.export(target, thread_id, fmt.value)  # type: ignore[arg-type]
    if output:
        output.write_text(text)
        console.print(f"wrote {output} ({len(text):,} bytes)")
    else:
        print(text)
