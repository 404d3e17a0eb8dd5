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



HOLD = """(answers) => {
    const real = window.fetch;
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    window.releaseHeld = () => { window.fetch = real; release(); };
    window.fetch = (url, options) => {
        const key = Object.keys(answers).find((k) => String(url).includes(k));
        if (key === undefined) return real(url, options);
        const body = JSON.stringify(answers[key]);
        delete answers[key];
        return gate.then(() => new Response(body, { status: 200, headers: { "Content-Type": "application/json" } }));
    };
}"""


def with_held_answers(page: Any, answers: dict[str, Any], script: str) -> Any:
    """What ``script`` (a JavaScript function, maybe async) returns, run in ``page`` at once after this: until the page
    calls ``releaseHeld()``, its first request whose URL holds a key of ``answers`` is answered with that key's value
    (status 200, nothing sent), after every later request's answer. Two answers cross, every time (a slow one asked
    before a switch that comes after a later one's)."""
    return page.evaluate(f"async (answers) => {{ ({HOLD})(answers); return await ({script})(); }}", answers)
