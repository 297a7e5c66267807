"""`submit` and `dlq`: disruption events through the intake queue, and what the intake refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from skymarshal_local.cli.common import EndpointOpt, JsonOpt, RegionOpt, StackOpt, target_for
from skymarshal_local.cli.render import console, print_dead_letters
from skymarshal_local.operations import submit as submitter

app = typer.Typer()


@app.command()
def submit(
    event_files: Annotated[list[Path], typer.Argument(help="Event files: one event, a JSON list, or an SQS envelope.")],
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Send invalid events too (they go to the DLQ).")]
    = False,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Send disruption events to the intake queue; the intake Lambda starts one workflow per event id."""
    target = target_for(endpoint_url, stack_name, region)
    results = submitter.submit(target, event_files, validate=not no_validate)
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            colour = {"sent": "green", "invalid": "red", "error": "red"}[r["status"]]
            console.print(f"[{colour}]{r['status']}[/] {r['path']} {r.get('event_id') or ''} "
                          f"{r.get('message_id') or r.get('reason', '')}")
    if any(r["status"] != "sent" for r in results):
        raise typer.Exit(1)


@app.command()
def dlq(
    replay_fixed: Annotated[Path | None, typer.Option(
        "--replay", help="A JSON file {receipt_handle: fixed body} (receipt handles from `dlq --json`; a body is "
        "the fixed event as a JSON object, or the message body as a string) to send back to intake; exits 1 if "
        "a body is still invalid.")]
    = None,
    limit: Annotated[int, typer.Option(help="How many dead letters to read.")] = 100,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """What the intake refused and why (the dead-letter queue; listing leaves the messages there, visible);
    `--replay` sends fixed messages back."""
    fixes = submitter.read_fixes(replay_fixed) if replay_fixed else None  # a bad file: one line, nothing sent
    target = target_for(endpoint_url, stack_name, region)
    if fixes is not None:
        results = submitter.replay(target, fixes)
        print(json.dumps(results, indent=2))
        if any(r["status"] != "sent" for r in results):
            raise typer.Exit(1)
        return
    letters = submitter.dead_letters(target, limit=limit)
    if as_json:
        print(json.dumps(letters, indent=2))
        return
    print_dead_letters(letters)
