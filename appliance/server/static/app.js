// Raspberry Wabbit dashboard: log in with the token (session cookie), then follow /api/stream (SSE).
"use strict";
const $ = (id) => document.getElementById(id);
const state = { current: null, handRewards: 0, seen: 0, points: [], stream: null, mode: null, configError: null, loopless: false,
  policy: null };  // policy: its kind and VW arguments ("vw --cb_explore_adf ..."), null without a loop
const preview = { sources: [], states: {}, timer: null, busy: false };  // camera previews (server.camera_preview)
const PREVIEW_EVERY_MS = 1000;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
const fmt = (v, digits = 3) => (v === null || v === undefined || Number.isNaN(v) ? "-" : Number(v).toFixed(digits));
const DURATION_UNITS = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
function durationText(seconds) {  // its two largest units, as a person says it: "59 s", "2 h 5 min", "3 d 4 h"
  const whole = Math.max(0, Math.floor(seconds));
  const found = DURATION_UNITS.findIndex(([, size]) => whole >= size);
  const i = found >= 0 ? found : DURATION_UNITS.length - 1;  // under a second: "0 s"
  const [name, size] = DURATION_UNITS[i];
  const next = DURATION_UNITS[i + 1];
  const rest = next ? Math.floor((whole % size) / next[1]) : 0;
  return `${Math.floor(whole / size)} ${name}` + (rest ? ` ${rest} ${next[0]}` : "");
}

async function api(path, options = {}) {  // status 0: no connection (the daemon restarting, the network gone)
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...options,
      headers: { "Content-Type": "application/json", ...(options.headers || {}) } });
  } catch (e) {
    return { status: 0, body: { detail: "no connection to the daemon" } };
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

// Views: log-in, and once in, the dashboard, the config editor (#config) and the Kit page (#kit); editor.js fills the last two.
const VIEWS = { "#config": "editor", "#kit": "kit" };
const MAINS = { dashboard: "dashboard", editor: "editor", kit: "kit", model: "model-view" };  // view -> its <main>
function show(view) {
  $("login").hidden = view !== "login";
  for (const [name, id] of Object.entries(MAINS)) $(id).hidden = view !== name;
  $("logout").hidden = $("views").hidden = $("model-select").hidden = view === "login";
  for (const a of $("views").querySelectorAll("a")) a.classList.toggle("current", a.dataset.view === view);
  if (view !== "model" && $("model-select").value !== "default") { clearInterval(models.timer); $("model-select").value = "default"; }
  document.dispatchEvent(new CustomEvent("view", { detail: view }));
}

// Several models: the select lists them (refreshed every 10 s); "default" is the dashboard above, another one the
// model view (its statistics and saved versions, each one a roll-back away), refreshed every 2 s while shown.
const models = { timer: null, listTimer: null };
async function loadModels() {
  const { status, body } = await api("/api/models");
  if (status !== 200) return;
  const select = $("model-select"), chosen = select.value;
  select.replaceChildren(...body.map((m) => { const o = el("option", `${m.name} (${m.kind})`); o.value = m.name; return o; }));
  select.value = body.some((m) => m.name === chosen) ? chosen : "default";
  if (select.value !== chosen) switchModel();
}
$("model-select").addEventListener("change", switchModel);
function switchModel() {
  clearInterval(models.timer);
  $("model-note").textContent = "";  // a roll-back's note belongs to the model it was done to
  const name = $("model-select").value;
  if (name === "default") { show("dashboard"); return; }
  show("model");
  loadModel(name);
  models.timer = setInterval(() => { if (!document.hidden) loadModel(name); }, 2000);
}

async function loadModel(name) {
  const path = `/api/models/${encodeURIComponent(name)}`;
  const [{ body: info }, { status, body: stats }, { body: versions }] = await Promise.all([api(path), api(`${path}/statistics`), api(`${path}/versions`)]);
  if (!info || $("model-select").value !== name) return;
  $("model-name").textContent = name;
  const loop = info.status.loop || {}, policy = (loop.policy && loop.policy.type) || "";
  $("model-kind").textContent = info.kind === "vw" ? `a vw model: ${info.status.arguments}` :
    `a loop model${policy && ` with a ${policy} policy`} (${info.status.state})`;
  $("model-error").hidden = !info.status.error;
  $("model-error").textContent = info.status.error || "";
  const rows = status === 200 ? [["version", stats.model_version], ["examples learned", stats.examples],
    ["weighted examples", fmt(stats.weighted_examples, 1)], ["average loss", fmt(stats.average_loss, 4)]] : [];
  if (status === 200 && stats.features !== null) rows.push(["features", stats.features], ["non-zero weights", stats.nonzero_weights]);  // VW's
  if (info.kind === "loop") rows.push(["pending joins", loop.pending ?? "-"], ["average reward", fmt(loop.reward_avg)]);
  table("model-stats", rows);
  table("model-versions", (versions || []).map((v, i) => {
    const cell = el("td");
    if (i > 0) {
      const button = el("button", "roll back", "secondary");
      button.addEventListener("click", () => rollback(name, v.version));
      cell.append(button);
    }
    return [v.version, new Date(v.created * 1000).toLocaleString(), v.size, cell];
  }));
}

async function rollback(name, version) {
  const { status, body } = await api(`/api/models/${encodeURIComponent(name)}/rollback`, { method: "POST", body: JSON.stringify({ version }) });
  $("model-note").textContent = status === 200 ? `rolled back to version ${body.version}` : (body && body.detail) || `HTTP ${status}`;
  loadModel(name);
}
window.addEventListener("hashchange", () => { if ($("login").hidden) show(VIEWS[location.hash] || "dashboard"); });

async function boot() {
  const { status, body } = await api("/api/status");
  if (status === 401) { show("login"); $("token").focus(); return; }
  show(VIEWS[location.hash] || "dashboard");
  if (body) onStats(body);
  connect();
  loadModels();
  if (!models.listTimer) models.listTimer = setInterval(() => { if (!document.hidden) loadModels(); }, 10000);
  loadFeatures();
  if (!model.featuresTimer) model.featuresTimer = setInterval(() => {
    if (!document.hidden && !$("dashboard").hidden && model.featuresRefused !== state.policy) loadFeatures();
  }, 10000);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const { status, body } = await api("/api/login", { method: "POST", body: JSON.stringify({ token: $("token").value.trim() }) });
  if (status === 204) { $("token").value = ""; boot(); return; }
  $("login-error").textContent = (body && body.detail && String(body.detail)) || `log-in failed (HTTP ${status})`;
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  loggedOut("");
});

