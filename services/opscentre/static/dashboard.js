// Corridor operations dashboard: plain JS, no build step, nothing loaded from elsewhere.
// Only aggregates and short pages are requested: the situation per region, the shelter map
// binned on a grid server-side, the latest decisions and the open escalations; the live
// stream (fetch-based server-sent events, so the token stays in a header) adds what is new.
"use strict";

const MAX_DECISIONS = 50;      // rows kept on the page
const MAX_ESCALATIONS = 200;   // per level
const REFRESH_MS = 5000;       // aggregates at most this often after live events
const PIPELINE_MS = 15000;     // how often the page asks whether the processors keep up
const TOKEN_KEY = "corridor-opscentre-token";

let token = null;
let refreshTimer = null;
let pipelineTimer = null;

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (response.status === 401) { logout(); throw new Error("unauthorised"); }
  if (response.status === 503) { ledgerAway(true); throw new Error(`${path}: 503`); }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  if (!NOT_LEDGER.has(path)) ledgerAway(false);
  return response.json();
}

// The ledger's database away (503): say so, and load everything again once it answers.
const NOT_LEDGER = new Set(["/api/v1/whoami", "/api/v1/pipeline"]);
let ledgerIsAway = false;
function ledgerAway(away) {
  if (away === ledgerIsAway) return;
  ledgerIsAway = away;
  $("ledger-down").hidden = !away;
  if (!away) loadAll().catch(console.error);
}

function fmt(n) { return Number(n).toLocaleString("en"); }
function pct(u) { return u === null ? "–" : `${Math.round(u * 100)} %`; }
function time(iso) { return new Date(iso).toISOString().slice(11, 19) + "Z"; }

// --- situation ------------------------------------------------------------------------------

async function loadSituation() {
  const data = await api("/api/v1/situation");
  const rows = data.regions.map((r) => el("tr", { "data-region": r.region_pcode },
    el("td", {}, r.region_pcode), el("td", {}, fmt(r.people.displaced)),
    el("td", {}, fmt(r.people.placed)), el("td", {}, fmt(r.people.in_transit)),
    el("td", {}, fmt(r.people.arrived)), el("td", {}, fmt(r.people.waitlisted)),
    el("td", {}, fmt(r.people.pending)), el("td", {}, fmt(r.shelters.open_shelters)),
    el("td", {}, pct(r.shelters.utilisation)),
    el("td", {}, r.open_escalations.L1), el("td", {}, r.open_escalations.L2),
    el("td", {}, r.open_escalations.L3)));
  $("situation").tBodies[0].replaceChildren(...rows);
}

// --- map ------------------------------------------------------------------------------------

function colour(u) {
  if (u === null) return "#8a8f98";
  if (u >= 0.9) return "#d23c2c";
  if (u >= 0.7) return "#e0a100";
  return "#2e9d57";
}

