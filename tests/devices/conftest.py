"""Real parts for the devices tests: gpiozero MockFactory pins, the real loop on a fake clock, a mosquitto
broker on 127.0.0.1 (a free port, stopped by PID), and loopback HTTP servers (webhook, Fitbit Web API, an
HTTPS model source with a self-signed certificate)."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from devices_support import ACTIONS

from appliance.bench.sinks_bench import mosquitto_broker
from appliance.bench.skip import ProgramMissing
from tests.certificates import self_signed


# -- GPIO ---------------------------------------------------------------------------------------
@pytest.fixture
def mock_factory() -> Iterator[Any]:
    """gpiozero's MockFactory with PWM-capable pins (RGB LEDs, servos, tonal buzzers need PWM)."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


# -- the real loop ------------------------------------------------------------------------------
@pytest.fixture
def clock() -> Any:
    from appliance.clock import FakeClock

    return FakeClock(1_700_000_000.0)


@pytest.fixture
def make_loop(tmp_path: Path, clock: Any) -> Iterator[Callable[..., Any]]:
    """``make_loop(reward_wait_s=10)``: the loop ``wabbit run`` uses, built by appliance.assemble.open_loop."""
    from appliance.assemble import open_loop
    from appliance.config import AppConfig, JoinConfig, VWPolicyConfig

    loops: list[Any] = []

    def make(reward_wait_s: float = 10.0, actions: list[str] = ACTIONS) -> Any:
        policy = VWPolicyConfig(actions=[{"id": a, "features": {"colour": {a: 1.0}}} for a in actions])
        config = AppConfig(policy=policy, join=JoinConfig(reward_wait_s=reward_wait_s))
        loop = open_loop(config, clock, tmp_path / f"data{len(loops)}")
        loop.recover()
        loops.append(loop)
        return loop

    yield make
    for loop in loops:
        loop.close()


# -- mosquitto ----------------------------------------------------------------------------------
@dataclass
class Broker:
    host: str
    port: int

    def client(self, on_message: Callable[[str, bytes], None] | None = None, topics: tuple[str, ...] = ()) -> Any:
        """A connected paho client (subscribed to ``topics``); call ``.loop_stop(); .disconnect()`` after."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        subscribed = threading.Event()
        if on_message is not None:
            client.on_message = lambda c, u, m: on_message(m.topic, m.payload)
        client.on_subscribe = lambda *a: subscribed.set()
        client.connect(self.host, self.port)
        client.loop_start()
        for topic in topics:
            subscribed.clear()
            client.subscribe(topic, qos=1)
            assert subscribed.wait(5), f"subscription to {topic} not acknowledged"
        return client


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    try:
        with mosquitto_broker(tmp_path_factory.mktemp("mosquitto")) as broker:
            yield Broker("127.0.0.1", broker.port)
    except ProgramMissing as err:
        pytest.fail(f"{err} (tests/run installs it: tests/apt/devices.txt)")


# -- loopback HTTP ------------------------------------------------------------------------------
@dataclass
class Http:
    """A loopback HTTP server whose answers come from ``handler(method, path, headers, body) -> (status, headers, body)``."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    handler: Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]] | None = None


@contextmanager
def serving_http(tls: ssl.SSLContext | None = None) -> Iterator[Http]:
    """A loopback HTTP server (HTTPS with ``tls``, a server context) whose answers come from its ``handler``."""
    state = Http("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items()}
            state.requests.append({"method": self.command, "path": self.path, "headers": headers, "body": body, "at": time.monotonic()})
            status, extra, out = state.handler(self.command, self.path, headers, body) if state.handler else (200, {}, b"{}")
            try:
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:  # each connection's handshake runs in its handler's thread, so a refused client blocks nothing
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def http_server() -> Iterator[Http]:
    with serving_http() as state:
        yield state


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[Http, Path]]:
    """A loopback HTTPS server with a self-signed certificate for 127.0.0.1, and that certificate (PEM)."""
    cert, key = self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with serving_http(tls) as state:
        yield state, cert