function loggedOut(why) {  // back to the log-in form, the stream closed, ``why`` said above the form
  if (state.stream) state.stream.close();
  onPreview(null);
  show("login");
  $("login-error").textContent = why;
}

function connect() {
  if (state.stream) state.stream.close();
  const stream = new EventSource("/api/stream");
  state.stream = stream;
  stream.addEventListener("open", () => { $("connection").textContent = "live"; $("connection").className = "badge live"; loadRecent(); });
  stream.addEventListener("error", () => {
    $("connection").textContent = "reconnecting";
    $("connection").className = "badge";
    if (stream.readyState === EventSource.CLOSED) streamRefused(stream);
  });
  stream.addEventListener("stats", (e) => onStats(JSON.parse(e.data)));
  stream.addEventListener("decision", (e) => onDecision(JSON.parse(e.data)));
  stream.addEventListener("reward", (e) => onReward(JSON.parse(e.data)));
  stream.addEventListener("joined", (e) => onJoined(JSON.parse(e.data)));
}

// The browser retries a stream cut off by itself, but gives up on one refused with an HTTP error: a 401 once the
// daemon's token has changed (every session ends), or a 5xx from a proxy. Then say why, or try again in a while.
async function streamRefused(stream) {
  const { status } = await api("/api/status");
  if (state.stream !== stream) return;
  if (status === 401) {
    loggedOut("Your session has ended (the daemon's access token changed, or it is 30 days old): log in again " +
      "with the token, which is in the file token in the data directory.");
    return;
  }
  setTimeout(() => { if (state.stream === stream) connect(); }, STREAM_RETRY_MS);
}
const STREAM_RETRY_MS = 3000;

function onDecision(d) {
  state.seen += 1;
  $("decisions-seen").textContent = state.seen;
  showDecision(d);
  upsertEventRow(d, "pending");
}

