// Raspberry Wabbit dashboard: the model menu and the model view (another model than the loop's).
"use strict";

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
  const path = `/api/models/${encodeURIComponent(name)}`, asked = ticket("model");
  const [{ body: info }, { status, body: stats }, { body: versions }] = await Promise.all([api(path), api(`${path}/statistics`), api(`${path}/versions`)]);
  if (!info || !asked.latest() || $("model-select").value !== name) return;  // overtaken (the 2 s refresh, a roll-back), or not shown
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
    const origin = v.origin ? `${v.origin}${v.source_version === null ? "" : ` (${v.source_version})`}` : "learned";
    return [v.version, origin, new Date(v.created * 1000).toLocaleString(), v.size, cell];
  }));
}

async function rollback(name, version) {
  const { status, body } = await api(`/api/models/${encodeURIComponent(name)}/rollback`, { method: "POST", body: JSON.stringify({ version }) });
  if ($("model-select").value !== name) return;  // another model is shown now: the note is not about it
  $("model-note").textContent = status === 200 ? `rolled back to version ${version}, now running as version ${body.version}` : (body && body.detail) || `HTTP ${status}`;
  loadModel(name);
}
