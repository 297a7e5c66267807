"""How the CLI shows things: Rich panels and tables for decisions, progress, threads and dead letters."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from skymarshal.domain.policy import Policy
from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS, Ref
from skymarshal.threadview import briefing_public
from skymarshal_local.emulator.stack import EmbeddedStack
from skymarshal_local.target import Target

PIPED_WIDTH = 200  # piped output (a file, grep, less): long lines and ARNs stay whole


def _console(stderr: bool = False) -> Console:
    """A terminal wraps to its width; piped output is not wrapped (no ARN or id cut in two)."""
    piped = not (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, soft_wrap=piped, width=PIPED_WIDTH if piped else None)


console = _console()
err = _console(stderr=True)


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
        f"{s.get('description', '')}\ncost €{s.get('cost_eur') or 0:,.0f} · "
        f"{confidence_words(float(s.get('confidence') or 0))}"
        f" · binding-constraint findings {s.get('binding_constraints', 0)} (listed under the decision)"
        f"\napproval needed: {', '.join(s.get('approval', {}).get('reasons', [])) or 'policy'}"
        f"\nexpires {when(approval.get('approval_expires_at'))} ({relative(approval.get('approval_expires_at'))})",
        title="Awaiting duty-manager approval", border_style="yellow"))


def print_result(target: Target, desc: dict[str, Any], as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """The decision of a finished execution; a run that did not succeed prints its error and exits 1.
    `extra` adds keys to the JSON document (e.g. what a redrive recomputed)."""
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
        print(json.dumps({**result, **(extra or {})}, indent=2))
        return
    print_briefing(briefing_of(target, result["thread_id"]))
    print_decision(result)


def briefing_of(target: Target, thread_id: str) -> dict[str, Any] | None:
    """The thread's newest briefing (model or template), as the console shows it."""
    cp = target.store.latest(thread_id, "briefing")
    if cp is None:
        return None
    return briefing_public(target.store.load(Ref(thread_id=thread_id, checkpoint_id=cp["checkpoint_id"])))


def print_briefing(briefing: dict[str, Any] | None) -> None:
    """The duty manager's briefing, first: who wrote it, and why a model's text was discarded."""
    if not briefing:
        return
    source = f"written by {briefing['model_id']}, checked" if briefing["source"] == "model" else "template"
    note = f"\n[dim]model text discarded: {briefing['fallback_reason']}[/]" if briefing.get("fallback_reason") else ""
    text = briefing["text"].replace("[", "\\[").replace("**", "")
    console.print(Panel(text + note, title=f"Briefing ({source})", border_style="cyan"))


def print_decision(result: dict[str, Any]) -> None:
    d = result["decision"]
    rec = d.get("recommended")
    console.print(Panel.fit(
        (f"[bold]{rec['kind']}[/] ({rec['option_id']}): {escape(rec['description'])}\n"
         f"cost €{rec.get('cost_eur') or 0:,.0f} · {score_words(rec, d.get('weights') or {})}" if rec
         else "[bold red]No feasible option[/]: escalated")
        + f"\n{confidence_words(d['confidence'])}"
        + (f"\n[red]escalated[/]: {escape('; '.join(d['escalation_reasons']))}" if d.get("escalated") else ""),
        title=f"Decision for {d['flight_number']} {d['flight_date']} — outcome: {result['outcome']}",
        border_style="green" if result["outcome"] in ("approved", "auto_approved") else "red"))
    if d.get("rationale"):
        console.print(Text("Why: ") + Text(d["rationale"]))
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
        alternatives = Table(title="Alternatives (ranked after the recommendation)")
        for col in ("rank", "option", "what (tail / crew)", "score", "cost"):
            alternatives.add_column(col)
        for a in d["alternatives"]:
            alternatives.add_row(f"#{a['rank']}", f"{a['option_id']} {a['kind']}", escape(a["description"]),
                                 f"{a['score']:.3f}", f"€{a.get('cost_eur') or 0:,.0f}")
        console.print(alternatives)
    if d.get("citations"):
        shown = d["citations"][:6]
        console.print(Text(f"Citations ({_shown(len(shown), len(d['citations']))}): "
                           + "; ".join(f"{c['rule']} — {c['source']}" for c in shown)))
    a = result.get("approval") or {}
    if a.get("approver_id"):
        console.print(f"Approval: {a['decision']} by {a['approver_id']} at {when(a.get('decided_at'))}"
                      + (f" — “{a['comments']}”" if a.get("comments") else ""), markup=False)


def score_words(rec: dict[str, Any], weights: dict[str, float]) -> str:
    """The weighted score, and what it is made of, in words."""
    parts = ", ".join(f"{k} {v:.2f}" + (f" × {weights[k]:.2f}" if k in weights else "")
                      for k, v in (rec.get("scores") or {}).items())
    return (f"score {rec['score']:.3f} of 1 (the weighted sum of 0-1 scores per dimension, higher is better"
            + (f": {parts}" if parts else "") + ")")


