"""The notebook's live view outside a notebook: a real daemon's event stream (with the token, and refused without it),
and a simulation on its bus."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appliance.config import AppConfig
from appliance.simulate import Simulation
from tests.api.conftest import start_daemon

pytest.importorskip("ipywidgets", reason="tests/requirements/introspect.txt installs ipywidgets")
from appliance.watch.live import LiveView  # noqa: E402


@pytest.mark.slow
def test_it_follows_a_daemon_with_its_token_and_says_when_the_token_is_wrong(tmp_path: Path) -> None:
    daemon = start_daemon(tmp_path)
    try:
        refused = LiveView.of_daemon(daemon.base, "not-the-token")
        view = LiveView.of_daemon(daemon.base, daemon.token)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (view.state.signals.seen < 5 or refused.error is None):
            view.watch(0.5, every_s=0.25)
        view.stop()
        refused.stop()
    finally:
        out = daemon.stop()
    assert daemon.proc.returncode == 0, out
    assert refused.error is not None and "refused the access token" in refused.error
    assert "refused the access token" in refused.status.value  # shown in the view itself
    state = view.state
    assert state.seen["decision"] >= 5 and state.seen["stats"] >= 1 and state.signals.seen >= 5
    assert state.decisions and state.decisions[0]["action"] in state.shares()
    point = state.curve[-1]
    assert point.lower <= point.reward <= point.upper
    assert "<polygon" in view.chart.value and "decisions" in view.status.value


def test_it_follows_a_simulation_on_its_bus(tmp_path: Path) -> None:
    simulation = Simulation(AppConfig.model_validate({"simulation": {"world": "linear", "seed": 4}}), tmp_path)
    view = LiveView.of_bus(simulation.loop.bus)
    for _ in range(10):
        simulation.run(100)
        simulation.loop.bus.flush()
        view.refresh()
    view.stop()
    simulation.finish()
    state = view.state
    assert state.seen["decision"] == 1000 and len(state.curve) >= 9
    assert sum(state.shares().values()) == 500  # the recent decisions the shares count
    steps = [p.step for p in state.curve]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert len(state.decisions) == 12 and state.decisions[0]["event_id"] == "sim-00000999"


def test_a_stream_that_ends_says_so_in_the_view() -> None:
    # a daemon that stops or restarts (POST /api/restart) closes the stream: the view says so instead of freezing
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class OneStats(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b'event: stats\ndata: {"loop": {"model_version": 7}}\n\n')  # then the daemon goes away

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the view, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), OneStats)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        view = LiveView.of_daemon(f"http://127.0.0.1:{server.server_port}", "token")
        assert view._thread is not None
        view._thread.join(10)
        view.refresh()
    finally:
        server.shutdown()
        server.server_close()
    assert view.state.seen["stats"] == 1 and "model version 7" in view.status.value
    assert view.error is not None and "stream" in view.error and "ended" in view.error and "LiveView.of_daemon" in view.error
    assert view.error in view.status.value
    start = time.monotonic()
    view.watch(5)  # returns at once: nothing more will come
    assert time.monotonic() - start < 1
