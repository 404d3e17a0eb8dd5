"""The camera preview with real parts: `wabbit run` on 127.0.0.1 with the synthetic camera (a bouncing yellow
square) and an MJPEG camera whose port refuses connections, PyAV decoding the JPEGs, and the dashboard in
Debian's headless Chromium. The preview is off unless `server.camera_preview.enabled` turns it on."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from tests.api.conftest import Running, start_daemon
from tests.browser import console_errors, log_in, needs_chromium
from tests.conftest import free_port

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

if TYPE_CHECKING:
    from playwright.sync_api import Page

av = pytest.importorskip("av", reason="the `devices` extra installs PyAV")


def config(preview: str) -> str:
    """Live sensing: `cam` (480x360 at 10 fps) and `door`, a network camera nobody serves (it keeps reconnecting)."""
    return f"""\
policy:
  actions: [{{id: light}}, {{id: dark}}]
sources:
  - {{type: synthetic_video, id: cam, width: 480, height: 360, fps: 10}}
  - {{type: mjpeg, id: door, url: "http://127.0.0.1:{free_port()}/stream", timeout_seconds: 1}}
featurizers:
  - {{type: video, source: cam, downscale: 4}}
  - {{type: video, source: door, namespace: door}}
server:
  camera_preview: {preview}
"""


@pytest.fixture(scope="module")
def previewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start_daemon(tmp_path_factory.mktemp("preview"), config("{enabled: true}"))
    try:
        yield running
    finally:
        out = running.stop()
        assert running.proc.returncode == 0, out


def client(running: Running, auth: bool = True) -> httpx.Client:
    """A client that fails the test on any 5xx."""
    def no_server_error(response: httpx.Response) -> None:
        assert response.status_code < 500, (response.request.url, response.status_code, response.read())

    headers = {"Authorization": f"Bearer {running.token}"} if auth else {}
    return httpx.Client(base_url=running.base, headers=headers, timeout=30, event_hooks={"response": [no_server_error]})


def decode(jpeg: bytes) -> npt.NDArray[np.uint8]:
    frames = av.CodecContext.create("mjpeg", "r").decode(av.Packet(jpeg))
    assert len(frames) == 1
    image: npt.NDArray[np.uint8] = frames[0].to_ndarray(format="rgb24")
    return image


def square_centre(image: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """Where the synthetic scene's yellow square is (the gradient behind it never has G > 205 with B < 60)."""
    r, g, b = (image[..., c].astype(int) for c in range(3))
    ys, xs = np.nonzero((r > 200) & (g > 205) & (b < 60))
    assert len(xs) > 500, "no yellow square in the preview"
    return float(xs.mean()), float(ys.mean())


def test_preview_is_a_jpeg_of_the_configured_width_and_follows_the_scene(previewing: Running) -> None:
    with client(previewing) as c:
        status = c.get("/api/status").json()["camera_preview"]
        assert status == {"enabled": True, "width": 320, "max_fps": 2.0, "sources": ["cam", "door"]}
        first = c.get("/api/preview/cam")
        time.sleep(1.0)
        second = c.get("/api/preview/cam")
    for response in (first, second):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "no-store"
        assert "blob:" in response.headers["content-security-policy"]
    a, b = decode(first.content), decode(second.content)
    assert a.shape == b.shape == (240, 320, 3)  # 320 wide (the default), 480x360's aspect ratio
    (x0, y0), (x1, y1) = square_centre(a), square_centre(b)
    assert np.hypot(x1 - x0, y1 - y0) > 3.0, "the square did not move between two previews a second apart"


def test_preview_errors_say_what_is_wrong_and_never_5xx(previewing: Running) -> None:
    with client(previewing, auth=False) as anonymous:
        refused = anonymous.get("/api/preview/cam")
        assert refused.status_code == 401 and "access token" in refused.json()["detail"]
    with client(previewing) as c:
        unknown = c.get("/api/preview/garage")
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == "no video source 'garage'; sources with a preview: cam, door"
        assert c.get("/api/preview/Not-An-Id").status_code == 422
        for _ in range(20):  # the unserved camera: connection refused, reconnecting with backoff
            waiting = c.get("/api/preview/door")
            if "last error" in waiting.text:
                break
            time.sleep(0.25)
        assert waiting.status_code == 409 and waiting.headers["retry-after"] == "1"
        assert re.fullmatch(r"source 'door' has no frame to show \(state: (reconnecting|opening), last error: .+\); "
                            r"try again in 1 s", waiting.json()["detail"]), waiting.json()


def test_preview_is_off_by_default(tmp_path: Path) -> None:
    running = start_daemon(tmp_path, config("{width: 160}"))
    try:
        with client(running) as c:
            assert c.get("/api/status").json()["camera_preview"] == {"enabled": False, "width": 160, "max_fps": 2.0,
                                                                     "sources": []}
            for source in ("cam", "garage"):
                off = c.get(f"/api/preview/{source}")
                assert off.status_code == 404
                assert "camera preview is off" in off.json()["detail"]
                assert "camera_preview: {enabled: true}" in off.json()["detail"]
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out


