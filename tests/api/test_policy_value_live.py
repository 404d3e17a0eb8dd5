"""The live policy value in the daemon (issue 15, part 4): the online policy, random, each constant action and a
VW candidate valued with confidence sequences, in /api/status, /metrics and the dashboard's value chart, and
still there after a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import FAST, Running, start_daemon
from tests.browser import console_errors, log_in, needs_chromium

CANDIDATE = "--cb_explore_adf --epsilon 0.05 -q ::"
CONFIG = FAST + f"observers:\n  - {{type: policy_value, chart_every_s: 0.5, save_every_s: 1, candidates: ['{CANDIDATE}']}}\n"


def value_of(running: Running) -> dict[str, Any]:
    with running.client() as c:
        observers = c.get("/api/status").json()["observers"]
    return observers["policy_value-0"]  # type: ignore[no-any-return]


def wait_for(running: Running, events: int, points: int = 0, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        value = value_of(running)
        if value["candidates"]["online"]["events"] >= events and len(value["chart"]) >= points:
            return value
        assert time.monotonic() < deadline, value
        time.sleep(0.2)


def test_values_in_status_and_metrics_survive_a_restart(tmp_path: Path) -> None:
    running = start_daemon(tmp_path, CONFIG)
    try:
        value = wait_for(running, events=40, points=2)
        with running.client() as c:
            metrics = c.get("/metrics").text
            actions = c.get("/api/status").json()["actions"]
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out
    names = {"online", "random", f"vw: {CANDIDATE}", *(f"always {a}" for a in actions)}
    assert set(value["candidates"]) == names and value["interval"] == "cs" and value["confidence"] == 0.95
    for name in names:
        c = value["candidates"][name]
        assert c["interval"][0] <= c["estimate"] <= c["interval"][1], (name, c)
    assert set(value["chart"][-1]) == {"t", "online", "random", f"vw: {CANDIDATE}"}  # the constants are in the table only
    for metric in ("wabbit_policy_value", "wabbit_policy_value_lower", "wabbit_policy_value_upper"):
        assert f'{metric}{{observer="policy_value-0",candidate="online"}} ' in metrics, metrics

    home = tmp_path / "data" / "observers" / "policy_value-0"
    assert (home / "state.json").exists() and len(list(home.glob("candidate-*.vw"))) == 1
    saved = value_of_file(home)
    running = start_daemon(tmp_path, CONFIG)
    try:
        restored = value_of(running)["candidates"]["online"]["events"]
        assert restored >= saved >= value["candidates"]["online"]["events"]  # the count goes on (a clean stop saved all)
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out


def value_of_file(home: Path) -> float:
    import json

    return float(json.loads((home / "state.json").read_text())["values"]["online"]["events"])


@needs_chromium
def test_the_dashboard_draws_each_value_with_its_band(tmp_path: Path, page: Any) -> None:
    running = start_daemon(tmp_path, CONFIG)
    try:
        wait_for(running, events=20, points=3)
        sync_api = pytest.importorskip("playwright.sync_api")
        pg, expect = page, sync_api.expect
        errors = console_errors(pg)
        pg.goto(running.base)
        log_in(pg, running.token)
        expect(pg.locator("#value-card")).to_be_visible(timeout=10_000)
        expect(pg.locator("#value-chart polygon.band")).to_have_count(3, timeout=10_000)
        lines = pg.locator("#value-chart polyline.value")
        assert sorted(lines.evaluate_all("ls => ls.map(l => l.dataset.policy)")) == sorted(["online", "random", f"vw: {CANDIDATE}"])
        rows = pg.locator("#values tbody tr").all_inner_texts()
        assert any(r.startswith("always ") for r in rows) and any(r.startswith("online") for r in rows), rows
        expect(pg.locator("#value-confidence")).to_contain_text("95% confidence sequence")
        pg.screenshot(path=str(tmp_path / "policy-value.png"), full_page=True)
        assert not errors, errors
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out
