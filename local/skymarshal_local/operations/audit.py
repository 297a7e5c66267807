"""Audit export: a thread's checkpoints merged with its Step Functions execution history.

`export(target, thread_id, fmt)` returns JSON (everything, machine-readable), Markdown (for a compliance
officer: the decision, who approved it and when, the agents' views, a timeline, errors and retries) or CSV (one
row per checkpoint and per execution event; columns start `checkpoint_id,timestamp,phase,agent,status,confidence`).
`list_threads(target, status)` lists threads in a status from the ByStatus index (no scan).
The task token is never exported (masked).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Literal

from skymarshal.models import Ref
from skymarshal.steps import mask_token
from skymarshal_local.target import Target, TargetError

CSV_COLUMNS = ["checkpoint_id", "timestamp", "phase", "agent", "status", "confidence",
               "source", "step", "duration_ms", "detail"]
_EVENT_DETAIL_KEYS = ("stateEnteredEventDetails", "stateExitedEventDetails")


def list_threads(target: Target, status: str) -> list[dict[str, Any]]:
    """Threads in `status` (awaiting_approval, failed, ...), newest first, from the ByStatus index."""
    keep = ("thread_id", "status", "flight_number", "flight_date", "disruption_type", "updated_at",
            "execution_arn", "approval_expires_at", "failure", "outcome", "replay_of", "version", "holds", "contested",
            "replan_of")
    return [{k: t[k] for k in keep if k in t} for t in target.store.threads_by_status(status)]


def _events(target: Target, arn: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if not arn:
        return [], {}
    try:
        desc = target.client("stepfunctions").describe_execution(executionArn=arn)
        events = target.history(arn)
    except Exception as exc:  # an expired or foreign execution must not hide the checkpoints
        return [], {"executionArn": arn, "error": f"history unavailable: {exc}"}
    keep = ("executionArn", "status", "startDate", "stopDate", "error", "cause", "redriveCount", "redriveDate")
    return events, {k: desc[k] for k in keep if k in desc}


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": e["id"], "timestamp": _iso(e["timestamp"]), "type": e["type"]}
    for key, value in e.items():
        if not key.endswith("EventDetails") or not isinstance(value, dict):
            continue
        if "name" in value:
            row["state"] = value["name"]
        for field in ("error", "cause", "resourceType", "resource", "redriveCount"):
            if field in value:
                row[field] = str(value[field])[:500]
    return row


def _iso(value: Any) -> str:
    """Execution events and checkpoints on one clock format (UTC ISO 8601), so the timeline sorts."""
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def _retries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Task attempts that failed and were scheduled again in the same state (Retry), per state."""
    out, state, failures = [], None, Counter()  # type: ignore[var-annotated]
    for e in events:
        t = e["type"]
        if t.endswith("StateEntered"):
            state = e["stateEnteredEventDetails"]["name"]
        elif t in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut"):
            failures[state] += 1
        elif t in ("TaskScheduled", "LambdaFunctionScheduled") and failures[state]:
            out.append({"state": state, "timestamp": _iso(e["timestamp"]), "after_failures": failures[state]})
    return out