@needs_chromium
def test_dashboard_shows_the_preview_after_log_in(previewing: Running, page: Page, tmp_path: Path) -> None:
    pg, expect = page, sync_api.expect
    server_errors: list[str] = []
    errors = console_errors(pg)
    pg.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    pg.goto(previewing.base)
    log_in(pg, previewing.token)
    expect(pg.locator("#connection")).to_have_text("live", timeout=10_000)
    cam = pg.locator('#previews img[data-source="cam"]')
    expect(cam).to_be_visible(timeout=10_000)
    deadline = time.monotonic() + 10  # polled from here: the page's CSP forbids the eval wait_for_function uses
    while cam.evaluate("img => img.naturalWidth") == 0:
        assert time.monotonic() < deadline, "the preview image never loaded"
        pg.wait_for_timeout(100)
    assert cam.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 240]
    shown = cam.get_attribute("src")
    assert shown is not None and shown.startswith("blob:")
    expect(cam).not_to_have_attribute("src", shown, timeout=5_000)  # refreshed about once a second
    expect(pg.locator('#previews figure:has(img[data-source="door"]) figcaption')).to_have_text(
        re.compile(r"^door: (reconnecting|opening)$"))  # a camera without frames is not fetched
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
    pg.screenshot(path=str(tmp_path / "dashboard-preview.png"), full_page=True)
    assert not errors, errors
    assert not server_errors, server_errors


# Counts the page's live blob URLs (made, not yet revoked) and holds each preview request until the test lets it go
# (releasePreview(), or releasePreview("cut") for an answer cut off in its body). The counts are attributes of <html>
# for expect() to wait on: the page's CSP forbids the eval that wait_for_function needs.
BLOBS_AND_HELD_PREVIEWS = """(() => {
  const live = new Set(), held = [], made = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);
  const mark = () => Object.assign(document.documentElement.dataset, { live: live.size, held: held.length });
  URL.createObjectURL = (blob) => { const url = made(blob); live.add(url); mark(); return url; };
  URL.revokeObjectURL = (url) => { live.delete(url); revoke(url); mark(); };
  window.liveBlobs = () => [...live].sort();
  const real = window.fetch;
  window.fetch = (url, options) => {
    if (!String(url).includes("/api/preview/")) return real(url, options);
    return new Promise((resolve) => { held.push((how) => resolve(how === "cut" ? new Response(new ReadableStream({
      start(body) { body.error(new TypeError("network error")); } }), { headers: { "Content-Type": "image/jpeg" } }) :
      real(url, options))); mark(); });
  };
  window.releasePreview = (how) => { held.shift()(how); mark(); };
})()"""


@needs_chromium
def test_preview_blob_urls_stay_bounded_through_refreshes_rerenders_and_failures(previewing: Running, page: Page) -> None:
    """Every blob URL the page keeps is one an image shows: a frame answered after its card was re-rendered makes
    none (nobody could revoke it), nor does a frame cut off in its body (which says so under the image)."""
    pg, expect = page, sync_api.expect
    errors = console_errors(pg)
    pg.add_init_script(BLOBS_AND_HELD_PREVIEWS)
    pg.goto(previewing.base)
    log_in(pg, previewing.token)
    html, cam = pg.locator("html"), pg.locator('#previews img[data-source="cam"]')
    caption = pg.locator('#previews figure:has(img[data-source="cam"]) figcaption')

    def shown_blobs() -> list[str]:
        return sorted(pg.evaluate("[...document.querySelectorAll('#previews img')].map((i) => i.src)"
                                  ".filter((s) => s.startsWith('blob:'))"))

    def next_frame(how: str = "") -> None:
        """Let the held preview request go once the page asked, and wait for its answer to be handled: the next
        refresh asks again (the page asks one at a time)."""
        expect(html).to_have_attribute("data-held", "1", timeout=10_000)
        pg.evaluate("(how) => releasePreview(how)", how)  # data-held is 0 from here until the next refresh asks
        expect(html).to_have_attribute("data-held", "1", timeout=10_000)

    for _ in range(3):  # refreshes: each new URL replaces the last
        next_frame()
        expect(cam).to_have_attribute("src", re.compile("^blob:"))
        assert pg.evaluate("liveBlobs()") == shown_blobs() and len(shown_blobs()) == 1
    # the cards re-rendered (the preview turned off and on again) while a frame is asked: its answer comes too late
    expect(html).to_have_attribute("data-held", "1")
    pg.evaluate("() => { onPreview(null); onPreview({ enabled: true, sources: ['cam', 'door'] }); }")
    assert pg.evaluate("liveBlobs()") == [], "the re-rendered cards' URLs were not revoked"
    pg.evaluate("releasePreview()")
    expect(html).to_have_attribute("data-held", "1", timeout=10_000)  # the late answer was handled: the new card asks
    assert pg.evaluate("liveBlobs()") == shown_blobs() == [], "a frame answered for a card gone made a URL nobody revokes"
    next_frame()
    next_frame("cut")  # cut off in its body: the last frame stays, its caption says why
    expect(caption).to_have_text("cam: no connection")
    assert pg.evaluate("liveBlobs()") == shown_blobs() and len(shown_blobs()) == 1
    next_frame()
    expect(caption).to_have_text("cam")
    assert pg.evaluate("liveBlobs()") == shown_blobs() and len(shown_blobs()) == 1
    pg.evaluate("() => { onPreview(null); }")  # logging out clears the previews
    assert pg.evaluate("liveBlobs()") == [] and not errors, errors
