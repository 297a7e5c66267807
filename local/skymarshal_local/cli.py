"""`skymarshal`: the operator CLI, one tool for the embedded stack and for a deployed stack.

Targets: `run` and `serve` start the embedded stack in this process; every other command talks to
`--endpoint-url URL` (default: a running `skymarshal serve`, http://127.0.0.1:8642) or, with `--stack-name`,
to a deployed stack on AWS (reads its Outputs; credentials and region from the usual AWS settings).
"""

from __future__ import annotations

import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS
from skymarshal_local.target import DEFAULT_ENDPOINT, Target, TargetError, read_event

app = typer.Typer(
    name="skymarshal",
    help="SkyMarshal: one disruption in, one approved recovery decision out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
schema_app = typer.Typer(help="Print the JSON Schema of an input document.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
console = Console()
err = Console(stderr=True)

EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint-url", envvar="SKYMARSHAL_ENDPOINT_URL",
    help=f"An embedded stack served by `skymarshal serve` (default {DEFAULT_ENDPOINT} unless --stack-name).")]
StackOpt = Annotated[str | None, typer.Option(
    "--stack-name", envvar="SKYMARSHAL_STACK_NAME", help="A deployed stack on AWS (reads its Outputs).")]
RegionOpt = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION", help="AWS region (with --stack-name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def target_for(endpoint_url: str | None, stack_name: str | None, region: str | None) -> Target:
    try:
        if stack_name and not endpoint_url:
            return Target(stack_name=stack_name, region=region).activate()
        kwargs: dict[str, Any] = {"endpoint_url": endpoint_url or DEFAULT_ENDPOINT}
        if stack_name:
            kwargs["stack_name"] = stack_name
        return Target(**kwargs).activate()
    except TargetError as exc:
        fail(str(exc))
        raise  # unreachable


# ------------------------------------------------------------------------------------------------
# run / serve: the embedded stack in this process
# ------------------------------------------------------------------------------------------------
def _start_embedded(port: int, ops_data: Path | None, event_file: Path | None, approval_timeout: int,
                    approval_policy: str | None = None, hub_day: float | None = None) -> tuple[Any, Target, str]:
    """Start the embedded stack and load the operational data: a file, the generated hub-airline day (at a
    scale), or the hand-made scenario matching the event (events/NAME.json -> data/scenarios/NAME.json)."""
    from skymarshal_local.emulator.stack import EmbeddedStack
    from skymarshal_local.operations.seed import OpsDataError, read_dataset, replace_ops_data, scenario_for

    params = {"ApprovalTimeoutSeconds": str(approval_timeout)}
    if approval_policy:
        params["ApprovalPolicy"] = approval_policy
    with console.status("Starting the embedded stack (moto on 127.0.0.1)…"):
        stack = EmbeddedStack(port=port, parameters=params).start()
    data_path = ops_data or (scenario_for(event_file) if event_file and hub_day is None else None)
    source = "none"
    if data_path is None:
        from skymarshal_local.datagen import generate_day
        from skymarshal_local.operations.seed import load_dataset_embedded

        scale = hub_day or 0.1
        with console.status(f"Generating the hub-airline day (seed 7, scale {scale}) and loading it…"):
            day = generate_day(scale=scale)
            load_dataset_embedded(stack.outputs["OpsDataTableName"], day)
        source = (f"generated hub day, scale {scale}: {len(day.flights)} flights, {len(day.aircraft)} aircraft, "
                  f"{len(day.crew)} crew, {len(day.bookings)} bookings, {len(day.cargo)} shipments")
    else:
        try:
            dataset = read_dataset(data_path)
        except OpsDataError as exc:
            stack.stop()
            fail(str(exc))
        replace_ops_data(stack.outputs["OpsDataTableName"], dataset)
        source = str(data_path)
    target = Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()
    return stack, target, source


@app.command()
def run(
    event_file: Annotated[Path, typer.Argument(help="A disruption event (JSON), e.g. events/ey123-....json")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve without asking.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject without asking (needs --comment).")] = False,
    auto: Annotated[bool, typer.Option("--auto", help="No approval wait: ApprovalPolicy=low_confidence.")] = False,
    approver: Annotated[str, typer.Option("--approver", help="Who decides.")] = "",
    comment: Annotated[str, typer.Option("--comment", help="Approval or rejection comment.")] = "",
    ops_data: Annotated[Path | None, typer.Option("--ops-data", help="Operational data (import document JSON).")]
    = None,
    approval_timeout: Annotated[int, typer.Option(help="Seconds the workflow waits for approval.")] = 900,
    hub_day: Annotated[float | None, typer.Option(
        "--hub-day", help="Use the generated hub-airline day at this scale (1.0 = ~1,000 flights; slow on moto) "
        "instead of the event's hand-made scenario.")] = None,
    inject_failure: Annotated[str | None, typer.Option(
        "--inject-failure", help="Demo of recovery: this agent fails (phase 1) until the run has FAILED, then "
        "the run is redriven and the counts show that no finished work was recomputed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one disruption end to end on the embedded stack, with live progress and the approval."""
    if sum([approve, reject, auto]) > 1:
        fail("choose one of --approve, --reject, --auto")
    if reject and not comment:
        fail("--reject needs --comment (why the decision is rejected)")
    try:
        event = read_event(event_file)
    except TargetError as exc:
        fail(str(exc), code=2)
    stack, target, source = _start_embedded(0, ops_data, event_file, approval_timeout,
                                            "low_confidence" if auto else None, hub_day)
    try:
        if not as_json:
            console.print(f"[dim]stack {stack.endpoint_url} · ops data: {source}[/]")
        arn = target.start(event)
        if inject_failure:
            desc = _fail_then_redrive(target, arn, event.event_id, inject_failure, as_json)
        else:
            desc = _follow(target, arn, event.event_id, quiet=as_json)
        if desc["status"] == "AWAITING_APPROVAL":
            if not as_json:
                _print_pending(target, event.event_id)
            choice = "approve" if approve else "reject" if reject else None
            who, why = approver, comment
            if choice is None:
                if not sys.stdin.isatty() and not os.environ.get("SKYMARSHAL_FORCE_PROMPT"):
                    fail("no terminal to ask for approval: pass --approve, --reject or --auto")
                choice = Prompt.ask("Approve this decision?", choices=["approve", "reject"], default="approve")
                who = who or Prompt.ask("Approver id", default=os.environ.get("USER", "duty-manager"))
                why = why or Prompt.ask("Comment", default="" if choice == "approve" else None) or ""
                while choice == "reject" and not why.strip():
                    why = Prompt.ask("A rejection needs a comment")
            target.decide(event.event_id, choice == "approve", who or "duty-manager", why)
            desc = target.wait(arn, TERMINAL, timeout=60)
        _print_result(target, desc, as_json)
    except TargetError as exc:
        fail(str(exc))
    finally:
        stack.stop()


def _fail_then_redrive(target: Target, arn: str, thread_id: str, agent: str, quiet: bool) -> dict[str, Any]:
    """The recovery story on the embedded stack: an injected agent failure, the run FAILED, `redrive`, and the
    evidence (agent invocations vs computations) that finished work was not redone."""
    from skymarshal_local.emulator.runtime import RUNTIME
    from skymarshal_local.operations import redrive as redriver

    if agent not in ALL_AGENTS:
        fail(f"--inject-failure: unknown agent {agent!r} (one of {', '.join(ALL_AGENTS)})", code=2)

    def outage(function: str, payload: dict[str, Any]) -> Exception | None:
        if function == "AgentFunction" and payload.get("agent") == agent and payload.get("phase") == 1:
            return RuntimeError(f"injected outage of {agent}'s data source")
        return None

    RUNTIME.reset_counters()
    RUNTIME.faults.append(outage)
    try:
        desc = _follow(target, arn, thread_id, quiet)
    finally:
        RUNTIME.faults.remove(outage)
    if desc["status"] != "FAILED":
        return desc  # a business agent degrades instead of failing the run
    failed = next(e for e in reversed(target.history(arn)) if e["type"] == "ExecutionFailed")
    details = failed["executionFailedEventDetails"]
    before = _computations(target, thread_id)
    if not quiet:
        console.print(f"[red]FAILED[/] {details.get('error')}: {details.get('cause', '')[:160]}")
        console.print(f"thread status: {target.store.get_thread(thread_id)['status']} · the outage is over: "
                      f"[bold]skymarshal redrive {thread_id}[/]")
    RUNTIME.reset_counters()
    redriver.redrive(target, arn)
    desc = _follow(target, arn, thread_id, quiet)
    after = _computations(target, thread_id)
    invoked = {(a, p): n for (fn, a, p), n in RUNTIME.invocations.items() if fn == "AgentFunction"}
    if not quiet:
        table = Table(title="After the redrive: who worked again")
        for col in ("agent", "phase 1 done before the failure", "phase 1 computed in the redrive",
                    "phase 2 computed", "invoked in the redrive (p1/p2)"):
            table.add_column(col)
        for a in ALL_AGENTS:
            table.add_row(a, str(before.get((a, 1), 0)), str(after.get((a, 1), 0) - before.get((a, 1), 0)),
                          str(after.get((a, 2), 0) - before.get((a, 2), 0)),
                          f"{invoked.get((a, 1), 0)}/{invoked.get((a, 2), 0)}")
        console.print(table)
        twice = [f"{a} phase {p}" for (a, p), n in after.items() if n > 1]
        console.print(("[green]no agent computed twice[/]" if not twice else f"[red]computed twice: {twice}[/]")
                      + "[dim] · invoked counts Lambda invocations (locally the whole failed Map runs again and"
                      " finished agents answer from their idempotency record; AWS re-runs only failed"
                      " iterations).[/]")
    return desc


def _computations(target: Target, thread_id: str) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for cp in target.store.history(thread_id):
        if cp["step"] == "agent_complete":
            key = (cp["agent"], int(cp["phase"]))
            counts[key] = counts.get(key, 0) + 1
    return counts


def _follow(target: Target, arn: str, thread_id: str, quiet: bool) -> dict[str, Any]:
    """Live progress from the thread's checkpoints until the decision waits for approval or ends."""
    until = TERMINAL | {"AWAITING_APPROVAL"}
    if quiet:
        return target.wait(arn, until, timeout=120)
    deadline = time.monotonic() + 120
    with Live(_progress_table(target, thread_id), console=console, refresh_per_second=8,
              redirect_stdout=False, redirect_stderr=False) as live:
        while True:
            live.update(_progress_table(target, thread_id))
            try:
                return target.wait(arn, until, timeout=0.3)
            except TargetError:
                if time.monotonic() > deadline:
                    raise


def _progress_table(target: Target, thread_id: str) -> Table:
    cells: dict[tuple[str, int], str] = {}
    steps: list[str] = []
    for cp in target.store.history(thread_id):
        agent, phase, step = cp.get("agent"), cp.get("phase"), cp["step"]
        if agent and phase:
            mark = {
                "agent_start": "[yellow]…[/]",
                "agent_complete": f"[green]✓[/] {cp.get('meta', {}).get('preferred_option') or ''}"
                + (f" {cp['meta']['revision']}" if cp.get("meta", {}).get("revision") else ""),
                "agent_error": "[red]error[/]",
                "agent_timeout": "[red]timeout[/]",
                "agent_unavailable": "[magenta]unavailable[/]",
            }.get(step, step)
            cells[(agent, phase)] = mark
        elif step not in steps:
            steps.append(step)
    table = Table(title=f"Thread {thread_id}", caption=" → ".join(steps) or "starting…", expand=False)
    table.add_column("agent")
    table.add_column("kind")
    table.add_column("phase 1: assess")
    table.add_column("phase 2: revise")
    for agent in ALL_AGENTS:
        table.add_row(agent, "safety" if agent in SAFETY_AGENTS else "business",
                      cells.get((agent, 1), "[dim]·[/]"), cells.get((agent, 2), "[dim]·[/]"))
    return table


def _print_pending(target: Target, thread_id: str) -> None:
    approval = target.store.get_approval(thread_id) or {}
    s = approval.get("summary", {})
    console.print(Panel.fit(
        f"[bold]{s.get('recommended_kind') or 'ESCALATED'}[/] {s.get('recommended_option') or ''}: "
        f"{s.get('description', '')}\ncost €{s.get('cost_eur') or 0:,.0f} · confidence {s.get('confidence', 0):.2f}"
        f" · binding constraints found {s.get('binding_constraints', 0)}"
        f"\napproval needed: {', '.join(s.get('approval', {}).get('reasons', [])) or 'policy'}"
        f"\nexpires {approval.get('approval_expires_at', '?')}",
        title="Awaiting duty-manager approval", border_style="yellow"))


def _print_result(target: Target, desc: dict[str, Any], as_json: bool) -> None:
    if desc["status"] != "SUCCEEDED":
        history = target.history(desc["executionArn"])
        failed = next((e for e in reversed(history) if e["type"] == "ExecutionFailed"), {})
        details = failed.get("executionFailedEventDetails", {})
        if as_json:
            console.print_json(json.dumps({"thread_id": desc["name"], "execution_arn": desc["executionArn"],
                                           "status": desc["status"], "error": details.get("error"),
                                           "cause": details.get("cause")}))
        else:
            err.print(f"[red]{desc['status']}[/] {details.get('error', '')}: {details.get('cause', '')}")
        raise typer.Exit(1)
    result = json.loads(desc["output"])
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print_decision(result)


def print_decision(result: dict[str, Any]) -> None:
    d = result["decision"]
    rec = d.get("recommended")
    console.print(Panel.fit(
        (f"[bold]{rec['kind']}[/] ({rec['option_id']}): {rec['description']}\n"
         f"cost €{rec.get('cost_eur') or 0:,.0f} · score {rec['score']:.3f}" if rec
         else "[bold red]No feasible option[/]: escalated")
        + f"\nconfidence {d['confidence']:.2f}"
        + (f" · [red]escalated[/]: {'; '.join(d['escalation_reasons'])}" if d.get("escalated") else ""),
        title=f"Decision for {d['flight_number']} {d['flight_date']} — outcome: {result['outcome']}",
        border_style="green" if result["outcome"] in ("approved", "auto_approved") else "red"))
    if rec and rec.get("plan"):
        plan = Table(title="Recovery plan")
        for col in ("#", "action", "owner", "detail"):
            plan.add_column(col)
        for step in rec["plan"]:
            plan.add_row(str(step["order"]), step["action"], step["owner"], step["detail"])
        console.print(plan)
    if d.get("binding_constraints"):
        bc = Table(title="Binding constraints (options ruled out)")
        for col in ("agent", "option", "rule", "limit", "actual", "margin"):
            bc.add_column(col)
        bc.add_column("×")
        grouped: dict[tuple[Any, ...], int] = {}
        for c in d["binding_constraints"]:  # one per crew member / shipment: group the identical numbers
            key = (c["agent"], c["option_id"], c["rule"], c.get("limit"), c.get("actual"), c.get("margin"),
                   c.get("unit"))
            grouped[key] = grouped.get(key, 0) + 1
        for (agent, option, rule, limit, actual, margin, unit), count in list(grouped.items())[:15]:
            bc.add_row(agent, option, rule, _num(limit, unit), _num(actual, unit), _num(margin, unit), str(count))
        console.print(bc)
    if d.get("alternatives"):
        console.print("Alternatives: " + "; ".join(
            f"#{a['rank']} {a['kind']} {a['option_id']} (score {a['score']:.3f}, €{a.get('cost_eur') or 0:,.0f})"
            for a in d["alternatives"]))
    if d.get("citations"):
        console.print("Citations: " + "; ".join(f"{c['rule']} — {c['source']}" for c in d["citations"][:6]))
    a = result.get("approval") or {}
    if a.get("approver_id"):
        console.print(f"Approval: {a['decision']} by {a['approver_id']} at {a.get('decided_at')}"
                      + (f" — “{a['comments']}”" if a.get("comments") else ""))


def _num(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    return f"{value:g} {unit or ''}".strip()


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = int(DEFAULT_ENDPOINT.rsplit(":", 1)[1]),
    ops_data: Annotated[Path | None, typer.Option("--ops-data", help="Operational data to load.")] = None,
    scenarios: Annotated[bool, typer.Option(help="Load the four hand-made scenarios (events/ match them).")]
    = True,
    approval_timeout: Annotated[int, typer.Option(help="Seconds the workflow waits for approval.")] = 3600,
    log_file: Annotated[Path | None, typer.Option(help="Append the Lambda handlers' logs here.")] = None,
    console_port: Annotated[int, typer.Option(help="Port of the web console and approval API (0 = off).")] = 8643,
    approver: Annotated[str, typer.Option(
        help="The identity the local console signs in as (it stands in for the API's authorizer).")]
    = "local-duty-manager",
) -> None:
    """Serve the embedded stack on 127.0.0.1 so the plain AWS CLI and boto3 work against it, with the duty
    manager's web console."""
    from skymarshal_local.emulator.console_server import ConsoleServer
    from skymarshal_local.emulator.runtime import RUNTIME
    from skymarshal_local.operations.seed import SCENARIOS, load_dataset_into, read_dataset

    if ops_data:
        stack, _, source = _start_embedded(port, ops_data, None, approval_timeout)
    else:
        from skymarshal_local.emulator.stack import EmbeddedStack

        with console.status("Starting the embedded stack…"):
            stack = EmbeddedStack(port=port, parameters={"ApprovalTimeoutSeconds": str(approval_timeout)}).start()
        source = "empty (load data with `skymarshal seed`)"
        if scenarios:
            for path in sorted(SCENARIOS.glob("*.json")):
                if not path.name.endswith(".event.json"):
                    load_dataset_into(stack.outputs["OpsDataTableName"], read_dataset(path))
            source = f"the hand-made scenarios in {SCENARIOS}"
    RUNTIME.log_file = log_file
    web = ConsoleServer(stack.endpoint_url, stack.stack_name, console_port, approver).start() if console_port \
        else None
    url = stack.endpoint_url
    sm = stack.outputs["StateMachineArn"]
    console.print(Panel(
        f"endpoint   {url}\nstate machine {sm}\nops data   {source}\n"
        + (f"console    {web.console_url}  (signed in as {approver})\n" if web else "") + "\n"
        "[bold]Plain AWS CLI[/] (any credentials, e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local):\n"
        f"  aws --endpoint-url {url} --region us-east-1 stepfunctions start-execution \\\n"
        f"      --state-machine-arn {sm} --name ey123-technical-delay \\\n"
        "      --input file://events/ey123-technical-delay.json     # name = the event's event_id = thread id\n"
        f"  skymarshal token ey123-technical-delay --endpoint-url {url}\n"
        f"  aws --endpoint-url {url} --region us-east-1 stepfunctions send-task-success --task-token TOKEN \\\n"
        "      --task-output '{\"approved\": true, \"approver_id\": \"dm-42\", \"comments\": \"ok\"}'\n\n"
        "Ctrl-C stops it (state is in memory only).",
        title="SkyMarshal embedded stack", border_style="cyan"))
    for key, value in stack.outputs.items():
        console.print(f"  [dim]{key}[/] {value}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        if web:
            web.stop()
        stack.stop()


# ------------------------------------------------------------------------------------------------
# One-shot commands against a target
# ------------------------------------------------------------------------------------------------
@app.command()
def start(
    event_file: Annotated[Path, typer.Argument(help="A disruption event (JSON).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Start the workflow for one event (execution name = event id, so a re-sent event starts nothing new)."""
    try:
        event = read_event(event_file)
    except TargetError as exc:
        fail(str(exc), code=2)
    target = target_for(endpoint_url, stack_name, region)
    try:
        arn = target.start(event)
    except TargetError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps({"thread_id": event.thread_id, "execution_arn": arn}))
    else:
        console.print(f"started thread [bold]{event.thread_id}[/]\n{arn}")


def _decide(thread_id: str, approved: bool, approver: str, comment: str, endpoint_url: str | None,
            stack_name: str | None, region: str | None, wait: bool, as_json: bool) -> None:
    target = target_for(endpoint_url, stack_name, region)
    try:
        response = target.decide(thread_id, approved, approver, comment)
        result: dict[str, Any] = {"thread_id": thread_id, "approval": response}
        if wait:
            desc = target.wait(target.execution_arn(thread_id), TERMINAL, timeout=60)
            result = json.loads(desc.get("output") or "{}") or result
    except TargetError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result, indent=2))
    elif wait and "decision" in result:
        print_decision(result)
    else:
        console.print(f"{'approved' if approved else 'rejected'} thread {thread_id} as {approver}")


@app.command()
def approve(
    thread_id: Annotated[str, typer.Argument(help="Thread id (= event id).")],
    approver: Annotated[str, typer.Option("--approver", help="Your approver id.")],
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
        assert thread is not None
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
            table = Table(title=f"Thread {thread_id}", show_header=False)
            for key, value in doc.items():
                table.add_row(key, json.dumps(value, default=str) if isinstance(value, dict) else str(value))
            console.print(table)
        return
    statuses = [s for s, on in (("awaiting_approval", awaiting_approval), ("failed", failed)) if on] or \
        ["awaiting_approval", "failed", "active"]
    from skymarshal_local.operations.audit import list_threads

    rows = [t for s in statuses for t in list_threads(target, s)]
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title="Threads")
    for col in ("thread", "status", "flight", "updated", "detail"):
        table.add_column(col)
    for t in rows:
        table.add_row(t["thread_id"], t["status"], f"{t.get('flight_number', '')} {t.get('flight_date', '')}",
                      t.get("updated_at", ""), t.get("failure") or t.get("approval_expires_at") or "")
    console.print(table if rows else "no threads")


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
    assert thread is not None
    desc = target.client("stepfunctions").describe_execution(executionArn=thread["execution_arn"])
    if desc["status"] == "SUCCEEDED":
        result = json.loads(desc["output"])
    else:
        decision_cp = store.latest(thread_id, "arbitration")
        decision = store.load(_ref(thread_id, decision_cp)) if decision_cp else None
        result = {"thread_id": thread_id, "execution_arn": thread["execution_arn"],
                  "outcome": None, "status": desc["status"], "decision": decision, "approval": None}
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return
    if result.get("decision"):
        print_decision({**result, "outcome": result.get("outcome") or thread["status"]})
    table = Table(title="Checkpoints")
    for col in ("checkpoint", "step", "phase", "agent", "status", "confidence", "ms", "bytes"):
        table.add_column(col)
    for cp in store.history(thread_id):
        table.add_row(cp["checkpoint_id"], cp["step"], str(cp.get("phase", "")), cp.get("agent", ""),
                      cp.get("outcome", ""), str(cp.get("confidence", "")), str(cp.get("duration_ms", "")),
                      f"{cp['size_bytes']}{' (S3)' if 'payload_s3' in cp else ''}")
    console.print(table)


def _ref(thread_id: str, cp: dict[str, Any]) -> Any:
    from skymarshal.models import Ref

    return Ref(thread_id=thread_id, checkpoint_id=cp["checkpoint_id"])


@app.command()
def submit(
    event_files: Annotated[list[Path], typer.Argument(help="Event files: one event, a JSON list, or an SQS envelope.")],
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Send invalid events too (they go to the DLQ).")]
    = False,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Send disruption events to the intake queue; the intake Lambda starts one workflow per event id."""
    from skymarshal_local.operations import submit as submitter

    target = target_for(endpoint_url, stack_name, region)
    try:
        results = submitter.submit(target, event_files, validate=not no_validate)
    except TargetError as exc:
        fail(str(exc))
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
        "--replay", help="A JSON file {receipt_handle: fixed body} (from `dlq --json`) to send back to intake.")]
    = None,
    limit: Annotated[int, typer.Option(help="How many dead letters to read.")] = 100,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """What the intake refused and why (the dead-letter queue); `--replay` sends fixed messages back."""
    from skymarshal_local.operations import submit as submitter

    target = target_for(endpoint_url, stack_name, region)
    try:
        if replay_fixed:
            results = submitter.replay(target, json.loads(replay_fixed.read_text()))
        else:
            results = submitter.dead_letters(target, limit=limit)
    except TargetError as exc:
        fail(str(exc))
    if as_json or replay_fixed:
        print(json.dumps(results, indent=2))
        return
    table = Table(title="Dead letters")
    for col in ("message", "code", "field", "reason"):
        table.add_column(col)
    for r in results:
        table.add_row(r["message_id"], r["code"], r["field"], r["reason"])
    console.print(table if results else "the dead-letter queue is empty")


@app.command()
def redrive(
    execution: Annotated[str, typer.Argument(help="Execution ARN or thread id of a FAILED/TIMED_OUT/ABORTED run.")],
    wait: Annotated[bool, typer.Option(help="Wait until it awaits approval or ends.")] = True,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Redrive a failed execution from where it stopped (RedriveExecution: STANDARD only, within 14 days).
    Finished agents return their checkpointed result; only failed work is recomputed."""
    from skymarshal_local.operations import redrive as redriver

    target = target_for(endpoint_url, stack_name, region)
    try:
        result = redriver.redrive(target, execution)
        if wait:
            desc = target.wait(result["execution_arn"], TERMINAL | {"AWAITING_APPROVAL"}, timeout=120)
            result["status"] = desc["status"]
    except TargetError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        console.print(f"redriven {result['execution_arn']} (redrive #{result.get('redrive_count')}): "
                      f"{result.get('status', 'RUNNING')}")


@app.command()
def replay(
    thread_id: Annotated[str, typer.Argument(help="The thread to replay.")],
    from_checkpoint: Annotated[str, typer.Option("--from", help="Checkpoint id to resume after (`skymarshal show`).")],
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None, as_json: JsonOpt = False,
) -> None:
    """Start a new execution, linked to the thread, that resumes after a checkpoint with the stored state
    (e.g. re-arbitrate from the phase-2 views after a policy change)."""
    from skymarshal_local.operations import replay as replayer

    target = target_for(endpoint_url, stack_name, region)
    try:
        result = replayer.replay(target, thread_id, from_checkpoint)
    except TargetError as exc:
        fail(str(exc))
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
    from skymarshal_local.operations import audit as auditor

    target = target_for(endpoint_url, stack_name, region)
    try:
        text = auditor.export(target, thread_id, fmt.value)  # type: ignore[arg-type]
    except TargetError as exc:
        fail(str(exc))
    if output:
        output.write_text(text)
        console.print(f"wrote {output} ({len(text):,} bytes)")
    else:
        print(text)


@app.command()
def seed(
    data: Annotated[Path | None, typer.Option("--data", help="Import document (JSON); default: a generated day.")]
    = None,
    scale: Annotated[float, typer.Option(help="Size of the generated day (1.0 = ~1,000 flights).")] = 1.0,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None,
) -> None:
    """Load operational data into the ops-data table (validated first; errors name the field)."""
    from skymarshal_local.operations.seed import OpsDataError, load_dataset_into, read_dataset

    try:
        if data:
            dataset = read_dataset(data)
        else:
            from skymarshal_local.datagen import generate_day

            dataset = generate_day(scale=scale)
    except OpsDataError as exc:
        fail(str(exc), code=2)
    target = target_for(endpoint_url, stack_name, region)
    t0 = time.perf_counter()
    counts = load_dataset_into(target.outputs["OpsDataTableName"], dataset)
    console.print(f"loaded {sum(counts.values())} items in {time.perf_counter() - t0:.1f}s: {counts}")


@schema_app.command("ops-data")
def schema_ops_data() -> None:
    """The JSON Schema of the operational-data import document."""
    from skymarshal.domain.operation import OpsDataset

    print(json.dumps(OpsDataset.model_json_schema(), indent=2))


@schema_app.command("event")
def schema_event() -> None:
    """The JSON Schema of a disruption event."""
    from skymarshal.models import DisruptionEvent

    print(json.dumps(DisruptionEvent.model_json_schema(), indent=2))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
