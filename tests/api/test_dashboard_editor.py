"""The config editor in headless Chromium: when the daemon is in safe mode with a config valid on its own that could not
start (VW refuses an option), the banner and the editor say so and why, instead of "invalid" or "Valid", and after a
restart into safe mode they say the same, instead of "the whole config is in force"; a config edited from one another
editor replaced meanwhile is refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import FAST, Running, start_daemon
from tests.browser import console_errors, log_in, needs_chromium, with_held_answers

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

REFUSED = FAST + "policy:\n  vw_args: ['--foo']\n"
LINUCB = FAST + "policy:\n  type: linucb\n"
RESTART_MS = 60_000
"""A restart on two loaded cores may take tens of seconds."""


def test_the_editor_says_why_a_valid_config_left_the_daemon_in_safe_mode(tmp_path: Path, page: Page) -> None:
    pg, expect = page, sync_api.expect
    status, problems = pg.locator("#editor-status"), pg.locator("#config-problems")
    running = start_daemon(tmp_path, REFUSED)  # its log holds the loop's traceback: not daemon_running's clean stop
    try:
        with running.client() as c:  # valid, but it could not start: said so, not "invalid"
            assert c.get("/api/status").json()["config_valid"] is True
            detail = c.post("/api/decide", json={}).json()["detail"]
            assert "safe mode because its config is valid, but the loop could not start: " in detail, detail
        errors = console_errors(pg, expected=("401", "409", "422", "ERR_CONNECTION_REFUSED"))
        pg.goto(running.base)
        log_in(pg, running.token)
        banner = pg.locator("#safe-mode")
        expect(banner).to_contain_text("Safe mode: the config is valid, but the loop could not start: ", timeout=15_000)
        expect(banner).to_contain_text("unrecognised option '--foo'")
        banner.get_by_role("link", name="Config page").click()
        expect(problems).to_contain_text("unrecognised option '--foo'", timeout=15_000)
        expect(status).to_have_text("The daemon is in safe mode: this config is valid, but it could not start (below). "
                                    "Fix it here and apply.")
        pg.click("#apply-config")  # the same config again: refused, and nothing else runs
        expect(status).to_have_text("Not applied (HTTP 422): the daemon stays in safe mode.", timeout=30_000)
        pg.fill("#config-text", LINUCB)  # out of safe mode with another kind, then back to VW: a restart
        pg.click("#apply-config")
        expect(status).to_contain_text("Applied and written", timeout=30_000)
        pg.fill("#config-text", FAST)
        pg.click("#apply-config")
        expect(pg.locator("#restart-daemon")).to_be_visible(timeout=30_000)
        (tmp_path / "config.yaml").write_text(REFUSED)  # edited by hand meanwhile: the restart cannot start it
        pg.click("#restart-daemon")
        expect(status).to_contain_text("The daemon is in safe mode: this config is valid, but it could not start",
                                       timeout=RESTART_MS)
        expect(problems).to_contain_text("unrecognised option '--foo'")
        assert not errors, errors
    finally:
        running.stop()


def test_an_edit_of_a_config_replaced_meanwhile_is_refused_until_reloaded(daemon: Running, page: Page) -> None:
    pg, expect, running = page, sync_api.expect, daemon
    errors = console_errors(pg, expected=("401", "409"))
    pg.goto(f"{running.base}/#config")
    log_in(pg, running.token)
    expect(pg.locator("#editor-status")).to_contain_text("The config in force", timeout=15_000)
    checks: list[bool] = []  # each check's start_policy: Apply leaves the policy to its PUT (it was tried twice)
    pg.on("request", lambda r: checks.append(r.post_data_json["start_policy"]) if r.url.endswith("/config/validate") else None)
    with running.client() as c:  # another editor applies a change meanwhile
        assert c.put("/api/config", json={"yaml": FAST + "# elsewhere\n"}).status_code == 200
    pg.fill("#config-text", FAST + "# here\n")
    pg.click("#apply-config")
    expect(pg.locator("#editor-status")).to_have_text("Not applied (HTTP 409): the previous config still runs.", timeout=30_000)
    expect(pg.locator("#config-problems")).to_contain_text("the config changed since this one was edited from it")
    assert (running.data_dir.parent / "config.yaml").read_text() == FAST + "# elsewhere\n"
    pg.click("#load-current")  # the other editor's config, to edit on
    expect(pg.locator("#config-text")).to_have_value(FAST + "# elsewhere\n")
    pg.click("#apply-config")
    expect(pg.locator("#editor-status")).to_contain_text("Applied and written", timeout=30_000)
    pg.click("#check-config")
    expect(pg.locator("#editor-status")).to_contain_text("Valid.", timeout=30_000)
    assert checks == [False, False, True], checks
    assert not errors, errors


def test_a_slow_load_of_the_current_config_does_not_replace_a_demo_loaded_after_it(daemon: Running, page: Page) -> None:
    """Load current and Load demo fill the same editor: the answer to the load asked last stays, whichever lands last.
    The late answer still says which config is in force (an Apply's base), as on the editor's first opening."""
    pg, expect, running = page, sync_api.expect, daemon
    errors = console_errors(pg, expected=("401",))
    with running.client() as client:
        in_force = client.get("/api/config").json()
    pg.goto(f"{running.base}/#config")
    older = {**in_force, "yaml": "# the config in force, answered late\n"}
    with_held_answers(pg, {"/api/config": older}, "() => {}")  # the editor's first Load current, slow
    log_in(pg, running.token)
    expect(pg.locator("#demo-select option[value=hello-world]")).to_have_count(1)
    pg.evaluate("() => { if (editor.version !== undefined && editor.version !== null) throw new Error('not held'); }")
    pg.select_option("#demo-select", "hello-world")
    pg.click("#load-demo")  # asked after it, answered at once
    expect(pg.locator("#editor-status")).to_contain_text("Loaded the demo hello-world")
    demo = (Path(__file__).parents[2] / "demos" / "hello-world.yaml").read_text()
    expect(pg.locator("#config-text")).to_have_value(demo)
    pg.evaluate("() => releaseHeld()")
    deadline = time.monotonic() + 10
    while pg.evaluate("() => editor.version") != in_force["version"]:  # the late answer, taken for what is in force
        assert time.monotonic() < deadline, pg.evaluate("() => editor.version")
        time.sleep(0.05)
    expect(pg.locator("#config-text")).to_have_value(demo)  # not the late answer's text
    expect(pg.locator("#editor-status")).to_contain_text("Loaded the demo hello-world")
    assert not errors, errors