def collect(target: Target, thread_id: str) -> dict[str, Any]:
    """Everything the audit knows about a thread, as plain JSON-able data."""
    store = target.store
    thread = store.get_thread(thread_id)
    if thread is None:
        raise TargetError(f"thread {thread_id} does not exist")
    checkpoints = store.history(thread_id)
    approval = store.get_approval(thread_id) or {}
    if approval.get("task_token"):
        approval["task_token"] = mask_token(approval["task_token"])
    decision = None
    arbitration = [c for c in checkpoints if c["step"] == "arbitration"]
    if arbitration:
        decision = store.load(Ref(thread_id=thread_id, checkpoint_id=arbitration[-1]["checkpoint_id"]))
    briefings = [c for c in checkpoints if c["step"] == "briefing"]
    briefing = store.load(Ref(thread_id=thread_id, checkpoint_id=briefings[-1]["checkpoint_id"])) if briefings else None
    events, execution = _events(target, thread.get("execution_arn"))
    rows = [_event_row(e) for e in events]
    timeline = sorted(
        [{"source": "checkpoint", "timestamp": c["created_at"], **{k: c.get(k) for k in (
            "checkpoint_id", "step", "phase", "agent", "outcome", "confidence", "duration_ms")}} for c in checkpoints]
        + [{"source": "execution", **r} for r in rows if r["type"] not in ("PassStateEntered", "PassStateExited")],
        key=lambda r: r["timestamp"],
    )
    return {
        "thread": thread,
        "execution": execution,
        "approval": {k: v for k, v in approval.items() if k not in ("PK", "SK")},
        "briefing": briefing,  # the newest: text, source, facts, the model call (prompt, tokens), the guard
        "decision": decision,
        "checkpoints": checkpoints,
        "execution_events": rows,
        "errors": [r for r in rows if "error" in r],
        "retries": _retries(events),
        "timeline": timeline,
    }


def export(target: Target, thread_id: str, fmt: Literal["json", "md", "csv"] = "json") -> str:
    data = collect(target, thread_id)
    if fmt == "json":
        return json.dumps(data, indent=2, default=str)
    if fmt == "csv":
        return _csv(data)
    if fmt == "md":
        return _markdown(data)
    raise ValueError(f"unknown audit format {fmt!r}: json, md or csv")


