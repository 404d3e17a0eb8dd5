"""The dashboard's model panel in Debian's headless Chromium: the current decision's "why", the top features, a search."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.api.conftest import FAST, Running, daemon_running
from tests.browser import console_errors, log_in, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path, FAST + "storage:\n  log_sync_s: 0.2\n") as daemon:
        yield daemon


def test_the_model_panel_explains_the_current_decision_and_searches_the_features(running: Running, page: Any, tmp_path: Path) -> None:
    errors = console_errors(page)
    expect = sync_api.expect
    page.goto(running.base)
    log_in(page, running.token)
    expect(page.locator("#why .action")).to_have_count(4, timeout=10_000)  # the light world's four colours
    expect(page.locator("#why .action.chosen")).to_have_count(1)
    expect(page.locator("#why-note")).to_contain_text("Scores are expected rewards")
    expect(page.locator("#why .action li").first).to_contain_text("×")
    expect(page.locator("#features tbody tr")).to_have_count(15, timeout=15_000)
    expect(page.locator("#features-note")).to_contain_text("logged decisions")
    page.fill("#feature-search", "audio")
    rows = page.locator("#features tbody tr")  # the unfiltered rows are replaced (their first may name audio too)
    expect(rows.filter(has_not_text="audio")).to_have_count(0, timeout=5_000)
    expect(rows.first).to_contain_text("audio")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    page.locator("#model-card").screenshot(path=str(tmp_path / "model-panel.png"))
    assert not errors, errors
