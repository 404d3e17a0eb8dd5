// Raspberry Wabbit: the config editor (#config) and the Kit page (#kit). Uses app.js's $, el, api and table.
"use strict";
// safe: why the daemon is in safe mode, else null; version: the config in force the text was edited from (PUT's base)
const editor = { loaded: false, name: "config.yaml", safe: null, version: null };
const LINE_PX = 19.5;  // the textarea's and the gutter's line height (style.css: 13px / 1.5)

document.addEventListener("view", (e) => {
  if (e.detail === "editor" && !editor.loaded) openEditor();
  if (e.detail === "kit") openKit();
});

// -- the editor ------------------------------------------------------------------------------------------------
async function openEditor() {
  editor.loaded = true;
  const { body } = await api("/api/demos");
  for (const d of (body && body.demos) || []) {
    const option = el("option", `${d.name}: ${d.title}`);
    option.value = d.name;
    $("demo-select").append(option);
  }
  await loadCurrent();
}

async function loadCurrent() {
  const asked = ticket("editor-text"), inForce = ticket("config-in-force");  // the text: shared with Load demo
  const { status, body } = await api("/api/config");
  if (status === 200 && inForce.latest()) {  // what is in force, which an Apply's base is, whatever the text shown
    editor.safe = body.error;
    editor.version = body.version;
  }
  if (!asked.latest()) return;  // a later load (current or demo) came first: its text stays
  if (status !== 200) { say((body && body.detail) || `HTTP ${status}`); return; }
  const path = body.path || "config.yaml";
  setText(body.yaml, path.split("/").pop());
  if (body.error) await safeMode(); else say(`The config in force (${path}).`);
}

async function safeMode() {  // the check's problems, or (a config valid on its own that could not start) why not
  const checked = await check();
  if (checked && checked.valid) problems([{ line: null, text: editor.safe }]);
  if (checked) say(`The daemon is in safe mode: ${checked.valid ? "this config is valid, but it could not start (below)" :
                    "its config is invalid"}. Fix it here and apply.`);
}

function setText(text, name) {
  editor.name = name;
  $("config-text").value = text;
  problems([]);
}

function say(text) { $("editor-status").textContent = text; }

function gutter(badLines = new Set()) {
  const count = $("config-text").value.split("\n").length;
  const lines = [];
  for (let i = 1; i <= count; i++) lines.push(el("span", i, badLines.has(i) ? "bad" : ""));
  $("gutter").replaceChildren(...lines);
  $("gutter").scrollTop = $("config-text").scrollTop;
}

function problems(list) {  // [{line, text}]: listed under the editor, and their lines marked in the gutter
  $("config-problems").replaceChildren(...list.map((p) => {
    const item = el("li", null, "error");
    if (p.line) {
      const jump = el("button", `line ${p.line}`, "link");
      jump.addEventListener("click", () => goTo(p.line));
      item.append(jump, " ");
    }
    item.append(p.text);
    return item;
  }));
  gutter(new Set(list.map((p) => p.line).filter(Boolean)));
}

function goTo(line) {
  const area = $("config-text"), lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  area.scrollTop = Math.max(0, (line - 3) * LINE_PX);
}

async function check(startPolicy = true) {  // Apply's check leaves a changed policy to its PUT, which tries it anyway
  const asked = ticket("check");  // null: not checked, or a check asked later (of a later text) answered first
  const { status, body } = await api("/api/config/validate", { method: "POST",
    body: JSON.stringify({ yaml: $("config-text").value, name: editor.name, start_policy: startPolicy }) });
  if (!asked.latest()) return null;  // its problems are of a text edited since, and an apply waiting on it is dropped
  if (status !== 200) { say((body && body.detail) || `HTTP ${status}`); return null; }
  problems(body.errors);
  if (!body.valid) {
    say(`${body.errors.length} problem${body.errors.length > 1 ? "s" : ""}: fix ${body.errors.length > 1 ? "them" : "it"} and check again.`);
    return body;
  }
  const live = body.applies_live.length ? `Applying restarts: ${body.applies_live.join(", ")}.` : "Applying changes nothing now.";
  const later = body.restart_required.length ? ` Takes effect after a restart: ${body.restart_required.join(", ")}.` : "";
  say(`Valid. ${live}${later}` + (body.warnings.length ? ` Warning: ${body.warnings.join(" ")}` : ""));
  return body;
}

async function apply() {  // the button waits meanwhile: a double click's second PUT, on the same base, would be refused
  $("apply-config").disabled = true;
  try { await checkAndPut(); } finally { $("apply-config").disabled = false; }
}

async function checkAndPut() {
  const checked = await check(false);
  if (!checked || !checked.valid) return;
  say("Applying…");
  const inForce = ticket("config-in-force");  // a Load current asked before it and answered after: not the newer
  const { status, body } = await api("/api/config", { method: "PUT", body: JSON.stringify({ yaml: $("config-text").value, base: editor.version }) });
  if (status !== 200) {
    const detail = String((body && body.detail) || `HTTP ${status}`);
    problems(detail.split("\n").map((text) => ({ line: Number((text.match(/^[^:\s]+:(\d+): /) || [])[1]) || null, text })));
    say(`Not applied (HTTP ${status}): ${editor.safe ? "the daemon stays in safe mode" : "the previous config still runs"}.`);
    return;
  }
  if (inForce.latest()) {
    editor.safe = null;
    editor.version = body.version;
  }
  const restart = body.restart_required.length > 0;
  $("restart-daemon").hidden = !restart;
  say(`Applied and written to ${body.path}.` + (body.restarted.length ? ` Restarted: ${body.restarted.join(", ")}.` : "") +
      (restart ? ` ${restartText(body.restart_required)}: press “Restart the daemon now”.` : ""));
}