function showDecision(d) {  // the decision in force: its action, probability and pmf, the reward buttons, its "why"
  state.current = d;
  $("decision-action").textContent = d.action;
  $("decision-event").textContent = d.event_id;
  $("decision-probability").textContent = fmt(d.probability);
  $("reward-good").disabled = $("reward-bad").disabled = false;
  const bars = $("pmf");
  bars.replaceChildren();
  for (const [action, p] of Object.entries(d.pmf)) {
    const row = el("div", null, "bar" + (action === d.action ? " chosen" : ""));
    const track = el("div", null, "track");
    const fill = el("div", null, "fill");
    fill.style.width = `${Math.round(p * 100)}%`;
    track.append(fill);
    row.append(el("span", action, "name"), track, el("span", fmt(p, 2)));
    bars.append(row);
  }
  explainSoon(d);
}

// The decisions made before the page opened, or while the stream was down (the daemon restarting): asked for each
// time the stream opens, so the decision in force and the recent ones show without waiting for the next decision.
async function loadRecent() {
  const { status, body } = await api(`/api/events?limit=${RECENT_ROWS}`);
  if (status !== 200) return;
  for (const e of [...body.events].reverse()) upsertEventRow(e, e.status === "joined" ? learnedText(e) :
    e.rewards_so_far.length ? rewardText(e.rewards_so_far[e.rewards_so_far.length - 1], "accepted") : "pending");
  const newest = body.events[0];
  if (newest && (!state.current || newest.timestamp > state.current.timestamp)) showDecision(newest);
}

// The model panel: the current decision's "why" (at most one request a second, so while decisions come faster it
// may explain an earlier one: its note names the decision) and the top features, searchable. A policy that refuses
// either (409: linucb, uniform, a VW model without explanations) is not asked again until the policy changes.
const model = { whyTimer: null, decision: null, searchTimer: null, featuresTimer: null, whyRefused: false, featuresRefused: false };
function explainSoon(decision) {
  model.decision = decision;
  if (!model.whyTimer && model.whyRefused !== state.policy) model.whyTimer = setTimeout(loadWhy, 1000);
}

function policyKey(p) { return `${p.type} ${p.arguments || ""}`; }  // a policy (/api/status's loop.policy), to compare
function refusedBy(status, body) {  // the policy a 409 came from: the one the daemon names (else safe mode: the page's)
  return status !== 409 ? false : body && body.policy ? policyKey(body.policy) : state.policy;
}

async function loadWhy() {
  model.whyTimer = null;
  const d = model.decision;
  const { status, body } = await api(`/api/events/${encodeURIComponent(d.event_id)}/explanation`);
  model.whyRefused = refusedBy(status, body);
  if (status !== 200) {  // no boxes left from an earlier decision under the reason
    $("why-note").textContent = (body && body.detail) || `HTTP ${status}`;
    $("why").replaceChildren();
    return;
  }
  const chosen = body.actions.find((a) => a.chosen);
  $("why-note").textContent = `The decision at ${new Date(d.timestamp * 1000).toLocaleTimeString()} (${chosen ? chosen.action : "?"}): ${
    body.exploratory ? "an exploratory pick (not the best score)" :
    "the best score"}. Scores are expected rewards, the sum of value × weight.`;
  $("why").replaceChildren(...body.actions.map((a) => {
    const box = el("div", null, "action" + (a.chosen ? " chosen" : ""));
    box.append(el("b", a.action), el("span", ` score ${fmt(a.score)}, p = ${fmt(a.probability, 2)}`, "muted"));
    const list = el("ul");
    for (const c of a.top.slice(0, 3)) list.append(el("li", `${c.feature}: ${fmt(c.value, 2)} × ${fmt(c.weight)} = ${fmt(c.contribution)}`));
    box.append(list);
    return box;
  }));
}

async function loadFeatures() {
  const search = $("feature-search").value.trim();
  const { status, body } = await api(`/api/model/features?limit=15${search ? `&search=${encodeURIComponent(search)}` : ""}`);
  model.featuresRefused = refusedBy(status, body);
  if (status !== 200) {  // no rows left from an earlier policy (a VW model before a switch to linucb) under the reason
    $("features-note").textContent = (body && body.detail) || `HTTP ${status}`;
    table("features", []);
    return;
  }
  table("features", body.rows.map((r) => [r.name || "(unknown)", fmt(r.weight), r.min === null ? "-" : `${fmt(r.min, 2)}…${fmt(r.max, 2)}`,
    fmt(r.importance)]));
  $("features-note").textContent = `${body.total} terms from ${body.decisions_read} logged decisions` +
    (body.unnamed ? `; ${body.unnamed} weights of terms not in the log` : "") + (body.note ? `. ${body.note}` : "");
}
$("feature-search").addEventListener("input", () => { clearTimeout(model.searchTimer); model.searchTimer = setTimeout(loadFeatures, 300); });

