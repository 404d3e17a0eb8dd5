// Raspberry Wabbit dashboard: the model panel of the loop's policy (a decision's "why", the top features).
"use strict";

// The model panel: the current decision's "why" (at most one request a second, so while decisions come faster it
// may explain an earlier one: its note names the decision) and the top features, searchable. A policy that refuses
// either (409: linucb, uniform, a VW model without explanations) is not asked again until the policy changes.
const model = { whyTimer: null, decision: null, searchTimer: null, featuresTimer: null, whyRefused: false, featuresRefused: false };
function explainSoon(decision) {
  model.decision = decision;
  if (!model.whyTimer && model.whyRefused !== state.policy) model.whyTimer = setTimeout(whyDue, 1000);
}
function whyDue() {  // a refusal may have come while it waited (an answer to a request already under way)
  model.whyTimer = null;
  if (model.whyRefused !== state.policy) loadWhy();
}

function policyKey(p) { return `${p.type} ${p.arguments || ""}`; }  // a policy (/api/status's loop.policy), to compare
function refusedBy(status, body) {  // the policy a 409 came from: the one the daemon names (else safe mode: the page's)
  return status !== 409 ? false : body && body.policy ? policyKey(body.policy) : state.policy;
}

async function loadWhy() {
  clearTimeout(model.whyTimer);  // asked now (a new policy's stats): a request already waiting would ask twice
  model.whyTimer = null;
  const d = model.decision, asked = ticket("why");
  const { status, body } = await api(`/api/events/${encodeURIComponent(d.event_id)}/explanation`);
  if (!asked.latest()) return;  // a later decision's (or policy's) answer is shown
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
  const search = $("feature-search").value.trim(), asked = ticket("features");
  const { status, body } = await api(`/api/model/features?limit=15${search ? `&search=${encodeURIComponent(search)}` : ""}`);
  if (!asked.latest()) return;  // asked before a later search or policy: its rows or refusal are not the ones in force
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