async function loadMap() {
  const data = await api("/api/v1/shelters/map?grid=64");
  $("map-count").textContent = `${fmt(data.shelters)} shelters`;
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!data.cells.length) return;
  const lats = data.cells.map((c) => c.lat), lons = data.cells.map((c) => c.lon);
  const lat0 = Math.min(...lats), lat1 = Math.max(...lats);
  const lon0 = Math.min(...lons), lon1 = Math.max(...lons);
  const kx = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);  // equirectangular
  const spanX = Math.max((lon1 - lon0) * kx, 1e-3), spanY = Math.max(lat1 - lat0, 1e-3);
  const pad = 16;
  const scale = Math.min((canvas.width - 2 * pad) / spanX, (canvas.height - 2 * pad) / spanY);
  const offX = (canvas.width - spanX * scale) / 2, offY = (canvas.height - spanY * scale) / 2;
  for (const c of data.cells) {
    const x = offX + (c.lon - lon0) * kx * scale;
    const y = canvas.height - (offY + (c.lat - lat0) * scale);
    ctx.beginPath();
    ctx.arc(x, y, Math.min(3 + 2 * Math.sqrt(c.shelters), 14), 0, 2 * Math.PI);
    ctx.fillStyle = colour(c.utilisation);
    ctx.globalAlpha = 0.75;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

// --- decisions ------------------------------------------------------------------------------

function decisionRow(d, isNew) {
  const placed = d.placed_persons ?? d.placements.reduce((n, p) => n + p.persons, 0);
  const waiting = d.waitlisted_persons ?? d.waitlisted.reduce((n, w) => n + w.persons, 0);
  const shelters = d.shelters ?? [...new Set(d.placements.map((p) => p.shelter_id))].sort();
  const what = d.alert_id ? `alert ${d.alert_id}` : "from the waitlist";
  return el("li", { "data-id": d.decision_id, class: isNew ? "new" : "" },
    el("strong", {}, d.region_pcode), ` ${what}: ${fmt(placed)} placed`,
    shelters.length ? ` in ${shelters.slice(0, 3).join(", ")}${shelters.length > 3 ? "…" : ""}` : "",
    waiting ? `; ${fmt(waiting)} waitlisted` : "",
    el("div", { class: "muted" }, time(d.decided_at)));
}

async function loadDecisions() {
  const page = await api("/api/v1/decisions?limit=20");
  $("decisions").replaceChildren(...page.items.map((d) => decisionRow(d, false)));
}

function addDecision(d) {
  const list = $("decisions");
  list.querySelector(`[data-id="${CSS.escape(d.decision_id)}"]`)?.remove();
  list.prepend(decisionRow(d, true));
  while (list.children.length > MAX_DECISIONS) list.lastChild.remove();
}

// --- escalations ----------------------------------------------------------------------------

// An escalation opens to its history (revisions, acknowledgements), fetched when opened. A new
// revision replaces the item; one that was open stays open and its history is fetched again.
function escalationItem(e, isNew, open) {
  const history = el("ol", { class: "history" });
  const details = el("details", {},
    el("summary", {},
      el("strong", {}, `${e.region_pcode} ${e.reason.replaceAll("_", " ")}`),
      ` · ${e.sector.replaceAll("_", " ")} · ${fmt(e.persons_affected)} people`,
      el("div", { class: "muted" }, `${e.status} · since ${time(e.opened_at)}`)),
    history);
  details.addEventListener("toggle", () => {
    if (details.open) loadHistory(e, history).catch(console.error);
  });
  details.open = open;
  return el("li", { "data-id": e.escalation_id, class: isNew ? "new" : "" }, details);
}

function revisionLine(r) {
  return el("li", {},
    `${time(r.updated_at)} ${r.level} ${r.status} · ${fmt(r.persons_affected)} people` +
    (r.ack_deadline ? ` · acknowledge by ${time(r.ack_deadline)}` : ""));
}

async function loadHistory(e, into) {
  const d = await api(`/api/v1/escalations/${encodeURIComponent(e.escalation_id)}`);
  const lines = d.revisions.map(revisionLine);
  // The live stream can be ahead of the ledger: the revision it brought is shown all the same.
  const newest = Math.max(-1, ...d.revisions.map((r) => r.revision ?? -1));
  if (e.revision != null && e.revision > newest) lines.push(revisionLine(e));
  for (const k of d.acknowledgements) {
    lines.push(el("li", {}, `${time(k.acknowledged_at)} ${k.status} by ${k.partner_id ?? "?"}`));
  }
  if (!lines.length) lines.push(el("li", { class: "muted" }, "no revision recorded yet"));
  into.replaceChildren(...lines);
}

function placeEscalation(e, isNew) {
  let open = false;
  document.querySelectorAll(`ul.esc [data-id="${CSS.escape(e.escalation_id)}"]`)
    .forEach((node) => { open ||= node.querySelector("details")?.open ?? false; node.remove(); });
  if (e.status === "resolved") return;
  const list = $(`esc-${e.level}`);
  if (!list) return;
  list.prepend(escalationItem(e, isNew, open));
  while (list.children.length > MAX_ESCALATIONS) list.lastChild.remove();
}

async function loadEscalations() {
  for (const level of ["L1", "L2", "L3"]) $(`esc-${level}`).replaceChildren();
  for (const status of ["updated", "open"]) {
    const page = await api(`/api/v1/escalations?status=${status}&limit=200`);
    for (const e of page.items.reverse()) placeEscalation(e, false);
  }
}

// --- refused messages -----------------------------------------------------------------------

// What intake refused and why (a partner sees its own): not on the live stream, so it is asked
// for with the pipeline, every PIPELINE_MS. The reason and the message, never the bytes.
async function loadRejections() {
  const page = await api("/api/v1/rejections?limit=20");
  const rows = page.items.map((r) => el("li", {},
    el("strong", {}, r.reason.replaceAll("_", " ")),
    ` · ${r.partner_id ?? "unknown sender"} · ${r.topic.replace(/^.*?ingress\./, "")}`,
    el("div", {}, r.message.length > 200 ? `${r.message.slice(0, 200)}…` : r.message),
    el("div", { class: "muted" }, time(r.rejected_at))));
  if (!rows.length) rows.push(el("li", { class: "muted" }, "none"));
  $("rejections").replaceChildren(...rows);
}

// --- is anything stuck? ---------------------------------------------------------------------

function minutes(s) { return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`; }

// A processor with records waiting and no progress for `late_after_seconds` is named at the top.
async function loadPipeline() {
  const data = await api("/api/v1/pipeline");
  const late = data.processors.filter((p) =>
    p.stalled_seconds !== null && p.stalled_seconds >= data.late_after_seconds);
  const banner = $("late");
  if (data.stale) {
    banner.hidden = false;
    const since = data.checked_at ? time(data.checked_at) : "it started";
    banner.textContent = "Whether decisions and escalations keep up is unknown: the operations" +
      ` centre has not reached the broker or the database since ${since}.`;
    return;
  }
  banner.hidden = late.length === 0;
  banner.textContent = late.length === 0 ? "" : "Decisions and escalations may be late: " +
    late.map((p) => `${p.processor} has made no progress for ${minutes(p.stalled_seconds)}` +
      ` with ${fmt(p.waiting)} record${p.waiting === 1 ? "" : "s"} waiting` +
      (p.workers ? "" : " and no worker running"))
      .join("; ") + ". The engineer on call: `corridor status`, and the processor's log.";
}

// --- live stream ----------------------------------------------------------------------------

function scheduleRefresh() {
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    loadSituation().catch(console.error);
    loadMap().catch(console.error);
  }, REFRESH_MS);
}

function handle(event, data) {
  if (event === "ready") { setLive(true); return; }
  if (event === "reset") { loadAll(); return; }
  if (event === "decision") addDecision(JSON.parse(data));
  else if (event === "escalation") placeEscalation(JSON.parse(data), true);
  else return;
  scheduleRefresh();
}

function setLive(on) {
  const live = $("live");
  live.className = `status ${on ? "on" : "off"}`;
  live.textContent = on ? "live" : "reconnecting…";
}

async function stream() {
  for (let delay = 1000; ; delay = Math.min(delay * 2, 30000)) {
    try {
      const response = await fetch("/api/v1/stream",
        { headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" } });
      if (response.status === 401) { logout(); return; }
      if (!response.ok) throw new Error(`stream: ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message", data = "";
          for (const line of frame.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) handle(event, data);
          delay = 1000;
        }
      }
    } catch (err) {
      console.warn(err);
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

// --- start ----------------------------------------------------------------------------------

function loadAll() {
  return Promise.all([loadSituation(), loadMap(), loadDecisions(), loadEscalations(),
    loadPipeline(), loadRejections()]);
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  $("board").hidden = true;
  $("login").hidden = false;
}

async function start() {
  $("login").hidden = true;
  $("board").hidden = false;
  const me = await api("/api/v1/whoami");
  $("who").textContent = me.role === "operator" ? "operator" : `partner ${me.partner_id}`;
  await loadAll().catch(console.error);  // the ledger away: the page still starts, and says so
  pipelineTimer ??= setInterval(() => {
    loadPipeline().catch(console.error);
    loadRejections().catch(console.error);
  }, PIPELINE_MS);
  stream();
}

document.addEventListener("DOMContentLoaded", () => {
  // The token arrives in the URL fragment (never sent to the server) and is kept per tab.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  token = sessionStorage.getItem(TOKEN_KEY);
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    start().catch(console.error);
  });
  if (token) start().catch(console.error); else logout();
});