const RECENT_ROWS = 30;
function upsertEventRow(d, reward) {  // the row of decision d (newest first), made if missing; its reward cell set
  const cell = cellOf(d.event_id);
  if (cell) { if (reward !== "pending") cell.textContent = reward; return; }  // a reward shown stays
  const body = $("events").tBodies[0];
  const row = el("tr");
  row.dataset.event = d.event_id;
  row.dataset.timestamp = d.timestamp;
  row.append(el("td", new Date(d.timestamp * 1000).toLocaleTimeString()), el("td", d.action), el("td", fmt(d.probability, 2)),
             el("td", reward));
  const older = [...body.rows].find((r) => Number(r.dataset.timestamp) < d.timestamp);
  body.insertBefore(row, older || null);
  while (body.rows.length > RECENT_ROWS) body.deleteRow(-1);
}

function cellOf(eventId) {
  for (const row of $("events").tBodies[0].rows) if (row.dataset.event === eventId) return row.cells[3];
  return null;
}

const rewardText = (reward, status) => `${fmt(reward, 2)} (${status})`;
const learnedText = (j) => `${fmt(j.reward, 2)} learned (${j.outcome})`;

function onReward(r) {
  const cell = cellOf(r.event_id);
  if (cell) cell.textContent = rewardText(r.reward, r.status);
}

function onJoined(j) {
  const cell = cellOf(j.event_id);
  if (cell) cell.textContent = learnedText(j);
}

async function giveReward(value) {
  const d = state.current;
  if (!d) return;
  const { status, body } = await api("/api/reward", { method: "POST", body: JSON.stringify({ event_id: d.event_id, reward: value }) });
  if (status === 202 || status === 200) {
    state.handRewards += 1;
    $("hand-rewards").textContent = state.handRewards;
    $("reward-status").textContent = `reward ${value} for ${d.action} (${d.event_id}): ${body.status}`;
  } else {
    $("reward-status").textContent = (body && body.detail) || `HTTP ${status}`;
  }
}
$("reward-good").addEventListener("click", () => giveReward(1));
$("reward-bad").addEventListener("click", () => giveReward(0));

function table(id, rows) {  // fills the table's body if it has one (a header stays)
  const t = $(id).tBodies[0] || $(id);
  t.replaceChildren();
  for (const cells of rows) {
    const tr = el("tr");
    for (const c of cells) tr.append(c instanceof Node ? c : el("td", c));
    t.append(tr);
  }
}

