"""``/docs`` without internet: Swagger UI's assets come from the daemon, and the page renders with every
request to any other host refused (headless Debian Chromium, driven by Playwright).

``/docs`` and ``/openapi.json`` need the token or the dashboard's session cookie, as every endpoint but
``/healthz``; the assets themselves are open, like the dashboard's own script and stylesheet.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}


def asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


def test_docs_and_spec_need_the_token_and_every_asset_is_served_locally(shared_daemon: Running) -> None:
    with shared_daemon.client(auth=False) as anonymous:
        assert anonymous.get("/docs").status_code == 401
        assert anonymous.get("/openapi.json").status_code == 401
        with shared_daemon.client() as c:
            page = c.get("/docs")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert c.get("/openapi.json").json()["paths"]["/api/decide"]
        urls = asset_urls(page.text)
        assert {Path(u).suffix for u in urls} == {".js", ".css", ".png"}, urls
        for url in urls:
            assert url.startswith("/") and not url.startswith("//") and not urlsplit(url).netloc, url  # this host only
            asset = anonymous.get(url)
            assert asset.status_code == 200 and len(asset.content) > 100, url
            assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[Path(url).suffix], (url, asset.headers)
        assert "http://" not in page.text and "https://" not in page.text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="tests/apt/api.txt installs Debian's chromium")
def test_swagger_ui_renders_the_operations_with_every_other_host_blocked(shared_daemon: Running) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")
    blocked: list[str] = []

    def only_loopback(route: "sync_api.Route") -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context()
        try:
            context.route("**/*", only_loopback)
            # the session cookie a dashboard log-in sets: the browser sends it with /docs and /openapi.json
            assert context.request.post(f"{shared_daemon.base}/api/login", data={"token": shared_daemon.token}).status == 204
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(f"{shared_daemon.base}/docs")
            decide = page.locator(".opblock", has_text="/api/decide")
            sync_api.expect(decide).to_have_count(1, timeout=15_000)
            decide.locator(".opblock-summary").click()  # open it: its request body schema shows
            sync_api.expect(page.locator(".opblock-body")).to_contain_text("event_id")
            assert page.locator(".opblock").count() >= 8
            assert blocked == [] and errors == [], (blocked, errors)
        finally:
            context.close()
            browser.close()
