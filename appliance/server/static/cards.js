// Raspberry Wabbit dashboard: the cards of the observers, the policy values, the sensing and the camera previews.
"use strict";
const preview = { sources: [], states: {}, timer: null, busy: false };  // camera previews (server.camera_preview)
const PREVIEW_EVERY_MS = 1000;

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
  let response, frame;
  try {
    response = await fetch(`/api/preview/${encodeURIComponent(id)}`, { credentials: "same-origin", cache: "no-store" });
    if (response.ok) frame = await response.blob();
  } catch (e) {  // no answer, or cut off in its body
    caption.textContent = `${id}: no connection`;
    return;
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON: keep the status */ }
    caption.textContent = `${id}: ${detail}`;
    return;
  }
  if (!img.isConnected) return;  // the cards were re-rendered (or cleared) meanwhile: nobody would revoke its URL
  const old = img.src;
  img.src = URL.createObjectURL(frame);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  caption.textContent = id;
}