function onStats(s) {
  const safe = s.mode === "safe";
  const policy = s.loop && s.loop.policy ? policyKey(s.loop.policy) : null;
  // the loop has started (a config fixed), or its policy changed (another kind): its features, not the earlier ones
  if (s.loop && (state.loopless || (state.policy && policy !== state.policy))) loadFeatures();
  state.loopless = !s.loop;
  state.policy = policy;
  $("safe-mode").hidden = !safe;
  if (safe && (state.mode !== "safe" || s.config_error !== state.configError)) {  // built once, so a click lands
    const link = el("a", "Config page");
    link.href = "#config";
    const why = s.config_valid ? `the config is valid, but ${s.config_error}` : `the config is invalid. ${s.config_error}`;
    $("safe-mode").replaceChildren(`Safe mode: ${why} Fix it in the `, link,
      " and apply it, or edit the file and restart the daemon.");
  }
  state.mode = s.mode;
  state.configError = s.config_error;
  $("uptime").textContent = durationText(s.uptime_s);
  $("uptime").title = `${Math.floor(s.uptime_s)} s`;
  $("temperature").textContent = s.host && s.host.cpu_temperature_c != null ? `${fmt(s.host.cpu_temperature_c, 1)} °C` +
    (s.host.throttled ? ` (throttled 0x${s.host.throttled.toString(16)})` : "") : "-";
  table("workers", Object.entries(s.workers || {}).map(([name, w]) =>
    [name, w.alive ? "alive" : "stopped", `${w.steps} steps`, `${w.restarts} restarts`]));
  onObservers(s.observers || {});
  $("mode").textContent = s.mode || "-";
  onPreview(s.camera_preview, s.sensing);
  if (!s.loop) return;
  $("policy-kind").textContent = (s.loop.policy && s.loop.policy.type) || "-";  // a plug-in may not say its kind
  $("policy-kind").title = (s.loop.policy && s.loop.policy.arguments) || "";  // VW's: its options
  $("model-version").textContent = s.loop.model_version;
  $("learned").textContent = s.loop.learned;
  $("pending").textContent = s.loop.pending;
  $("rewards-total").textContent = s.loop.join.rewards;
  $("decisions-rate").textContent = s.rates && s.rates.decisions_per_s != null ? fmt(s.rates.decisions_per_s, 2) : "-";
  $("reward-avg").textContent = fmt(s.loop.reward_avg);
  $("random-avg").textContent = fmt(s.loop.random_reward_ips);
  const context = (s.sensing && s.sensing.context) || (s.simulation && s.simulation.context) || {};
  const rows = [];
  for (const [ns, features] of Object.entries(context)) for (const [k, v] of Object.entries(features)) rows.push([`${ns}.${k}`, fmt(v)]);
  table("context", rows);
  onSensing(s.sensing, s.triggers);
  const devices = [];
  for (const [name, a] of Object.entries((s.devices && s.devices.actuators) || {})) {
    const on = Array.isArray(a.state) ? a.state.some((x) => x) : Boolean(a.state) && a.state !== "off";
    const cell = el("td", JSON.stringify(a.state), on ? "state-on" : "");
    devices.push([name, a.pins ? Object.keys(a.pins).join(",") : (a.type || "actuator"), cell]);
  }
  for (const [name, f] of Object.entries((s.devices && s.devices.feedback) || {})) devices.push([name, "feedback", `${f.accepted || 0} rewards`]);
  if (!devices.length) devices.push(["simulated", s.devices && s.devices.simulated_gpio ? "mock GPIO" : "no devices configured", "-"]);
  table("devices", devices);
  if (s.reward_history) { state.points = s.reward_history.slice(-120); drawChart(); }
  onValues(Object.values(s.observers || {}).find((o) => o.type === "policy_value"));
}

// The policy_value observer: each policy's estimated value over time with its band (online, random, VW candidates),
// and a table of every policy's latest value, interval and verdict against the online policy.
const VALUE_COLORS = ["var(--accent)", "var(--random)", "#b5651d", "#6a3d9a", "#1b9e77", "#d95f02", "#e7298a", "#66a61e"];
function onValues(v) {
  $("value-card").hidden = !v;
  if (!v) return;
  $("value-confidence").textContent = `(${v.estimator}, ${Math.round(v.confidence * 100)}% ${v.interval === "cs" ? "confidence sequence" : v.interval + " interval"})`;
  table("values", Object.entries(v.candidates).map(([name, c]) => [name, fmt(c.estimate),
    c.interval ? `${fmt(c.interval[0])} .. ${fmt(c.interval[1])}` : "-", fmt(c.events, 0), c.verdict || "-"]));
  const pts = v.chart, svg = $("value-chart"), legend = $("value-legend");
  svg.replaceChildren();
  legend.replaceChildren();
  if (pts.length < 2) return;
  const names = Object.keys(pts[pts.length - 1]).filter((k) => k !== "t");
  const values = pts.flatMap((p) => names.flatMap((n) => p[n] || [])).filter((x) => Number.isFinite(x));
  const lo = Math.min(0, ...values), hi = Math.max(1, ...values);
  const x = (i) => (i / (pts.length - 1)) * 300, y = (w) => 115 - ((Math.min(Math.max(w, lo), hi) - lo) / (hi - lo || 1)) * 110;
  names.forEach((name, k) => {
    const color = VALUE_COLORS[k % VALUE_COLORS.length];
    const idx = pts.map((p, i) => [p[name], i]).filter(([b]) => b);
    const band = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
    band.setAttribute("points", [...idx.map(([b, i]) => `${x(i).toFixed(1)},${y(b[2]).toFixed(1)}`),
      ...[...idx].reverse().map(([b, i]) => `${x(i).toFixed(1)},${y(b[1]).toFixed(1)}`)].join(" "));
    band.setAttribute("class", "band");
    band.style.fill = color;
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", idx.map(([b, i]) => `${x(i).toFixed(1)},${y(b[0]).toFixed(1)}`).join(" "));
    line.setAttribute("class", "value");
    line.style.stroke = color;
    line.dataset.policy = name;
    svg.append(band, line);
    const key = el("span", null, "key");
    key.style.background = color;
    legend.append(key, ` ${name} `);
  });
}

