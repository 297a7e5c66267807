"""How the CLI shows things: Rich panels and tables for decisions, progress, threads and dead letters."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS
from skymarshal_local.emulator.stack import EmbeddedStack
from skymarshal_local.target import Target

console = Console()
err = Console(stderr=True)


def progress_table(target: Target, thread_id: str) -> Table:
    """One row per agent, one column per phase, from the thread's checkpoints; the caption lists the steps."""
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


def print_pending(target: Target, thread_id: str) -> None:
    approval = target.store.get_approval(thread_id) or {}
    s = approval.get("summary", {})
    console.print(Panel.fit(
        f"[bold]{s.get('recommended_kind') or 'ESCALATED'}[/] {s.get('recommended_option') or ''}: "
        f"{s.get('description', '')}\ncost €{s.get('cost_eur') or 0:,.0f} · confidence {s.get('confidence', 0):.2f}"
        f" · binding constraints found {s.get('binding_constraints', 0)}"
        f"\napproval needed: {', '.join(s.get('approval', {}).get('reasons', [])) or 'policy'}"
        f"\nexpires {approval.get('approval_expires_at', '?')}",
        title="Awaiting duty-manager approval", border_style="yellow"))


def print_result(target: Target, desc: dict[str, Any], as_json: bool) -> None:
    """The decision of a finished execution; a run that did not succeed prints its error and exits 1."""
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
        console.print(binding_constraints_table(d["binding_constraints"]))
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


def binding_constraints_table(constraints: list[dict[str, Any]]) -> Table:
    bc = Table(title="Binding constraints (options ruled out)")
    for col in ("agent", "option", "rule", "limit", "actual", "margin"):
        bc.add_column(col)
    bc.add_column("×")
    grouped: dict[tuple[Any, ...], int] = {}
    for c in constraints:  # one per crew member / shipment: group the identical numbers
        key = (c["agent"], c["option_id"], c["rule"], c.get("limit"), c.get("actual"), c.get("margin"),
               c.get("unit"))
        grouped[key] = grouped.get(key, 0) + 1
    for (agent, option, rule, limit, actual, margin, unit), count in list(grouped.items())[:15]:
        bc.add_row(agent, option, rule, _num(limit, unit), _num(actual, unit), _num(margin, unit), str(count))
    return bc


def _num(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    return f"{value:g} {unit or ''}".strip()


def print_redrive_evidence(before: dict[tuple[str, int], int], after: dict[tuple[str, int], int],
                           invoked: dict[tuple[str, int], int]) -> None:
    """After an injected failure and its redrive: which agents computed or were invoked again, per phase."""
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


def print_serve_banner(stack: EmbeddedStack, source: str, console_url: str | None, approver: str) -> None:
    """What `skymarshal serve` is serving, and how to drive it with the plain AWS CLI."""
    url = stack.endpoint_url
    sm = stack.outputs["StateMachineArn"]
    console.print(Panel(
        f"endpoint   {url}\nstate machine {sm}\nops data   {source}\n"
        + (f"console    {console_url}  (signed in as {approver})\n" if console_url else "") + "\n"
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


def print_thread(thread_id: str, doc: dict[str, Any]) -> None:
    table = Table(title=f"Thread {thread_id}", show_header=False)
    for key, value in doc.items():
        table.add_row(key, json.dumps(value, default=str) if isinstance(value, dict) else str(value))
    console.print(table)


def print_threads(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Threads")
    for col in ("thread", "status", "flight", "updated", "detail", "holds / contested"):
        table.add_column(col)
    for t in rows:
        table.add_row(t["thread_id"], t["status"], f"{t.get('flight_number', '')} {t.get('flight_date', '')}",
                      t.get("updated_at", ""), t.get("failure") or t.get("approval_expires_at") or "",
                      fleet_cell(t))
    console.print(table if rows else "no threads")


def fleet_cell(thread: dict[str, Any]) -> str:
    """What a pending decision holds, and who took what it needs (a contested decision: approving it re-plans)."""
    parts = [", ".join(thread.get("holds") or [])]
    if thread.get("contested"):
        parts.append("[red]CONTESTED: " + "; ".join(thread["contested"]) + "[/]")
    if thread.get("replan_of"):
        parts.append(f"re-plan of {thread['replan_of']}")
    return "\n".join(p for p in parts if p)


def print_checkpoints(history: list[dict[str, Any]]) -> None:
    table = Table(title="Checkpoints")
    for col in ("checkpoint", "step", "phase", "agent", "status", "confidence", "ms", "bytes"):
        table.add_column(col)
    for cp in history:
        table.add_row(cp["checkpoint_id"], cp["step"], str(cp.get("phase", "")), cp.get("agent", ""),
                      cp.get("outcome", ""), str(cp.get("confidence", "")), str(cp.get("duration_ms", "")),
                      f"{cp['size_bytes']}{' (S3)' if 'payload_s3' in cp else ''}")
    console.print(table)


def print_dead_letters(results: list[dict[str, Any]]) -> None:
    table = Table(title="Dead letters")
    for col in ("message", "code", "field", "reason"):
        table.add_column(col)
    for r in results:
        table.add_row(r["message_id"], r["code"], r["field"], r["reason"])
    console.print(table if results else "the dead-letter queue is empty")
