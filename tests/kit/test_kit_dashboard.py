"""The config editor and the Kit page in Debian's headless Chromium (Playwright), on a phone-sized screen, as a
newcomer uses them on first boot: load the hello-world demo, see a mistake at its line, apply the good config,
restart, and find the wiring and the parts on the Kit page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from appliance.kit.files import demo_path
from tests.api.conftest import Running, daemon_running
from tests.browser import console_errors, log_in, needs_chromium, with_held_answers

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")
pytestmark = needs_chromium
EXPECTED_NOISE = ("401", "Failed to fetch", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE")  # log-in; restart


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path, None) as daemon:  # no config: the simulated room, as on first boot
        yield daemon


def test_edit_check_apply_restart_then_the_kit_page(running: Running, page: object, tmp_path: Path) -> None:
    pg: sync_api.Page = page  # type: ignore[assignment]
    expect = sync_api.expect
    errors = console_errors(pg, EXPECTED_NOISE)
    pg.goto(f"{running.base}/#config")
    log_in(pg, running.token)
    expect(pg.locator("#editor")).to_be_visible()
    expect(pg.locator("#dashboard")).to_be_hidden()
    expect(pg.locator("#views a.current")).to_have_text("Config")
    expect(pg.locator("#editor-status")).to_contain_text("The config in force")

    # start from the demo, and make two mistakes
    pg.select_option("#demo-select", "hello-world")
    pg.click("#load-demo")
    expect(pg.locator("#editor-status")).to_contain_text("Loaded the demo hello-world")
    good = demo_path("hello-world").read_text()
    assert pg.input_value("#config-text") == good
    bad = good.replace("reward_wait_s: 30", "reward_wait_s: -1").replace("pin: 2\n", "pin: 2\n    colour: red\n")
    lines = [i + 1 for i, line in enumerate(bad.splitlines()) if "reward_wait_s: -1" in line or "colour: red" in line]
    pg.fill("#config-text", bad)
    pg.click("#check-config")
    problems = pg.locator("#config-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(f"hello-world.yaml:{lines[0]}: join.reward_wait_s: Input should be greater than 0 (got -1)")
    expect(problems.nth(1)).to_contain_text(f"hello-world.yaml:{lines[1]}: feedback.0.colour: unknown key")
    expect(pg.locator("#editor-status")).to_contain_text("2 problems")
    assert [int(x) for x in pg.locator("#gutter span.bad").all_inner_texts()] == lines
    problems.nth(0).locator("button").click()  # jumps to the line
    at = pg.evaluate("(() => { const t = document.getElementById('config-text'); return t.value.slice(0, t.selectionStart).split('\\n').length; })()")
    assert at == lines[0]
    pg.click("#apply-config")  # refused before anything is sent: the config in force stays
    expect(pg.locator("#editor-status")).to_contain_text("2 problems")
    with running.client() as c:
        assert c.get("/api/config").json()["yaml"] == ""

    # the good one: applied once on a double click, then a restart for the learning settings; a check of the bad text
    # asked just before (the Check button) and answered after the apply does not put its problems back
    with_held_answers(pg, {"/api/config/validate": {"valid": False, "errors": [{"line": lines[0], "text": "the bad text's"}]}},
                      "() => { window.lateCheck = check(); }")
    pg.fill("#config-text", good)
    puts: list[str] = []
    pg.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    waits = pg.evaluate("() => { $('apply-config').click(); $('apply-config').click(); return $('apply-config').disabled; }")
    assert waits, "the apply button takes a second click while applying"  # whose PUT, on the same base, is refused
    expect(pg.locator("#editor-status")).to_contain_text("Applied and written to", timeout=15_000)
    pg.evaluate("async () => { releaseHeld(); await window.lateCheck; }")
    expect(pg.locator("#editor-status")).to_contain_text("The join and policy sections take effect after a restart")
    expect(pg.locator("#config-problems li")).to_have_count(0)
    assert len(puts) == 1, puts
    pg.click("#restart-daemon")
    expect(pg.locator("#editor-status")).to_contain_text("Restarted: the whole config is in force", timeout=40_000)
    with running.client() as c:
        assert "--epsilon 0.2" in c.get("/api/status").json()["loop"]["policy"]["arguments"]
        assert c.get("/api/config").json()["yaml"] == good
    expect(pg.locator("#connection")).to_have_text("live", timeout=15_000)

    # the Kit page: the wiring of the config in force, drawn, and the parts
    pg.click("#views a[data-view=kit]")
    expect(pg.locator("#kit")).to_be_visible()
    rows = pg.locator("#wiring-table tbody tr")
    expect(rows).to_have_count(6, timeout=10_000)
    expect(rows.nth(0)).to_contain_text("GPIO17 (pin 11)")
    expect(pg.locator("#wiring-note")).to_contain_text("What to wire for config.yaml")
    for view in ("breadboard", "schematic"):
        image = pg.locator(f"#wiring-{view}")
        expect(image).to_have_attribute("src", re.compile(rf"/api/kit/wiring\.svg\?view={view}"))
        for _ in range(100):  # loaded and decoded (wait_for_function would need 'unsafe-eval', which the CSP refuses)
            if pg.evaluate(f"document.getElementById('wiring-{view}').naturalWidth") > 300:
                break
            pg.wait_for_timeout(100)
        else:
            raise AssertionError(f"the {view} drawing did not load")
    kits = pg.locator("#kits .kit")
    expect(kits).to_have_count(3)
    expect(kits.nth(0).locator("h2")).to_have_text("Hello world kit: $104.50")
    expect(kits.nth(2).locator("h2")).to_contain_text("with the camera kit")
    expect(kits.nth(0).locator("a", has_text="The Pi Hut").first).to_have_attribute("href", "https://thepihut.com/products/raspberry-pi-5")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone: wide tables scroll inside their card
    pg.screenshot(path=str(tmp_path / "kit.png"), full_page=True)
    pg.click("#views a[data-view=dashboard]")
    expect(pg.locator("#dashboard")).to_be_visible()
    assert not errors, errors


def test_an_older_wiring_answered_last_does_not_replace_the_newer(running: Running, page: object) -> None:
    """The Kit page asks for the wiring each time it is shown (the config in force may have changed): a slow answer
    to an earlier visit, of an older config, that lands after the latest visit's is dropped."""
    pg: sync_api.Page = page  # type: ignore[assignment]
    expect = sync_api.expect
    errors = console_errors(pg, EXPECTED_NOISE)
    pg.goto(running.base)
    log_in(pg, running.token)
    expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    older = {"config": "old.yaml", "rows": [{"device": "led (LED)", "terminal": "anode (long leg)",
                                             "pin": "GPIO17 (pin 11)", "through": "330 Ω resistor"}], "error": None}
    with_held_answers(pg, {"/api/kit/wiring": older}, "() => { window.lateKit = openKit(); }")  # a visit, slow
    pg.click("#views a[data-view=kit]")  # the latest visit, answered at once
    note = pg.locator("#wiring-note")
    expect(note).to_have_text("the config in force drives no GPIO pins. Load the hello-world demo in the Config page "
                              "to get an LED and a button.")
    pg.evaluate("async () => { releaseHeld(); await window.lateKit; }")
    expect(note).to_contain_text("the config in force drives no GPIO pins")
    expect(pg.locator("#wiring-table tbody tr")).to_have_count(0)
    assert not errors, errors