def confidence_words(confidence: float) -> str:
    """Confidence, in words: how sure the comparison is, and when a person must decide."""
    level = "high" if confidence >= 0.8 else "moderate" if confidence >= 0.6 else "low"
    return (f"confidence {confidence:.2f} ({level}: the agents' own confidence, scaled by the lead over the "
            f"runner-up and the business agents' agreement; below {Policy().low_confidence_threshold:.2f} "
            "the decision is escalated)")


def binding_constraints_table(constraints: list[dict[str, Any]], max_rows: int = 15) -> Table:
    """One row per rule broken with the same numbers; `findings` counts the crew members / shipments it
    covers. The title says how many findings and rows there are, and how many rows are shown."""
    grouped: dict[tuple[Any, ...], int] = {}
    for c in constraints:  # one per crew member / shipment: group the identical numbers
        key = (c["agent"], c["option_id"], c["rule"], c.get("limit"), c.get("actual"), c.get("margin"),
               c.get("unit"))
        grouped[key] = grouped.get(key, 0) + 1
    shown = list(grouped.items())[:max_rows]
    bc = Table(title=f"Binding constraints (options ruled out): {len(constraints)} findings in "
                     f"{_shown(len(shown), len(grouped), 'row' if len(grouped) == 1 else 'rows')}")
    for col in ("agent", "option", "rule", "limit", "actual", "margin", "findings"):
        bc.add_column(col)
    for (agent, option, rule, limit, actual, margin, unit), count in shown:
        bc.add_row(agent, option, rule, _num(limit, unit), _num(actual, unit), _num(margin, unit), str(count))
    return bc


def _shown(shown: int, total: int, noun: str = "") -> str:
    noun = f" {noun}" if noun else ""
    return f"{total}{noun}" if shown == total else f"{total}{noun}, {shown} shown"


def when(value: Any) -> str:
    """A time as people read it, `01 Dec 07:40Z`: from an ISO 8601 string or epoch seconds (TTL)."""
    moment = _moment(value)
    if moment is None:
        return "-" if value in (None, "") else str(value)
    now = datetime.now(UTC)
    return moment.strftime("%d %b %H:%MZ" if moment.year == now.year else "%d %b %Y %H:%MZ")


def relative(value: Any, now: datetime | None = None) -> str:
    """`in 52 min`, `3 h ago`: how far a time is from now."""
    moment = _moment(value)
    if moment is None:
        return "?"
    minutes = round(((moment - (now or datetime.now(UTC))).total_seconds()) / 60)
    span = abs(minutes)
    text = f"{span} min" if span < 120 else f"{span // 60} h" if span < 2880 else f"{span // 1440} days"
    return "now" if minutes == 0 else f"in {text}" if minutes > 0 else f"{text} ago"


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and value > 1e9:
        moment = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str) and len(value) >= 16 and value[4:5] == "-":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
                  + "[dim] · the redrive re-ran only the failed iteration of the failed Map, as AWS does: the"
                  " failed agent alone was invoked again in its phase.[/]")


def print_serve_banner(stack: EmbeddedStack, source: str, console_url: str | None, approver: str,
                       state: str = "in memory only: Ctrl-C loses it") -> None:
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
        f"state      {state}\nCtrl-C stops it.",
        title="SkyMarshal embedded stack: ready", border_style="cyan"))
    for key, value in stack.outputs.items():
        if "${" not in value:  # an output moto's CloudFormation cannot resolve (e.g. the API's URL) is not shown
            console.print(f"  [dim]{key}[/] {value}", soft_wrap=True)


def print_thread(thread_id: str, doc: dict[str, Any]) -> None:
    table = Table(title=f"Thread {thread_id}", show_header=False)
    for key, value in doc.items():
        if isinstance(value, dict):
            value = {k: when(v) if k.endswith("_at") else v for k, v in value.items()}
        table.add_row(key, json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, dict)
                      else when(value) if key.endswith("_at") else str(value))
    console.print(table)


def print_threads(rows: list[dict[str, Any]]) -> None:
    """One line per thread that fits 80 columns: ids, statuses and times are never cut; the detail wraps."""
    table = Table(title="Threads", box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    for col in ("thread", "status", "flight", "updated"):
        table.add_column(col, no_wrap=True, overflow="fold")
    table.add_column("detail")
    for t in rows:
        expires = t.get("approval_expires_at")
        flight_date = _moment(f"{t.get('flight_date', '')}T00:00")
        table.add_row(t["thread_id"], t["status"],
                      f"{t.get('flight_number', '')} {flight_date:%d %b}" if flight_date else t.get("flight_number"),
                      when(t.get("updated_at")),
                      "; ".join(x for x in (t.get("failure") or (f"expires {relative(expires)}" if expires else ""),
                                            fleet_cell(t)) if x))
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
