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


def console_errors(page: Any, expected: tuple[str, ...] = ("401",)) -> list[str]:
    """The page's console errors and uncaught exceptions from now on, but for those naming one of ``expected``
    (by default the 401s a page logs before its token is given)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not any(n in m.text for n in expected) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page: Any, token: str) -> None:
    """Give the dashboard's login form ``token`` (the page is open on it)."""
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
