"""The dashboard in Debian's headless Chromium (driven by Playwright): log in, watch live decisions, give a reward."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.api.conftest import Running, daemon_running
from tests.browser import console_errors, log_in, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium
# rewards wait 30 s and the simulated person answers after an hour: the only reward is the one given by hand
CONFIG = ("join:\n  reward_wait_s: 30\nsimulation:\n  decision_every_s: 0.3\n"
          "  delay:\n    distribution: fixed\n    mean_s: 3600\n")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path, CONFIG) as daemon:
        yield daemon


def test_log_in_see_live_decisions_give_a_reward_and_see_it_counted(running: Running, page: object, tmp_path: Path) -> None:
    pg: sync_api.Page = page  # type: ignore[assignment]
    expect = sync_api.expect
    errors = console_errors(pg)
    pg.goto(running.base)
    expect(pg.locator("#login-form")).to_be_visible()
    log_in(pg, "not-the-token")
    expect(pg.locator("#login-error")).to_contain_text("wrong access token")
    log_in(pg, running.token)
    expect(pg.locator("#dashboard")).to_be_visible()
    expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    # live decisions arrive over the stream
    expect(pg.locator("#decisions-seen")).not_to_have_text("0", timeout=10_000)
    seen = int(pg.inner_text("#decisions-seen"))
    expect(pg.locator("#decisions-seen")).not_to_have_text(str(seen), timeout=10_000)
    actions = httpx.get(f"{running.base}/api/status", headers={"Authorization": f"Bearer {running.token}"}).json()["actions"]
    expect(pg.locator("#pmf .bar")).to_have_count(len(actions))
    expect(pg.locator("#model-version")).not_to_have_text("-")
    # a reward by hand, for the decision on screen (a newer one may arrive between reading and clicking:
    # the status line names the event the reward went to)
    pg.click("#reward-good")
    expect(pg.locator("#reward-status")).to_contain_text("accepted")
    event_id = re.search(r"\(([0-9a-f]{32})\)", pg.inner_text("#reward-status")).group(1)  # type: ignore[union-attr]
    expect(pg.locator("#hand-rewards")).to_have_text("1")
    expect(pg.locator("#rewards-total")).to_have_text("1", timeout=10_000)  # counted by the joiner, shown live
    # the joiner's counts and the average start again with the daemon; the model's learned events do not
    assert pg.locator("dt:has(+ #rewards-total)").inner_text() == "Rewards since start"
    assert pg.locator("dt:has(+ #learned)").inner_text() == "Learned in all"
    expect(pg.locator("p:has(> #reward-avg)")).to_contain_text("Average reward since the daemon started:")
    with running.client() as c:
        events = c.get("/api/events", params={"limit": 200}).json()["events"]
    assert next(e for e in events if e["event_id"] == event_id)["rewards_so_far"] == [1.0]
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone, no sideways scrolling
    pg.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    # log out while a refused stream waits to be opened again (a proxy's 502): it is not opened after the log-out
    pg.evaluate("""async () => {
        const later = window.setTimeout;
        window.setTimeout = (retry) => { window.retryStream = retry; };
        try { await streamRefused(state.stream); } finally { window.setTimeout = later; }
    }""")
    pg.evaluate("() => { clearTimeout(model.whyTimer); model.whyTimer = null; model.whyRefused = false; explainSoon(state.current); }")
    asked: list[str] = []  # and an explanation waiting to be asked is not asked after it (its 401 stood in the panel)
    pg.on("request", lambda r: asked.append(r.url) if "/explanation" in r.url else None)
    pg.click("#logout")
    expect(pg.locator("#login")).to_be_visible()
    assert pg.evaluate("() => { retryStream(); return state.stream === null; }"), "the stream opened again after the log-out"
    pg.wait_for_timeout(1_200)
    assert asked == [], asked
    expect(pg.locator("#login-error")).to_have_text("")
    assert not errors, errors


def test_safe_mode_leads_to_the_config_page_and_out_of_safe_mode(tmp_path: Path, page: object) -> None:
    """An invalid config: the banner says what is wrong and links to the Config page, where applying a fixed
    config ends safe mode; back on the dashboard nothing still says the daemon is in safe mode."""
    pg: sync_api.Page = page  # type: ignore[assignment]
    expect = sync_api.expect
    with daemon_running(tmp_path, "join:\n  reward_wait_s: -1\n") as running:
        errors = console_errors(pg, ("401", "409"))  # 409: what the loop's endpoints answer in safe mode
        pg.goto(running.base)
        log_in(pg, running.token)
        banner = pg.locator("#safe-mode")
        expect(banner).to_contain_text("Safe mode: the config is invalid. ")
        expect(banner).to_contain_text("join.reward_wait_s: Input should be greater than 0")
        expect(pg.locator("#features-note")).to_contain_text("safe mode")
        banner.get_by_role("link", name="Config page").click()
        expect(pg.locator("#editor")).to_be_visible()
        expect(pg.locator("#config-problems")).to_contain_text("line 2")
        pg.fill("#config-text", CONFIG)
        pg.click("#apply-config")
        expect(pg.locator("#editor-status")).to_contain_text("Applied")
        pg.click("a[data-view=dashboard]")
        expect(pg.locator("#mode")).to_have_text("simulated")
        expect(banner).to_be_hidden()
        expect(pg.locator("#features-note")).not_to_contain_text("safe mode", timeout=3000)
        assert not errors, errors


def test_the_uptime_and_the_sections_a_restart_needs_read_as_a_person_says_them(running: Running, page: object) -> None:
    pg: sync_api.Page = page  # type: ignore[assignment]
    pg.goto(running.base)
    log_in(pg, running.token)
    sync_api.expect(pg.locator("#uptime")).to_have_text(re.compile(r"^\d+ s$|^1 min( \d+ s)?$"), timeout=10_000)
    assert pg.evaluate("[0, 59.9, 60, 119, 3600, 7500, 86399, 86400 * 3 + 4 * 3600 + 59].map(durationText)") == [
        "0 s", "59 s", "1 min", "1 min 59 s", "1 h", "2 h 5 min", "23 h 59 min", "3 d 4 h"]
    assert pg.evaluate("[['policy'], ['join', 'policy'], ['join', 'policy', 'server']].map(restartText)") == [
        "The policy section takes effect after a restart",
        "The join and policy sections take effect after a restart",
        "The join, policy and server sections take effect after a restart"]
