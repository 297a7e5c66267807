"""`run` and `serve`: the embedded stack in this process, for one disruption end to end or as an endpoint."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer
from rich.live import Live
from rich.markup import escape
from rich.prompt import Prompt

from skymarshal.models import ALL_AGENTS
from skymarshal_local.cli.common import TERMINAL, EndpointOpt, JsonOpt, fail
from skymarshal_local.cli.render import (
    console,
    err,
    print_pending,
    print_redrive_evidence,
    print_result,
    print_serve_banner,
    progress_table,
)
from skymarshal_local.datagen.background import DayInBackground
from skymarshal_local.emulator.console_server import ConsoleServer
from skymarshal_local.emulator.stack import EmbeddedStack
from skymarshal_local.emulator.statedir import StateDirBusy
from skymarshal_local.localenv import DEFAULT_ENDPOINT, DEFAULT_PORT, DEFAULT_STATE_DIR, SCENARIOS
from skymarshal_local.operations.redrive import redrive
from skymarshal_local.operations.seed import (
    OpsDataError,
    load_dataset_embedded,
    read_dataset,
    replace_items_embedded,
    replace_ops_data_embedded,
    scenario_for,
)
from skymarshal_local.target import Target, TargetError, read_event

app = typer.Typer()


StateDirOpt = Annotated[Path, typer.Option(
    "--state-dir", envvar="SKYMARSHAL_STATE_DIR",
    help="Where the embedded stack keeps its state between processes (threads, checkpoints, approvals, ops data, "
    "queues, executions).")]


def _start_embedded(port: int, ops_data: Path | None, event_file: Path | None, approval_timeout: int,
                    approval_policy: str | None = None, hub_day: float | None = None,
                    state_dir: Path | None = None, keep_data: bool = False) -> tuple[EmbeddedStack, Target, str]:
    """Start the embedded stack (restoring `state_dir`), load the operational data with the embedded loader (a
    file, the generated hub-airline day at a scale, or the hand-made scenario matching the event:
    events/NAME.json -> data/scenarios/NAME.json; `keep_data` with none of them: what the state holds), then
    open it to workflows. Until the data is loaded StartExecution is refused ("still loading")."""
    params = {"ApprovalTimeoutSeconds": str(approval_timeout)}
    if approval_policy:
        params["ApprovalPolicy"] = approval_policy
    dataset = None
    data_path = ops_data or (scenario_for(event_file) if event_file and hub_day is None else None)
    if data_path is not None:
        try:
            dataset = read_dataset(data_path)  # refused before anything starts
        except OpsDataError as exc:
            fail(str(exc), code=2)
    generating = None
    if dataset is None and (hub_day is not None or not keep_data):
        # generated in a process of its own while the stack starts: both are seconds of CPU (datagen.background)
        generating = DayInBackground(hub_day or 0.1)
    stack = EmbeddedStack(port=port, parameters=params, state_dir=state_dir)
    try:
        with console.status("Starting the embedded stack (moto on 127.0.0.1)…"):
            stack.start(ready=False)
        table = stack.outputs["OpsDataTableName"]
        if dataset is not None:
            with console.status(f"Loading {data_path}…"):
                replace_ops_data_embedded(table, dataset)
            source = str(data_path)
        elif generating is not None:
            with console.status(f"Generating the hub-airline day (seed 7, scale {generating.scale}) and loading it…"):
                day = generating.result()
                replace_items_embedded(table, day.items)
            source = day.describe()
        else:
            source = "as saved in the state directory"
        stack.ready()
    except BaseException:
        if generating is not None:
            generating.cancel()
        stack.stop()  # nothing is saved before ready(): a half-loaded day never reaches the state directory
        raise
    target = Target(endpoint_url=stack.endpoint_url, outputs=dict(stack.outputs)).activate()
    return stack, target, source


def _serve_answers(endpoint_url: str) -> Target | None:
    """The stack a running `skymarshal serve` offers at endpoint_url, or None if nothing answers there."""
    parsed = urlparse(endpoint_url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=2):
            pass
    except OSError:
        return None
    try:
        return Target(endpoint_url=endpoint_url).activate()
    except TargetError:
        return None


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
    approval_timeout: Annotated[int | None, typer.Option(
        min=1, help="Seconds the workflow waits for approval (embedded stack; default 900).")] = None,
    hub_day: Annotated[float | None, typer.Option(
        "--hub-day", min=0.01, help="Use the generated hub-airline day at this scale (1.0 = ~1,000 flights, "
        "generated while the stack starts and loaded in ~13 s on 2 cores) instead of the event's hand-made "
        "scenario.")] = None,
    inject_failure: Annotated[str | None, typer.Option(
        "--inject-failure", metavar="AGENT[:PHASE]",
        help="Demo of recovery: this agent fails in phase 1 (or PHASE) until the run has FAILED, then the run "
        "is redriven and the counts show that only that agent was computed again.")] = None,
    embedded: Annotated[bool, typer.Option(
        "--embedded", help="Start the embedded stack in this process even if `skymarshal serve` answers.")] = False,
    endpoint_url: EndpointOpt = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    as_json: JsonOpt = False,
) -> None:
    """Run one disruption end to end, with live progress and the approval: on the running `skymarshal serve`
    when one answers, else on the embedded stack in this process (keeping its state in --state-dir, so `audit`,
    `show` and `replay` find the thread afterwards)."""
    if sum([approve, reject, auto]) > 1:
        fail("choose one of --approve, --reject, --auto")
    if reject and not comment:
        fail("--reject needs --comment (why the decision is rejected)")
    injection = _parse_injection(inject_failure) if inject_failure else None  # refused before anything starts
    event = read_event(event_file)
    endpoint = endpoint_url or DEFAULT_ENDPOINT
    served = None if embedded else _serve_answers(endpoint)
    stack = None
    if served is not None:
        embedded_only = [name for name, given in (("--ops-data", ops_data), ("--hub-day", hub_day is not None),
                         ("--auto", auto), ("--inject-failure", inject_failure),
                         ("--approval-timeout", approval_timeout is not None)) if given]
        if embedded_only:
            fail(f"{', '.join(embedded_only)} configure the embedded stack, but `skymarshal serve` answers at "
                 f"{endpoint}: stop it, or add --embedded --state-dir ANOTHER_DIR", code=2)
        target = served
        if not as_json:
            console.print(f"using the running stack at {endpoint} (`skymarshal serve`, with its ops data)")
    else:
        try:
            stack, target, source = _start_embedded(0, ops_data, event_file, approval_timeout or 900,
                                                    "low_confidence" if auto else None, hub_day, state_dir)
        except StateDirBusy as exc:
            fail(f"{exc}; `skymarshal serve` did not answer at {endpoint}: wait for the other command, or pass "
                 "--state-dir ANOTHER_DIR")
        if not as_json:
            console.print(f"embedded stack {stack.endpoint_url} (this process; state in {state_dir}) · "
                          f"ops data: {source}")
    try:
        arn = target.start(event)
        redrive_report: dict[str, Any] | None = None
        if injection:
            desc, redrive_report = _fail_then_redrive(target, arn, event.event_id, injection, as_json)
        else:
            desc = _follow(target, arn, event.event_id, quiet=as_json)
        if desc["status"] == "AWAITING_APPROVAL":
            if not as_json:
                print_pending(target, event.event_id)
            choice = "approve" if approve else "reject" if reject else None
            _decide(target, event.event_id, choice, approver, comment)
            desc = target.wait(arn, TERMINAL, timeout=600)
        print_result(target, desc, as_json, extra={"redrive": redrive_report} if redrive_report else None)
    finally:
        if stack is not None:
            stack.stop()


def _decide(target: Target, thread_id: str, choice: str | None, approver: str, comment: str) -> None:
    """Answer the pending approval: as chosen on the command line, or as the operator answers the prompt."""
    who, why = approver, comment
    if choice is None:
        if not sys.stdin.isatty() and not os.environ.get("SKYMARSHAL_FORCE_PROMPT"):
            fail("no terminal to ask for approval: pass --approve, --reject or --auto")
        choice = Prompt.ask("Approve this decision?", choices=["approve", "reject"], default="approve")
        who = who or Prompt.ask("Approver id", default=os.environ.get("USER", "duty-manager"))
        why = why or Prompt.ask("Comment", default="" if choice == "approve" else None) or ""
        while choice == "reject" and not why.strip():
            why = Prompt.ask("A rejection needs a comment")
    target.decide(thread_id, choice == "approve", who or "duty-manager", why)


def _parse_injection(spec: str) -> tuple[str, int]:
    agent, _, phase = spec.partition(":")
    if agent not in ALL_AGENTS or phase not in ("", "1", "2"):
        fail(f"--inject-failure: {spec!r} is not AGENT[:PHASE] (agents: {', '.join(ALL_AGENTS)}; phase 1 or 2)",
             code=2)
    return agent, int(phase or 1)


def _fail_then_redrive(target: Target, arn: str, thread_id: str, injection: tuple[str, int], quiet: bool
                       ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The recovery story on the embedded stack: an injected agent failure, the run FAILED, `redrive`, and the
    evidence (agent invocations vs computations) that finished work was not redone."""
    # the runtime exists once the stack has started (importing it routes sys.stdout, see runtime.py)
    from skymarshal_local.emulator.runtime import RUNTIME

    agent, phase = injection

    def outage(function: str, payload: dict[str, Any]) -> Exception | None:
        if function == "AgentFunction" and payload.get("agent") == agent and payload.get("phase") == phase:
            return RuntimeError(f"injected outage of {agent}'s data source")
        return None

    RUNTIME.reset_counters()
    RUNTIME.faults.append(outage)
    try:
        desc = _follow(target, arn, thread_id, quiet)
    finally:
        RUNTIME.faults.remove(outage)
    if desc["status"] != "FAILED":
        return desc, None  # a business agent degrades instead of failing the run
    failed = next(e for e in reversed(target.history(arn)) if e["type"] == "ExecutionFailed")
    details = failed["executionFailedEventDetails"]
    before = _computations(target, thread_id)
    if not quiet:
        console.print(f"[red]FAILED[/] {escape(str(details.get('error')))}: "
                      f"{escape(str(details.get('cause', ''))[:160])}")
        console.print(f"the outage is over: [bold]skymarshal redrive {escape(thread_id)}[/]")
    RUNTIME.reset_counters()
    redrive(target, arn)
    desc = _follow(target, arn, thread_id, quiet)
    after = _computations(target, thread_id)
    invoked = {(a, p): n for (fn, a, p), n in RUNTIME.invocations.items() if fn == "AgentFunction" and n}
    if not quiet:
        print_redrive_evidence(before, after, invoked)
    again = sorted(f"{a}:{p}" for (a, p), n in after.items() if n > before.get((a, p), 0) and (a, p) in before)
    return desc, {
        "failed": {"agent": agent, "phase": phase, "error": details.get("error")},
        "computed_in_redrive": sorted(f"{a}:{p}" for (a, p), n in after.items() if n > before.get((a, p), 0)),
        "computed_twice": again,
        "invoked_in_redrive": {f"{a}:{p}": n for (a, p), n in sorted(invoked.items())},
    }


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
    with Live(progress_table(target, thread_id), console=console, refresh_per_second=8,
              redirect_stdout=False, redirect_stderr=False) as live:
        while True:
            live.update(progress_table(target, thread_id))
            try:
                return target.wait(arn, until, timeout=0.3)
            except TargetError:
                if time.monotonic() > deadline:
                    raise


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = DEFAULT_PORT,
    ops_data: Annotated[Path | None, typer.Option("--ops-data", help="Operational data to load (replaces what the "
                                                  "state directory holds).")] = None,
    scenarios: Annotated[bool, typer.Option(
        help="Load the four hand-made scenarios (events/ match them) when the state directory is new.")] = True,
    approval_timeout: Annotated[int, typer.Option(min=1, help="Seconds the workflow waits for approval.")] = 3600,
    log_file: Annotated[Path | None, typer.Option(help="Append the Lambda handlers' logs here.")] = None,
    console_port: Annotated[int, typer.Option(help="Port of the web console and approval API (0 = off).")] = 8643,
    approver: Annotated[str, typer.Option(
        help="The identity the local console signs in as (it stands in for the API's authorizer).")]
    = "local-duty-manager",
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    fresh: Annotated[bool, typer.Option("--fresh", help="Forget the saved state and start empty.")] = False,
    in_memory: Annotated[bool, typer.Option("--in-memory", help="Keep no state on disk.")] = False,
) -> None:
    """Serve the embedded stack on 127.0.0.1 so the plain AWS CLI and boto3 work against it, with the duty
    manager's web console. Its state (threads, checkpoints, approvals, ops data, queues, executions) is saved in
    --state-dir and restored on the next start; "ready" is printed once the operational data is loaded."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops cleanly, saving the state, as Ctrl-C does
    stack: EmbeddedStack | None = None
    web = None
    code = 0
    try:
        directory = None if in_memory else state_dir
        if directory is not None and fresh:
            _forget_state(directory)
        new_state = directory is None or not (directory / "manifest.json").exists()
        if ops_data or not scenarios or not new_state:
            stack, _, source = _start_embedded(port, ops_data, None, approval_timeout, state_dir=directory,
                                               keep_data=True)
            if not ops_data and new_state:
                source = "empty (load data with `skymarshal seed`)"
        else:
            with console.status("Starting the embedded stack and loading the hand-made scenarios…"):
                stack = EmbeddedStack(port=port, parameters={"ApprovalTimeoutSeconds": str(approval_timeout)},
                                      state_dir=directory).start(ready=False)
                try:
                    for path in sorted(SCENARIOS.glob("*.json")):
                        if not path.name.endswith(".event.json"):
                            load_dataset_embedded(stack.outputs["OpsDataTableName"], read_dataset(path))
                    stack.ready()
                except BaseException:
                    stack.stop()
                    stack = None
                    raise
            source = f"the hand-made scenarios in {SCENARIOS}"
        # the runtime exists once the stack has started (importing it routes sys.stdout, see runtime.py)
        from skymarshal_local.emulator.runtime import RUNTIME

        RUNTIME.log_file = log_file
        web = ConsoleServer(stack.endpoint_url, stack.stack_name, console_port, approver).start() \
            if console_port else None
        state = f"{directory} (restored; saved as it changes)" if directory is not None else "in memory only"
        print_serve_banner(stack, source, web.console_url if web else None, approver, state)
        for thread_id, what in stack.continued.items():
            console.print(f"  interrupted by the last stop: {thread_id}: {what}")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping (saving the state)" if stack and stack.state else "stopping")
    except typer.Exit as exc:
        code = exc.exit_code or 0
    except StateDirBusy as exc:
        err.print(f"[bold red]error:[/] {exc}: is another `skymarshal serve` running? (or pass --state-dir)")
        code = 1
    except BaseException as exc:  # never a half-alive stack: one line, and the whole process ends
        err.print(f"[bold red]error:[/] serve stopped: {type(exc).__name__}: {exc}", soft_wrap=True)
        code = 1
    finally:
        try:
            if web:
                web.stop()
            if stack is not None:
                stack.stop()
        except BaseException as exc:
            err.print(f"[bold red]error:[/] stopping the stack: {type(exc).__name__}: {exc}", soft_wrap=True)
            code = code or 1
    _exit_now(code)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _forget_state(directory: Path) -> None:
    for path in [*directory.glob("*.pickle"), *directory.glob("dynamodb/*.pickle"), directory / "manifest.json"]:
        path.unlink(missing_ok=True)


def _exit_now(code: int) -> None:
    """End the process now: Lambda workers still running a handler (non-daemon executor threads) must not keep
    a stopped stack half-alive in interpreter shutdown. The state was saved by stack.stop()."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