function restartText(sections) {  // ["join", "policy"]: "The join and policy sections take effect after a restart"
  const names = sections.length > 1 ? `${sections.slice(0, -1).join(", ")} and ${sections[sections.length - 1]}` : sections[0];
  return `The ${names} ${sections.length > 1 ? "sections take" : "section takes"} effect after a restart`;
}

async function restartDaemon() {  // back when a daemon answers that started after the request
  const asked = Date.now() / 1000;
  const { status, body } = await api("/api/restart", { method: "POST" });
  if (status !== 202) { say((body && body.detail) || `HTTP ${status}`); return; }
  say("Restarting…");
  $("restart-daemon").hidden = true;
  for (let i = 0; i < 120; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await api("/api/status");  // status 0 while it is down
    if (now.status === 200 && Date.now() / 1000 - now.body.uptime_s > asked) {
      await loadCurrent();  // what the restarted daemon read (hand edits of the file too), and whether it runs
      if (!editor.safe) say("Restarted: the whole config is in force.");
      connect();
      return;
    }
  }
  say("The daemon did not come back within a minute: see its log (journalctl -u wabbit, or the terminal).");
}

$("config-text").addEventListener("input", () => gutter());
$("config-text").addEventListener("scroll", () => { $("gutter").scrollTop = $("config-text").scrollTop; });
$("load-current").addEventListener("click", loadCurrent);
$("check-config").addEventListener("click", () => check());
$("apply-config").addEventListener("click", apply);
$("restart-daemon").addEventListener("click", restartDaemon);
$("load-demo").addEventListener("click", async () => {
  const name = $("demo-select").value;
  if (!name) { say("Pick a demo first."); return; }
  const asked = ticket("editor-text");
  const { status, body } = await api(`/api/demos/${encodeURIComponent(name)}`);
  if (!asked.latest()) return;
  if (status !== 200) { say((body && body.detail) || `HTTP ${status}`); return; }
  setText(body.yaml, `${name}.yaml`);
  say(`Loaded the demo ${name} (not applied yet): check it, then apply it.`);
});

// -- the Kit page ----------------------------------------------------------------------------------------------
async function openKit() {  // each time the page is shown: the config in force may have changed since
  const asked = ticket("wiring");
  const { status, body } = await api("/api/kit/wiring");
  if (!asked.latest()) return;  // a later visit's answer came first: this one's wiring may be of an older config
  if (status !== 200) { $("wiring-note").textContent = (body && body.detail) || `HTTP ${status}`; return; }
  table("wiring-table", body.rows.map((r) => [r.device, r.terminal, r.pin, r.through]));
  $("wiring-note").textContent = body.error ? `${body.config} cannot be wired as written: ${body.error}` : body.rows.length ?
    `What to wire for ${body.config}. Pins are BCM names (GPIO17) with the physical pin number on the 40-pin header.` :
    `${body.config} drives no GPIO pins. Load the hello-world demo in the Config page to get an LED and a button.`;
  const stamp = Date.now();
  for (const view of ["breadboard", "schematic"]) {
    $(`wiring-${view}`).hidden = Boolean(body.error);
    if (!body.error) $(`wiring-${view}`).src = $(`wiring-${view}-link`).href = `/api/kit/wiring.svg?view=${view}&t=${stamp}`;
  }
  if (!$("kits").childElementCount) openParts();
}

async function openParts() {
  const { status, body } = await api("/api/kit/parts");
  if (status !== 200) return;
  $("kits").replaceChildren(...body.kits.map((kit) => {
    const card = el("div", null, "card kit");
    card.dataset.kit = kit.id;
    const base = kit.adds_to ? ` with the ${kit.adds_to} kit` : "";
    card.append(el("h2", `${kit.name} kit: $${kit.total.toFixed(2)}${base}`), el("p", kit.summary, "muted"));
    const rows = el("tbody");
    for (const item of kit.items) {
      item.parts.forEach((part, i) => {
        const tr = el("tr", null, i ? "choice" : "");
        const links = el("td");
        for (const link of part.links) {
          const a = el("a", link.vendor);
          a.href = link.url;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          links.append(a, " ");
        }
        const name = el("td");
        name.append(el(i ? "span" : "b", part.name), el("div", i ? "" : item.note, "muted"));
        tr.append(el("td", i ? "or" : item.quantity), name, el("td", part.purpose), el("td", `$${part.price.toFixed(2)}`), links,
                  el("td", part.alternatives.map((a) => `${a.name}: ${a.note}`).join(" · ") || "-"));
        rows.append(tr);
      });
    }
    const head = el("thead");
    const labels = el("tr");
    for (const label of ["qty", "part", "what it is for", "price", "buy", "also known to work"]) labels.append(el("th", label));
    head.append(labels);
    const parts = el("table");
    parts.append(head, rows);
    const scroll = el("div", null, "scroll");
    scroll.append(parts);
    card.append(scroll);
    return card;
  }));
}
