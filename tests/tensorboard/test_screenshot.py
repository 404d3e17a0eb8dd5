"""TensorBoard itself, offline, serving a sweep's runs: its page rendered in Debian's headless Chromium (driven by
Playwright) shows the custom charts (the value with its confidence band) and the HParams view comparing the runs.

``WABBIT_DOCS_SCREENSHOTS=1`` writes the pictures README and docs/tensorboard.md show to docs/ (longer runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from appliance.cli import main
from tests.browser import browser_page, needs_chromium
from tests.conftest import free_port

pytest.importorskip("tensorboard", reason="tests/requirements/tensorboard.txt installs tensorboard")
sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")
pytestmark = [pytest.mark.slow, needs_chromium]
DOCS = Path(__file__).parents[2] / "docs"
FOR_DOCS = os.environ.get("WABBIT_DOCS_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def tensorboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tensorboard --logdir`` on 127.0.0.1 serving a sweep of the light world; stopped by its pid."""
    tmp = tmp_path_factory.mktemp("tensorboard")
    grid = "{exploration: [{type: epsilon, epsilon: 0.1}, {type: squarecb}], learning_rate: [0.1, 1.0]}" if FOR_DOCS else \
        "{learning_rate: [0.1, 1.0]}"
    assert main(["simulate", "--events", "20000" if FOR_DOCS else "2000", "--seed", "1", "--sweep", grid, "--json",
                 "--log-dir", str(tmp / "logs"), "--tensorboard", str(tmp / "runs")]) == 0
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp / "runs"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/data/runs", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "tensorboard did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def page() -> Iterator[object]:
    with browser_page((1500, 860)) as pg:  # TensorBoard wants a desktop's width
        yield pg


def test_tensorboard_shows_the_value_with_its_band_offline(tensorboard: str, page: object, tmp_path: Path) -> None:
    pg: sync_api.Page = page  # type: ignore[assignment]
    failed: list[str] = []
    pg.on("requestfailed", lambda request: failed.append(request.url))
    pg.goto(f"{tensorboard}/#custom_scalars")
    sync_api.expect(pg.get_by_text("the policy's value, with its confidence sequence")).to_be_visible(timeout=30_000)
    sync_api.expect(pg.get_by_text("reward against the baselines")).to_be_visible()
    pg.locator("tf-multi-checkbox input").first.fill("learning_rate=1.0$")  # the runs filter: two runs, not their hparams folders
    pg.wait_for_timeout(2000)  # the charts draw their lines
    pg.screenshot(path=str(DOCS / "tensorboard-custom-scalars.png" if FOR_DOCS else tmp_path / "custom.png"))
    assert not failed, failed  # nothing fetched from outside: it works on a Pi without internet


def test_the_hparams_view_compares_the_sweep(tensorboard: str, page: object, tmp_path: Path) -> None:
    pg: sync_api.Page = page  # type: ignore[assignment]
    pg.goto(f"{tensorboard}/#hparams")
    sync_api.expect(pg.get_by_text("final/reward", exact=True).first).to_be_visible(timeout=30_000)
    sync_api.expect(pg.get_by_text("learning_rate").first).to_be_visible()
    for run in ("run00-", "run01-"):  # TensorBoard's pages are web components: get_by_text looks inside them
        sync_api.expect(pg.get_by_text(re.compile(run)).first).to_be_visible()
    pg.wait_for_timeout(1000)
    pg.screenshot(path=str(DOCS / "tensorboard-hparams.png" if FOR_DOCS else tmp_path / "hparams.png"))