function onSensing(sensing, triggers) {
  $("sensing-card").hidden = !sensing;
  if (sensing) {
    table("sources", Object.entries(sensing.sources).map(([id, src]) => {
      const state = el("td", src.state + (src.last_error ? ` (${src.last_error})` : ""), src.state === "running" ? "state-on" : "error");
      return [id, state, fmt(src.fps, 1), src.dropped];
    }));
    table("featurizers", Object.entries(sensing.featurizers).map(([ns, f]) => [ns, fmt(f.ms_last, 2), fmt(f.ms_mean, 2), f.calls]));
  }
  const each = (triggers && triggers.each) || {};
  const rows = Object.entries(each).map(([name, t]) => [name, `${t.type}: ${t.fired} fired`, t.value != null ? `${t.feature} ${fmt(t.value)}` : ""]);
  if (triggers && triggers.api) rows.push(["api", "POST /api/decide", ""]);
  table("triggers", rows.length ? rows : [["none", "-", ""]]);
}

// The bus's observers: configured ones (built-in or plug-in, by kind) and the daemon's own; an observer that fails or
// stopped shows its last error.
function onObservers(observers) {
  const rows = Object.entries(observers).map(([name, o]) => {
    const trouble = o.errors > 0 || !o.alive;
    const state = el("td", (o.alive ? "alive" : "stopped") + (o.errors ? `, ${o.errors} errors` : "") +
                  (o.last_error ? ` (${o.last_error})` : ""), trouble ? "error" : "");
    return [o.type ? `${name} (${o.type})` : name, state, `${o.delivered} delivered` + (o.dropped ? `, ${o.dropped} dropped` : "")];
  });
  table("observers", rows.length ? rows : [["none", "-", ""]]);
}

// One <img> per video source with a preview, refreshed about once a second while the page is visible. The JPEG is
// fetched with the session cookie and shown as an object URL (the CSP allows blob: images for this).
function onPreview(p, sensing) {
  const ids = p && p.enabled ? p.sources : [];
  if (sensing) preview.states = Object.fromEntries(Object.entries(sensing.sources).map(([id, src]) => [id, src.state]));
  if (ids.join("\n") === preview.sources.join("\n")) return;
  preview.sources = ids;
  clearInterval(preview.timer);
  const box = $("previews");
  for (const img of box.querySelectorAll("img")) if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  box.replaceChildren(...ids.map((id) => {
    const figure = el("figure");
    const img = el("img");
    img.alt = `camera preview of ${id}`;
    img.dataset.source = id;
    figure.append(img, el("figcaption", id));
    return figure;
  }));
  box.hidden = !ids.length;
  if (ids.length) { refreshPreviews(); preview.timer = setInterval(refreshPreviews, PREVIEW_EVERY_MS); }
}

async function refreshPreviews() {
  if (document.hidden || preview.busy) return;
  preview.busy = true;
  try {
    await Promise.all([...$("previews").querySelectorAll("figure")].map(loadPreview));
  } finally {
    preview.busy = false;
  }
}

async function loadPreview(figure) {
  const img = figure.querySelector("img"), caption = figure.querySelector("figcaption"), id = img.dataset.source;
  const capturing = preview.states[id];
  if (capturing !== "running") {  // no frame to fetch (the Sources table shows why)
    caption.textContent = `${id}: ${capturing || "not started"}`;
    return;
  }
  let response;
  try {
    response = await fetch(`/api/preview/${encodeURIComponent(id)}`, { credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    caption.textContent = `${id}: no connection`;
    return;
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON: keep the status */ }
    caption.textContent = `${id}: ${detail}`;
    return;
  }
  const old = img.src;
  img.src = URL.createObjectURL(await response.blob());
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  caption.textContent = id;
}

function drawChart() {
  const svg = $("chart");
  svg.replaceChildren();
  const pts = state.points;
  if (pts.length < 2) return;
  const values = pts.flatMap((p) => [p.reward, p.random]);
  const lo = Math.min(0, ...values), hi = Math.max(1, ...values);
  const x = (i) => (i / (pts.length - 1)) * 300, y = (v) => 115 - ((v - lo) / (hi - lo || 1)) * 110;
  for (const key of ["random", "reward"]) {
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", pts.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" "));
    line.setAttribute("class", key === "reward" ? "policy" : "random");
    svg.append(line);
  }
}

boot();
