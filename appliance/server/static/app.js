// Raspberry Wabbit dashboard: log in with the token (session cookie), then follow /api/stream (SSE).
"use strict";
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
  state.stream = null;  // a retry of it already waiting (streamRefused) does not open it again
  clearTimeout(model.whyTimer);  // nor is an explanation waiting asked for (its 401 would stand in the panel)
  model.whyTimer = null;
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
  const asked = state.told;
  const { status, body } = await api(`/api/events?limit=${RECENT_ROWS}`);
  if (status !== 200) return;
  for (const e of [...body.events].reverse()) {
    const cell = cellOf(e.event_id);
    if (cell && Number(cell.dataset.told) > asked) continue;  // the stream told of a reward or join after this answer's
    upsertEventRow(e, e.status === "joined" ? learnedText(e) :
      e.rewards_so_far.length ? rewardText(e.rewards_so_far[e.rewards_so_far.length - 1], "accepted") : "pending");
  }
  const newest = body.events[0];
  if (newest && (!state.current || newest.timestamp > state.current.timestamp)) showDecision(newest);
}

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

function onReward(r) { streamTold(r.event_id, rewardText(r.reward, r.status)); }
function onJoined(j) { streamTold(j.event_id, learnedText(j)); }
function streamTold(eventId, text) {  // what the stream told of a decision's reward: newer than an answer to loadRecent under way
  const cell = cellOf(eventId);
  if (!cell) return;
  cell.textContent = text;
  cell.dataset.told = state.told += 1;
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
  const blocked = Boolean(s.disk && s.disk.message);  // full, or read-only
  $("disk-full").hidden = !blocked;
  if (blocked) $("disk-full").textContent = `${s.disk.read_only ? "Disk read-only" : "Disk full"}: ${s.disk.message}.`;
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
