"""Debian's headless Chromium driven by Playwright, for the tests of the dashboard, the kit pages and TensorBoard.

``needs_chromium`` skips a test without the browser (``tests/apt/api.txt`` installs it); :func:`browser_page`
skips it without Playwright (``tests/requirements/api.txt``). A module of browser tests imports ``sync_api`` as
``pytest.importorskip("playwright.sync_api")``.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="tests/apt/api.txt installs Debian's chromium")
PHONE = (390, 844)


@contextmanager
def browser_page(size: tuple[int, int] = PHONE) -> Iterator[Any]:
    """A fresh page of a fresh browser, ``size`` (width, height) pixels (a phone's by default)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
