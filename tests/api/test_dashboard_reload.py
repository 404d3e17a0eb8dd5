"""The dashboard opened, or its daemon restarted, between decisions: what it shows before the next one arrives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import daemon_running, start_daemon
from tests.browser import console_errors, log_in, needs_chromium, with_held_answers

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium
# one decision at start, the next an hour later; no reward comes by itself
HOURLY = ("join:\n  reward_wait_s: 30\nsimulation:\n  decision_every_s: 3600\n"
          "  delay:\n    distribution: fixed\n    mean_s: 3600\n")


def test_a_page_opened_between_decisions_shows_the_decision_in_force(tmp_path: Path, page: Any) -> None:
    pg, expect = page, sync_api.expect
    with daemon_running(tmp_path, HOURLY) as running:
        with running.client() as c:
            events = c.get("/api/events").json()["events"]
            while not events:  # the first decision comes at once, maybe just after the daemon answers
                pg.wait_for_timeout(100)
                events = c.get("/api/events").json()["events"]
        assert len(events) == 1, events
        decision = events[0]
        errors = console_errors(pg)
        pg.goto(running.base)
        log_in(pg, running.token)
        expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
        expect(pg.locator("#decision-action")).to_have_text(decision["action"])
        expect(pg.locator("#decision-event")).to_have_text(decision["event_id"])
        expect(pg.locator("#pmf .bar")).to_have_count(len(decision["pmf"]))
        expect(pg.locator("#events tbody tr")).to_have_count(1)
        expect(pg.locator("#events tbody tr td").nth(3)).to_have_text("pending")
        # the why names the decision it explains (at a decision a second it is often the one before the current one)
        shown_at = pg.locator("#events tbody tr td").first.inner_text()
        expect(pg.locator("#why-note")).to_contain_text(f"The decision at {shown_at} ({decision['action']}):")
        pg.click("#reward-good")  # the decision in force can be rewarded at once
        expect(pg.locator("#reward-status")).to_contain_text(f"({decision['event_id']}): accepted")
        expect(pg.locator("#events tbody tr td").nth(3)).to_have_text("1.00 (accepted)")
        # the stream's join told while the recent decisions were asked for (the stream reopened): their answer, taken
        # before the join, does not take the row back to "accepted"
        snapshot = {"events": [{**decision, "status": "pending", "rewards_so_far": [1.0]}]}
        shown = with_held_answers(pg, {"/api/events?": snapshot}, f"""async () => {{
            const asked = loadRecent(), joined = {{ event_id: "{decision['event_id']}", reward: 1, outcome: "rewarded" }};
            onJoined(joined);
            releaseHeld();
            await asked;
            return [cellOf(joined.event_id).textContent, learnedText(joined)];
        }}""")
        assert shown[0] == shown[1], shown
        assert pg.inner_text("#decisions-seen") == "0"  # none came over the stream
        assert not errors, errors


def test_a_page_whose_session_ended_asks_to_log_in_again(tmp_path: Path, page: Any) -> None:
    """A new token (the file deleted, the daemon restarted) ends every session: the open page, whose stream the
    browser then gives up on, says so and shows the log-in form instead of 'reconnecting' for ever."""
    pg, expect = page, sync_api.expect
    first = start_daemon(tmp_path, HOURLY)
    try:
        pg.goto(first.base)
        log_in(pg, first.token)
        expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    finally:
        assert first.stop() and first.proc.returncode == 0
    (first.data_dir / "token").unlink()
    second = start_daemon(tmp_path, HOURLY, data_dir=first.data_dir, port=int(first.base.rsplit(":", 1)[1]))
    try:
        assert second.token != first.token
        expect(pg.locator("#login")).to_be_visible(timeout=20_000)
        expect(pg.locator("#login-error")).to_contain_text("log in again")
        log_in(pg, second.token)
        expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    finally:
        second.stop()
