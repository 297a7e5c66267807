/* SkyMarshal duty-manager console: plain JS, no framework. Calls the approval API on the same origin:
   GET /approvals, GET /threads/{id}, POST /threads/{id}/approve|reject. The approver is whoever is signed in
   (IAM/JWT authorizer on AWS, the local principal under `skymarshal serve`); the page never sends an identity. */
"use strict";

const state = { config: { auth: "none" }, token: null, current: null, polling: null };
const $ = (sel) => document.querySelector(sel);

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const eur = (v) => (v === null || v === undefined ? "–" : "€" + Math.round(Number(v)).toLocaleString("en-GB"));
const num = (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
const label = (s) => esc(String(s ?? "").replace(/_/g, " "));

function age(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
const time = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + "Z" : "–");

// ---------------------------------------------------------------------------------------------------------
// Sign-in (JWT/Cognito hosted UI on AWS; nothing locally) and API calls
// ---------------------------------------------------------------------------------------------------------
async function signIn() {
  try {
    const r = await fetch("/console/config.json");
    if (r.ok) state.config = await r.json();
  } catch (e) { /* defaults: no sign-in */ }
  if (state.config.auth !== "jwt") return;
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("id_token")) {
    sessionStorage.setItem("skymarshal.token", hash.get("id_token"));
    history.replaceState(null, "", sessionStorage.getItem("skymarshal.return") || "/console");
  }
  state.token = sessionStorage.getItem("skymarshal.token");
  if (!state.token) {
    sessionStorage.setItem("skymarshal.return", location.pathname);
    const q = new URLSearchParams({ client_id: state.config.client_id, response_type: "token",
      scope: "openid email", redirect_uri: location.origin + "/console" });
    location.assign(`${state.config.login_url}?${q}`);
    throw new Error("signing in");
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.body ? { "Content-Type": "application/json" } : {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const r = await fetch(path, { ...options, headers });
  let data = {};
  try { data = await r.json(); } catch (e) { data = {}; }
  if (r.status === 401 && state.config.auth === "jwt") { sessionStorage.removeItem("skymarshal.token"); }
  if (!r.ok) { const err = new Error(data.error || `HTTP ${r.status}`); err.status = r.status; throw err; }
  return data;
}

// ---------------------------------------------------------------------------------------------------------
// Pending list
// ---------------------------------------------------------------------------------------------------------
async function loadPending() {
  const status = $("#pending-status");
  try {
    const data = await api("/approvals");
    if (data.approver) $("#who").textContent = `Signed in as ${data.approver}`;
    const list = $("#pending-list");
    list.innerHTML = data.approvals.map((a) => `
      <li class="prio-${esc(a.priority.name)}">
        <a href="/console/threads/${encodeURIComponent(a.thread_id)}" data-nav data-thread="${esc(a.thread_id)}"
           ${state.current === a.thread_id ? 'aria-current="page"' : ""}>
          <span class="row"><strong>${esc(a.flight_number)}</strong> ${esc(a.flight_date || "")}
            <span class="badge prio-${esc(a.priority.name)}" title="${esc(a.priority.reasons.join("; "))}">${esc(a.priority.name)} priority</span></span>
          <span class="row small">${label(a.summary.recommended_kind || "escalated")} · ${eur(a.summary.cost_eur)} · confidence ${num(a.summary.confidence)}</span>
          <span class="row small muted">waiting ${age(a.age_seconds)} · times out in ${age(a.expires_in_seconds)}</span>
          <span class="row small muted">${esc(a.thread_id)}</span>
        </a>
      </li>`).join("");
    status.textContent = data.count ? `${data.count} decision(s) waiting` : "Nothing waiting for approval.";
  } catch (e) {
    status.textContent = `Could not load pending approvals: ${e.message}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Thread view
// ---------------------------------------------------------------------------------------------------------
function solutionCard(sol, isRecommended) {
  const breakdown = Object.entries(sol.cost_breakdown || {}).map(([k, v]) =>
    `<tr><th scope="row">${label(k)}</th><td class="num">${eur(v)}</td></tr>`).join("");
  const scores = Object.entries(sol.scores || {}).map(([k, v]) =>
    `<li><span>${label(k)}</span><meter min="0" max="1" value="${Number(v)}" aria-label="${label(k)} score"></meter><span class="num">${num(v)}</span></li>`).join("");
  const plan = (sol.plan || []).map((p) => `<li><strong>${label(p.action)}</strong> (${esc(p.owner)}): ${esc(p.detail)}</li>`).join("");
  return `
    <section class="card ${isRecommended ? "recommended" : ""}" aria-label="${isRecommended ? "Recommended" : "Alternative"} ${esc(sol.option_id)}">
      <h4>${isRecommended ? "Recommended" : `Alternative ${sol.rank - 1}`} · ${esc(sol.option_id)} <span class="kind">${label(sol.kind)}</span></h4>
      <p>${esc(sol.description)}</p>
      <p class="small">Score ${num(sol.score, 3)}${sol.pareto_optimal ? " · Pareto-optimal" : ""} ·
        departs ${time(sol.new_departure_utc)} · arrives ${time(sol.new_arrival_utc)}</p>
      <ul class="scores">${scores}</ul>
      <table class="costs"><caption>Cost ${eur(sol.cost_eur)}</caption><tbody>${breakdown}</tbody>
        <tfoot><tr><th scope="row">Total</th><td class="num">${eur(sol.cost_eur)}</td></tr></tfoot></table>
      <details><summary>Plan (${(sol.plan || []).length} steps)</summary><ol class="plan">${plan}</ol></details>
    </section>`;
}

function matrixTable(view) {
  const agents = view.agents.map((a) => a.agent);
  const head = agents.map((a) => {
    const safety = view.agents.find((x) => x.agent === a).safety;
    return `<th scope="col" class="${safety ? "safety" : ""}">${label(a)}${safety ? ' <span class="tag">safety</span>' : ""}</th>`;
  }).join("");
  const rows = view.matrix.map((o) => {
    const cells = agents.map((a) => {
      const c = o.agents[a] || {};
      const p1 = c.phase1, p2 = c.phase2;
      const cur = p2 || p1;
      if (!cur) return "<td>–</td>";
      if (cur.status === "unavailable") return '<td class="unavailable">unavailable</td>';
      const broken = (cur.broken_binding || []).map((b) => `<span class="broken" title="${esc(b.description)}">✖ ${esc(b.rule)}</span>`).join("");
      const changed = c.changed ? ` <span class="changed" title="changed in phase 2">${num(p1.score)} → ${num(p2.score)}</span>` : "";
      return `<td class="${cur.feasible === false ? "infeasible" : ""}">${c.changed ? "" : num(cur.score)}${changed}${broken}</td>`;
    }).join("");
    return `<tr class="${o.rank === 1 ? "is-recommended" : ""}"><th scope="row">${esc(o.option_id)} <span class="kind">${label(o.kind)}</span>${o.rank ? ` <span class="tag">rank ${o.rank}</span>` : ""}${o.infeasible_reasons.length ? ' <span class="tag bad">infeasible</span>' : ""}</th>${cells}</tr>`;
  }).join("");
  return `<div class="scroll"><table class="matrix"><caption>Options × agents: score after phase 2 (phase 1 → phase 2 where it changed); ✖ = broken binding rule</caption>
    <thead><tr><th scope="col">Option</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function renderThread(view) {
  const d = view.decision;
  const ap = view.approval;
  const pending = ap && ap.status === "pending";
  const t = view.thread;
  const binding = (d ? d.binding_constraints : []).map((b) => `
    <tr><td>${esc(b.option_id)}</td><td>${label(b.agent)}</td><td><strong>${esc(b.rule)}</strong><br><span class="small">${esc(b.description)}</span></td>
      <td class="num">${num(b.limit, 0)} ${esc(b.unit || "")}</td><td class="num">${num(b.actual, 0)} ${esc(b.unit || "")}</td>
      <td class="num bad">${num(b.margin, 0)}</td></tr>`).join("");
  const revisions = view.revisions.map((r) => `
    <li class="rev-${esc(r.action)}"><strong>${label(r.agent)}</strong> <span class="tag">${esc(r.action)}</span>
      preferred ${esc(r.from_option || "–")} → ${esc(r.to_option || "–")}, confidence ${num(r.from_confidence)} → ${num(r.to_confidence)}
      ${r.because.length ? `<br><span class="small">because: ${r.because.map((b) => `${label(b.agent)}${b.option_id ? " on " + esc(b.option_id) : ""}: ${esc(b.fact)}`).join("; ")}</span>` : ""}
      ${r.changes.length ? `<br><span class="small">changed: ${r.changes.map(esc).join("; ")}</span>` : ""}</li>`).join("");
  const citations = (d ? d.citations : []).map((c) => `<li><strong>${esc(c.rule)}</strong> — ${esc(c.title)} <span class="small muted">(${esc(c.source)}, ${esc(c.origin)})</span><br><span class="small">${esc(c.excerpt)}</span></li>`).join("");
  const timeline = view.timeline.map((e) => `<tr><td>${esc((e.created_at || "").slice(11, 23))}</td><td>${label(e.step)}</td><td>${esc(e.phase ?? "")}</td><td>${label(e.agent ?? "")}</td><td>${esc(e.outcome ?? "")}</td><td class="num">${esc(e.duration_ms ?? "")}</td></tr>`).join("");
  const solutions = d ? [d.recommended, ...(d.alternatives || [])].filter(Boolean) : [];

  $("#thread").innerHTML = `
    <header class="thread-head">
      <h2 id="thread-title">${esc(t.flight_number)} ${esc(t.flight_date || "")} <span class="kind">${label(t.disruption_type)}</span></h2>
      <p class="small muted">Thread ${esc(view.thread_id)} · status <strong id="thread-status">${label(t.status)}</strong>
        ${ap ? ` · requested ${time(ap.requested_at)} · ${ap.waiting ? "waiting" : "waited"} ${age(ap.age_seconds)} · <span class="badge prio-${esc(ap.priority.name)}">${esc(ap.priority.name)} priority</span>` : ""}</p>
      ${view.event ? `<p>${esc(view.event.cause)}${view.event.delay_minutes ? ` (+${esc(view.event.delay_minutes)} min)` : ""}</p>` : ""}
      ${d && d.escalated ? `<p class="alert">Escalated: ${d.escalation_reasons.map(esc).join("; ")}</p>` : ""}
      ${ap && ap.reasons.length ? `<p class="small">Approval needed: ${ap.reasons.map(esc).join("; ")}</p>` : ""}
    </header>
    ${briefingBlock(view.briefing)}

    <section aria-labelledby="decide-title" class="decide">
      <h3 id="decide-title">Your decision</h3>
      <div id="decision-area">${pending ? decisionForm(view) : resultBlock(view)}</div>
      <p id="result" role="status" aria-live="polite"></p>
    </section>

    <section aria-labelledby="side-title">
      <h3 id="side-title">The decision side by side</h3>
      ${d ? `<p class="small">${esc(d.rationale)} Confidence ${num(d.confidence)}${d.unavailable_agents.length ? ` · unavailable agents: ${d.unavailable_agents.map(label).join(", ")}` : ""}.</p>` : "<p>No decision yet.</p>"}
      <div class="cards">${solutions.map((s, i) => solutionCard(s, i === 0 && s === d.recommended)).join("")}</div>
    </section>

    <section aria-labelledby="binding-title">
      <h3 id="binding-title">Binding constraints <span class="small muted">(why options were ruled out)</span></h3>
      ${binding ? `<div class="scroll"><table class="binding"><thead><tr><th scope="col">Option</th><th scope="col">Agent</th><th scope="col">Rule</th><th scope="col">Limit</th><th scope="col">Actual</th><th scope="col">Margin</th></tr></thead><tbody>${binding}</tbody></table></div>` : "<p>No safety rule was broken by any option.</p>"}
    </section>

    <section aria-labelledby="matrix-title">
      <h3 id="matrix-title">Options × agents</h3>
      ${view.matrix.length ? matrixTable(view) : "<p>No agent views yet.</p>"}
    </section>

    <section aria-labelledby="rev-title">
      <h3 id="rev-title">What changed between phase 1 and phase 2</h3>
      ${revisions ? `<ul class="revisions">${revisions}</ul>` : "<p>No revision.</p>"}
    </section>

    <section aria-labelledby="cite-title">
      <h3 id="cite-title">Citations</h3>
      ${citations ? `<ul class="citations">${citations}</ul>` : "<p>None.</p>"}
    </section>

    <details class="timeline"><summary>Timeline (${view.timeline.length} checkpoints)</summary>
      <div class="scroll"><table><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Step</th><th scope="col">Phase</th><th scope="col">Agent</th><th scope="col">Outcome</th><th scope="col">ms</th></tr></thead><tbody>${timeline}</tbody></table></div>
    </details>`;
  $("#empty").hidden = true;
  $("#thread").hidden = false;
  const form = $("#decision-form");
  if (form) form.addEventListener("submit", onDecide);
}

// The duty manager's briefing heads the page: the model's (checked against the decision's facts) or the template's.
function briefingBlock(b) {
  if (!b) return "";
  const paragraphs = b.text.split("\n").map((line) =>
    `<p>${esc(line).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")}</p>`).join("");
  const who = b.source === "model" ? `written by ${esc(b.model_id)}, every figure checked against the decision` : "written from the decision's facts";
  return `<section aria-labelledby="briefing-title" class="briefing">
      <h3 id="briefing-title">Briefing</h3>${paragraphs}
      <p class="small muted">${who}${b.fallback_reason ? ` · model text discarded: ${esc(b.fallback_reason)}` : ""}</p>
    </section>`;
}

function fleetBlock(view) {
  // What the pending decision holds (spare tail, reserves, seats) and who took what it needs.
  const t = view.thread || {};
  const holds = (t.holds || []).map(esc).join(", ");
  const contested = (t.contested || []).map(esc);
  return (holds ? `<p class="small" id="holds">Holds: ${holds}</p>` : "")
    + (contested.length ? `<p class="error" role="alert" id="contested"><strong>Contested:</strong> ${contested.join("; ")}.
        Approving will be refused and the thread re-planned against the current operation.</p>` : "")
    + (t.replan_of ? `<p class="small muted">Re-plan of ${esc(t.replan_of)}.</p>` : "");
}

function decisionForm(view) {
  return `${fleetBlock(view)}<form id="decision-form" novalidate data-contested="${(view.thread && (view.thread.contested || []).length) ? "yes" : ""}">
      <label for="comment">Comment <span class="small muted">(required to reject)</span></label>
      <textarea id="comment" name="comments" rows="3" maxlength="2000" aria-describedby="comment-help form-error"></textarea>
      <p id="comment-help" class="small muted">Recorded with your identity on the thread and in the execution output.</p>
      <p id="form-error" class="error" role="alert"></p>
      <div class="actions">
        <button type="submit" id="approve" name="action" value="approve" class="approve">Approve recommended</button>
        <button type="submit" id="reject" name="action" value="reject" class="reject">Reject</button>
      </div>
    </form>`;
}

function resultBlock(view) {
  const ap = view.approval;
  const res = view.result;
  if (!ap) return `<p>No approval was requested for this thread${res ? ` (outcome: ${label(res.outcome)})` : ""}.</p>`;
  return `<p class="outcome outcome-${esc(ap.status)}" id="outcome">${label(ap.status)}${ap.approver_id && ap.approver_id !== "-" ? ` by <strong>${esc(ap.approver_id)}</strong>` : ""}${ap.decided_at ? ` at ${time(ap.decided_at)}` : ""}${ap.comments ? ` — “${esc(ap.comments)}”` : ""}.
    ${res ? ` Workflow outcome: <strong id="workflow-outcome">${label(res.outcome)}</strong>.` : " Waiting for the workflow to finish…"}</p>`;
}

async function onDecide(event) {
  event.preventDefault();
  const action = event.submitter ? event.submitter.value : "approve";
  const comments = $("#comment").value.trim();
  const error = $("#form-error");
  error.textContent = "";
  if (action === "reject" && !comments) {
    error.textContent = "A comment is required to reject: say why.";
    $("#comment").setAttribute("aria-invalid", "true");
    $("#comment").focus();
    return;
  }
  if (action === "approve" && $("#decision-form").dataset.contested
      && !window.confirm("Another decision took resources this plan needs. Approving will be refused and the thread re-planned. Continue?")) {
    return;
  }
  for (const b of document.querySelectorAll("#decision-form button")) b.disabled = true;
  try {
    const data = await api(`/threads/${encodeURIComponent(state.current)}/${action}`, { method: "POST", body: JSON.stringify({ comments }) });
    $("#result").textContent = `${data.decision === "approved" ? "Approved" : "Rejected"} by ${data.approval.approver_id}. Waiting for the workflow…`;
    await pollUntilFinished(state.current);
  } catch (e) {
    error.textContent = `Not recorded: ${e.message}`;
    for (const b of document.querySelectorAll("#decision-form button")) b.disabled = false;
  }
}

async function pollUntilFinished(threadId) {
  for (let i = 0; i < 120 && state.current === threadId; i++) {
    const view = await api(`/threads/${encodeURIComponent(threadId)}`);
    if (view.result || ["completed", "rejected", "escalated", "failed"].includes(view.thread.status)) {
      renderThread(view);
      $("#result").textContent = `Done: ${view.result ? view.result.outcome : view.thread.status}.`;
      const heading = $("#decide-title");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      loadPending();
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function openThread(threadId, push) {
  state.current = threadId;
  if (push) history.pushState({ threadId }, "", `/console/threads/${encodeURIComponent(threadId)}`);
  for (const a of document.querySelectorAll("#pending-list a")) {
    if (a.dataset.thread === threadId) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    renderThread(await api(`/threads/${encodeURIComponent(threadId)}`));
    document.title = `${threadId} · SkyMarshal`;
    $("#thread-title").setAttribute("tabindex", "-1");
    $("#thread-title").focus();
  } catch (e) {
    $("#thread").hidden = false;
    $("#empty").hidden = true;
    $("#thread").innerHTML = `<p class="error" role="alert">Could not load thread ${esc(threadId)}: ${esc(e.message)}</p>`;
  }
}

function route(push) {
  const m = location.pathname.match(/^\/console\/threads\/([^/]+)$/);
  if (m) openThread(decodeURIComponent(m[1]), push);
  else { state.current = null; $("#thread").hidden = true; $("#empty").hidden = false; }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-nav]");
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  if (a.dataset.thread) openThread(a.dataset.thread, true);
  else { history.pushState({}, "", "/console"); route(false); }
});
window.addEventListener("popstate", () => route(false));

document.addEventListener("DOMContentLoaded", async () => {
  try { await signIn(); } catch (e) { return; }
  $("#refresh").addEventListener("click", loadPending);
  await loadPending();
  route(false);
  setInterval(loadPending, 30000);
});
