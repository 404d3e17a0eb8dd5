// Raspberry Wabbit dashboard, shared by its scripts (loaded first): the page state, element and number helpers, the
// API call, the views and tables. Then models.js, panel.js, cards.js, app.js (log-in, the live stream, the stats) and
// editor.js (the config editor and Kit page).
"use strict";
const $ = (id) => document.getElementById(id);
const state = { current: null, handRewards: 0, seen: 0, points: [], stream: null, mode: null, configError: null, loopless: false,
  policy: null, told: 0 };  // policy: its kind and VW arguments ("vw --cb_explore_adf ..."), null without a loop; told:
  // the rewards and joins the stream has told (a number each reward cell keeps of when it was set by the stream)

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
// Answers may cross: a slow one asked before a policy switch, a search or a roll-back can come after a later one's.
// ticket(kind) before asking; once answered, its latest() is false if a later request's answer came first (drop it).
const tickets = { asked: {}, shown: {} };
function ticket(kind) {
  const number = tickets.asked[kind] = (tickets.asked[kind] || 0) + 1;
  return { latest() {
    if (number < (tickets.shown[kind] || 0)) return false;
    tickets.shown[kind] = number;
    return true;
  } };
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

function table(id, rows) {  // fills the table's body if it has one (a header stays)
  const t = $(id).tBodies[0] || $(id);
  t.replaceChildren();
  for (const cells of rows) {
    const tr = el("tr");
    for (const c of cells) tr.append(c instanceof Node ? c : el("td", c));
    t.append(tr);
  }
}
