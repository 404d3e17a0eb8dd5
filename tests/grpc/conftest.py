"""A real ``wabbit run`` with its gRPC API on 127.0.0.1, for the gRPC tests (skipped without the grpc extra)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("grpc")
pytest.importorskip("grpc_tools")

from appliance.client import Client, connect  # noqa: E402
from tests.api.conftest import FAST, Running, start_daemon  # noqa: E402
from tests.conftest import free_port  # noqa: E402

NEWS = "simulation: null\njoin: {reward_wait_s: 30}\npolicy:\n  actions: [{id: sports}, {id: politics}]\n"


def grpc_config(port: int, extra: str = "", base: str = FAST) -> str:
    """``base`` with the gRPC API on ``port``."""
    return f"{base}server:\n  grpc:\n    enabled: true\n    port: {port}\n{extra}"


@dataclass
class GrpcDaemon:
    running: Running
    port: int
    channels: list[Any] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self, url: str | None = None, token: str | None = "") -> Client:
        """A client over gRPC (or ``url``) with the daemon's token (``None``: none)."""
        return connect(url or f"grpc://{self.target}", self.running.token if token == "" else token)

    def channel(self) -> Any:
        """One plain-text channel to the daemon, kept for its lifetime (a channel that is garbage-collected cancels
        the calls still in flight on it)."""
        import grpc

        if not self.channels:
            self.channels.append(grpc.insecure_channel(self.target))
        return self.channels[0]

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.running.token}"),)


def start_grpc_daemon(tmp_path: Path, extra: str = "", data_dir: Path | None = None, port: int | None = None,
                      base: str = FAST) -> GrpcDaemon:
    """``wabbit run`` with its gRPC API on ``port``, once ``/healthz`` answers (the gRPC port is bound before it)."""
    port = port or free_port()
    return GrpcDaemon(start_daemon(tmp_path, grpc_config(port, extra, base), data_dir=data_dir), port)


@pytest.fixture
def hung() -> Iterator[int]:
    """A port whose server never answers: the kernel completes the handshake, nobody reads."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrpcDaemon]:
    """One daemon for a module, with a vw model (``ratings``: --oaa 3) and a loop model (``news``) beside the default one."""
    running = start_grpc_daemon(tmp_path_factory.mktemp("grpc"))
    try:
        with running.client() as c:
            c.create_model("ratings", vw_arguments="--oaa 3")
            c.create_model("news", config_yaml=NEWS)
        yield running
    finally:
        out = running.running.stop()
        assert running.running.proc.returncode == 0, out