def _csv(data: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in data["timeline"]:
        if r["source"] == "checkpoint":
            writer.writerow({**r, "status": r.get("outcome"), "step": r.get("step")})
        else:
            detail = "; ".join(f"{k}={r[k]}" for k in ("state", "error", "cause") if k in r)
            writer.writerow({"timestamp": r["timestamp"], "source": "execution", "step": r["type"], "detail": detail})
    return buf.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(data: dict[str, Any]) -> str:
    out = _md_header(data["thread"], data["execution"])
    out += _md_briefing(data.get("briefing"))
    out += _md_decision(data["decision"] or {})
    out += _md_approval(data["approval"])
    out += _md_agents(data["checkpoints"])
    out += _md_errors(data)
    out += _md_timeline(data)
    return "\n".join(out)


def _md_header(t: dict[str, Any], ex: dict[str, Any]) -> list[str]:
    out = [f"# Audit record: disruption thread `{t['thread_id']}`", ""]
    out += ["| | |", "|---|---|"]
    for label, value in (
        ("Flight", f"{t.get('flight_number', '')} on {t.get('flight_date', '')}"),
        ("Disruption", t.get("disruption_type")), ("Thread status", t.get("status")), ("Outcome", t.get("outcome")),
        ("Replay of", t.get("replay_of")), ("Execution", ex.get("executionArn") or t.get("execution_arn")),
        ("Execution status", ex.get("status")), ("Redrives", ex.get("redriveCount", 0)),
        ("Opened", t.get("created_at")), ("Last change", t.get("updated_at")),
    ):
        if value not in (None, ""):
            out.append(f"| {label} | {_cell(value)} |")
    return out


def _md_briefing(b: dict[str, Any] | None) -> list[str]:
    """The briefing the duty manager read, who wrote it, and the guard's verdict on a model's text."""
    if not b:
        return []
    out = ["", "## Briefing", "", b["text"], ""]
    model, verdict = b.get("model") or {}, b.get("guard") or {}
    if model:
        out.append(f"- Model `{model['model_id']}`: {model.get('input_tokens')} input / "
                   f"{model.get('output_tokens')} output tokens, max {model['max_tokens']}"
                   + (f", error {_cell(model['error'])}" if model.get("error") else ""))
        out.append(f"- Guard: {'passed' if verdict.get('passed') else 'not passed'}"
                   + (f" ({_cell('; '.join(verdict.get('reasons', [])))})" if verdict.get("reasons") else ""))
    out.append(f"- Written by: {'the model' if b['source'] == 'model' else 'the template'}"
               + (f"; model text discarded: {_cell(b['fallback_reason'])}" if b.get("fallback_reason") else ""))
    return out


def _md_decision(d: dict[str, Any]) -> list[str]:
    out = ["", "## Decision", ""]
    rec = d.get("recommended") if d else None
    if rec:
        out.append(f"Recommended: **{rec['option_id']} ({rec['kind']})**: {_cell(rec['description'])}; "
                   f"cost EUR {rec.get('cost_eur')}; confidence {d.get('confidence')}.")
    elif d:
        out.append("No feasible option: escalated to the duty manager.")
    else:
        out.append("No decision was made in this thread.")
    if d.get("rationale"):
        out += ["", f"Rationale: {_cell(d['rationale'])}"]
    if d.get("binding_constraints"):
        out += ["", "Binding (safety) constraints:", ""]
        out += [f"- {b['agent']} / {b['option_id']}: {b['rule']}: {_cell(b['description'])}"
                for b in d["binding_constraints"]]
    if d.get("citations"):
        out += ["", "Regulatory references:", ""]
        out += [f"- {c['rule']} ({c['source']}): {_cell(c['title'])}" for c in d["citations"]]
    if d.get("unavailable_agents"):
        out += ["", f"Decided without: {', '.join(d['unavailable_agents'])} (unavailable)."]
    return out


def _md_approval(ap: dict[str, Any]) -> list[str]:
    out = ["", "## Approval", ""]
    if ap:
        out += ["| | |", "|---|---|"]
        for label, key in (("Status", "approval_status"), ("Approver", "approver_id"), ("Comment", "comments"),
                           ("Requested", "requested_at"), ("Decided", "decided_at"),
                           ("Expires", "approval_expires_at")):
            if ap.get(key) not in (None, ""):
                out.append(f"| {label} | {_cell(ap[key])} |")
    else:
        out.append("No approval was requested (auto-approved or not reached).")
    return out


def _md_agents(checkpoints: list[dict[str, Any]]) -> list[str]:
    views = [c for c in checkpoints if c["step"] in ("agent_complete", "agent_unavailable", "agent_error",
                                                     "agent_timeout")]
    out = ["", "## Agents", "", "| Phase | Agent | Result | Confidence | Preferred | Revision | ms |",
           "|---|---|---|---|---|---|---|"]
    for c in views:
        meta = c.get("meta") or {}
        out.append(f"| {c.get('phase')} | {c.get('agent')} | {_cell(c.get('outcome') or c['step'])} | "
                   f"{_cell(c.get('confidence'))} | {_cell(meta.get('preferred_option'))} | "
                   f"{_cell(meta.get('revision'))} | {_cell(c.get('duration_ms'))} |")
    return out


def _md_errors(data: dict[str, Any]) -> list[str]:
    if not (data["errors"] or data["retries"]):
        return []
    out = ["", "## Errors and retries", ""]
    out += [f"- {e['timestamp']} {e['type']} in {e.get('state', '-')}: {_cell(e.get('error'))} "
            f"{_cell(e.get('cause', ''))[:200]}" for e in data["errors"]]
    out += [f"- {r['timestamp']} retried {r['state']} after {r['after_failures']} failure(s)"
            for r in data["retries"]]
    return out


def _md_timeline(data: dict[str, Any]) -> list[str]:
    out = ["", "## Timeline", "", "| Time (UTC) | Source | What | Phase | Agent | Status |",
           "|---|---|---|---|---|---|"]
    for r in data["timeline"]:
        if r["source"] == "checkpoint":
            out.append(f"| {r['timestamp']} | checkpoint | {r['step']} | {_cell(r.get('phase'))} | "
                       f"{_cell(r.get('agent'))} | {_cell(r.get('outcome'))} |")
        else:
            what = r["type"] + (f" {r['state']}" if "state" in r else "")
            out.append(f"| {r['timestamp']} | execution | {_cell(what)} | | | {_cell(r.get('error'))} |")
    out += ["", f"Checkpoints are retained for the configured retention (default 90 days); "
            f"{len(data['checkpoints'])} checkpoints, {len(data['execution_events'])} execution events.", ""]
    return out
