"""The dashboard in headless Chromium across a switch of policy kind (``vw`` to ``linucb`` through the config API and
a restart, and back): the model panel drops the VW model's features and stops asking a policy without a model to
explain, until the policy changes again; the model menu says a loop model's policy kind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from tests.api.conftest import FAST, Running, daemon_running
from tests.browser import console_errors, log_in, needs_chromium, with_held_answers

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page


LINUCB = "policy: {type: linucb, actions: [{id: a}, {id: b}]}\n"
RESTART_MS = 60_000
"""A restart of the loop on two loaded cores may take tens of seconds; what follows it is held to the page's own pace."""


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path) as daemon:
        yield daemon


def test_the_model_panel_follows_a_switch_of_kind_and_the_menu_names_a_loop_models_kind(running: Running, page: Page) -> None:
    pg, expect = page, sync_api.expect
    errors = console_errors(pg, expected=("401", "409", "ERR_CONNECTION_REFUSED"))  # the refusals, the restart
    with running.client() as c:
        assert c.post("/api/models", json={"name": "lin", "config_yaml": LINUCB}).status_code == 201
    pg.goto(running.base)
    log_in(pg, running.token)
    pg.select_option("#model-select", "lin")  # the model menu: a loop model says its policy's kind, and no VW figures
    expect(pg.locator("#model-kind")).to_have_text("a loop model with a linucb policy (running)", timeout=5_000)
    expect(pg.locator("#model-stats")).to_contain_text("pending joins")
    assert "features" not in pg.locator("#model-stats").inner_text()
    pg.select_option("#model-select", "default")
    rows = pg.locator("#features tbody tr")
    expect(rows.first).to_be_visible(timeout=15_000)  # the VW model's terms
    expect(pg.locator("#policy-kind")).to_have_text("vw")
    with running.client() as c:
        answer = c.put("/api/config", json={"yaml": FAST + "policy:\n  type: linucb\n"})
        assert answer.status_code == 200 and answer.json()["restart_required"] == ["policy"], answer.text
        assert c.post("/api/restart").status_code == 202
    expect(pg.locator("#policy-kind")).to_have_text("linucb", timeout=RESTART_MS)  # the restarted loop's first stats
    # then, without waiting for the 10 s refresh: the new kind's refusal, and no row left from the VW model
    expect(pg.locator("#features-note")).to_contain_text("LinUCBPolicy, which has no Vowpal Wabbit model", timeout=5_000)
    expect(rows).to_have_count(0)
    expect(pg.locator("#why-note")).to_contain_text("LinUCBPolicy, which has no model to explain", timeout=5_000)
    expect(pg.locator("#why .action")).to_have_count(0)
    # a decision of the new loop may come before the stats naming its policy: its refusal is held against the policy
    # the daemon names in it, not the old one the page still holds, so the page does not ask again when the stats come
    pg.wait_for_function("model.whyRefused === state.policy && model.featuresRefused === state.policy", timeout=10_000)
    held = pg.evaluate("""async () => {  // asked while the page still holds the old policy (no stats meanwhile)
        state.stream.close();
        const policy = state.policy;
        state.policy = "vw --the-old-one";
        await Promise.all([loadWhy(), loadFeatures()]);
        const held = [model.whyRefused, model.featuresRefused];
        state.policy = policy;
        connect();
        return [policy, held];
    }""")
    assert held[1] == [held[0], held[0]], held  # each refusal held against the policy that made it, named by the daemon
    # answers asked under the VW model that came after this policy's refusals (a refresh under way across the switch):
    # dropped, so no VW rows show and the refusals stand (else the page asks this policy again)
    late = with_held_answers(pg, {
        "/model/features": {"rows": [{"name": "old", "weight": 1, "min": None, "max": None, "importance": 1}], "total": 1,
                            "decisions_read": 1, "unnamed": 0, "note": None},
        "/explanation": {"actions": [{"action": "a", "chosen": True, "score": 1, "probability": 1, "top": []}], "exploratory": False},
    }, """async () => {
        const old = Promise.all([loadWhy(), loadFeatures()]);  // asked first, answered last
        await Promise.all([loadWhy(), loadFeatures()]);
        releaseHeld();
        await old;
        return [model.whyRefused === state.policy, model.featuresRefused === state.policy,
                document.querySelectorAll("#features tbody tr, #why .action").length];
    }""")
    assert late == [True, True, 0], late
    asked: list[str] = []
    pg.on("request", lambda r: asked.append(r.url) if "/explanation" in r.url or "/model/features" in r.url else None)
    pg.wait_for_timeout(3_000)  # about 30 decisions: none asks again what this policy refused
    assert asked == [], asked
    # a decision that came while the refused request was under way: its wait ends without asking (CI once saw it ask)
    pg.evaluate("() => { const refused = model.whyRefused; model.whyRefused = false; explainSoon(model.decision); model.whyRefused = refused; }")
    pg.wait_for_timeout(1_500)
    assert asked == [], asked
    expect(pg.locator("#why-note")).to_contain_text("no model to explain")
    with running.client() as c:  # back to VW: asked again, explained again
        assert c.put("/api/config", json={"yaml": FAST}).status_code == 200
        assert c.post("/api/restart").status_code == 202
    expect(pg.locator("#policy-kind")).to_have_text("vw", timeout=RESTART_MS)
    expect(pg.locator("#why .action").first).to_be_visible(timeout=5_000)
    expect(pg.locator("#features-note")).to_contain_text("logged decisions", timeout=5_000)
    assert not errors, errors
