"""The dashboard of `wabbit run --config demos/live-sensing.yaml` in headless Chromium: each source's fps, each
featurizer's milliseconds, the triggers' firing counts and the live context features, as the page shows them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from tests.api.conftest import Running, daemon_running
from tests.browser import console_errors, log_in, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

DEMO = Path(__file__).resolve().parents[2] / "demos" / "live-sensing.yaml"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path, None, extra=["--config", str(DEMO)]) as daemon:
        yield daemon


def cells(pg: Page, table: str, first: str) -> list[str]:
    """The cells of the row of ``table`` whose first cell is ``first``."""
    row = pg.locator(f"#{table} tr", has=pg.locator("td:first-child", has_text=re.compile(f"^{re.escape(first)}$")))
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_live_mode_shows_sources_featurizers_triggers_and_features(live: Running, page: Page, tmp_path: Path) -> None:
    pg, expect = page, sync_api.expect
    errors = console_errors(pg)
    pg.goto(live.base)
    log_in(pg, live.token)
    expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    expect(pg.locator("#mode")).to_have_text("live", timeout=10_000)
    expect(pg.locator("#sensing-card")).to_be_visible()
    # the demo's triggers: a sound onset at most every 3 s, motion at most every 5 s, a button nobody presses
    for name, kind in (("clap", "sound_onset"), ("movement", "motion")):
        expect(pg.locator("#triggers tr", has_text=name)).to_contain_text(re.compile(rf"{kind}: [1-9]\d* fired"), timeout=20_000)
    assert cells(pg, "triggers", "decide-now")[1] == "button: 0 fired"
    assert cells(pg, "triggers", "api")[1] == "POST /api/decide"

    sources = pg.locator("#sources tbody tr").all_inner_texts()
    assert len(sources) == 2, sources
    for source in ("mic", "cam"):
        _, state, fps, dropped = cells(pg, "sources", source)
        assert state == "running" and float(fps) > 0 and dropped.isdigit(), (source, state, fps, dropped)
    assert len(pg.locator("#featurizers tbody tr").all_inner_texts()) == 2
    for namespace in ("audio", "video"):
        _, ms_last, ms_mean, calls = cells(pg, "featurizers", namespace)
        assert float(ms_last) >= 0 and float(ms_mean) > 0 and int(calls) > 0, (namespace, ms_last, ms_mean, calls)

    features = {name: value for name, value in (row.split("\t") for row in pg.locator("#context tr").all_inner_texts())}
    for name in ("audio.rms", "audio.dbfs", "video.brightness", "video.motion"):
        assert re.fullmatch(r"-?\d+\.\d{3}", features[name]), (name, features.get(name))
    with live.client() as c:
        context = c.get("/api/status").json()["sensing"]["context"]
    assert set(features) == {f"{ns}.{name}" for ns, values in context.items() for name in values}  # every live feature
    assert pg.locator("#model-version").inner_text() != "-"
    pg.screenshot(path=str(tmp_path / "dashboard-live.png"), full_page=True)
    assert not errors, errors
