"""The gRPC API of ``wabbit run``: one ``grpc.aio`` server on its own thread and event loop, beside the HTTP one.

It serves ``wabbit.v1.Serving`` and ``wabbit.v1.Management`` (token required), the Open Inference Protocol v2
(``inference.GRPCInferenceService``, token required), ``grpc.health.v1.Health`` (one status per model, by its
name; ``""`` for the server) and server reflection (both open). Models are reached only through the ModelHost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

from appliance.config.grpc import GrpcConfig
from appliance.errors import UsageError
from appliance.grpc import stubs
from appliance.grpc.auth import interceptor
from appliance.grpc.calls import Calls
from appliance.grpc.inference import InferenceServicer
from appliance.grpc.management import ManagementServicer
from appliance.grpc.serving import ServingServicer
from appliance.models.base import ModelHost

log = logging.getLogger("wabbit")
HEALTH_EVERY_S = 1.0


class GrpcService:
    """Start with :meth:`start` (returns once the port is bound, or raises saying why not), stop with :meth:`stop`."""

    def __init__(self, config: GrpcConfig, host: ModelHost, token: str, data_dir: Path) -> None:
        self.config, self.host, self.token, self.data_dir = config, host, token, data_dir
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.calls = Calls(host, config.workers)

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread = threading.Thread(target=self._run, name="grpc", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise UsageError(f"the gRPC server did not start within {timeout_s:.0f} s")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # reported by start(), or logged if it fails later
            self._error = err
            if self._ready.is_set():
                log.exception("the gRPC server stopped")
            self._ready.set()

    async def _serve(self) -> None:
        server, health = self._build()
        address = f"{_bracketed(self.config.host)}:{self.config.port}"
        try:
            if self.config.tls_cert is not None and self.config.tls_key is not None:
                import grpc

                credentials = grpc.ssl_server_credentials([(_read(self.config.tls_key, "tls_key"), _read(self.config.tls_cert, "tls_cert"))])
                self.port = server.add_secure_port(address, credentials)
            else:
                self.port = server.add_insecure_port(address)
        except RuntimeError as err:
            raise UsageError(f"gRPC cannot listen on {address} ({err}); is the port in use? Set server.grpc.port") from None
        if not self.port:
            raise UsageError(f"gRPC cannot listen on {address}; is the port in use? Set server.grpc.port")
        await server.start()
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        await self._health(health)
        self._ready.set()
        log.info("gRPC API on %s (%s)", address, "TLS" if self.config.tls_cert else "plain text")
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), HEALTH_EVERY_S)
            except asyncio.TimeoutError:
                await self._health(health)
        await server.stop(grace=2.0)
        self.calls.close()

    def _build(self) -> tuple[Any, Any]:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        from grpc_reflection.v1alpha import reflection

        from appliance.grpc.health import HealthServicer

        serving, management, inference = stubs.serving(), stubs.management(), stubs.inference()
        limit = self.config.max_message_bytes
        server = grpc.aio.server(interceptors=[interceptor(self.token)], options=[
            ("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)])
        health_servicer = HealthServicer()
        serving.rpc.add_ServingServicer_to_server(ServingServicer(self.calls, serving.pb), server)
        management.rpc.add_ManagementServicer_to_server(ManagementServicer(
            self.calls, management.pb, self.data_dir / "uploads", on_change=lambda: self._health_soon(health_servicer)), server)
        inference.rpc.add_GRPCInferenceServiceServicer_to_server(InferenceServicer(self.calls, inference.pb), server)
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection((*stubs.SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                                             reflection.SERVICE_NAME), server)
        self._health_pb2, self._known = health_pb2, set[str]()
        return server, health_servicer

    def _health_soon(self, servicer: Any) -> None:
        """Refresh the health statuses now (a model was created or deleted), without waiting for the next round."""
        self._refresh = asyncio.ensure_future(self._health(servicer))

    async def _health(self, servicer: Any) -> None:
        """Each model's status under its name (SERVING when it answers calls: not in safe mode), the server's under ""."""
        statuses = self._health_pb2.HealthCheckResponse
        names = self.host.names()
        for name in names:
            try:
                ready = self.host.get(name).ready()
            except LookupError:
                continue
            await servicer.set(name, statuses.SERVING if ready else statuses.NOT_SERVING)
        for gone in self._known - set(names):
            await servicer.set(gone, statuses.SERVICE_UNKNOWN)
        self._known = set(names)
        for service in ("", *stubs.SERVICE_NAMES):
            await servicer.set(service, statuses.SERVING)

    def stop(self) -> None:
        """Finish the calls in flight (2 s at most), then stop."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
        if self._error is not None:
            self.calls.close()  # the server failed before it could

    def alive(self) -> bool:
        """Whether it serves: its thread runs (a server that stopped by itself is restarted by the daemon)."""
        return self._thread is not None and self._thread.is_alive() and self._error is None

    def stats(self) -> dict[str, Any]:
        return {"port": self.port, "tls": self.config.tls_cert is not None, "error": None if self._error is None else str(self._error)}


def _bracketed(host: str) -> str:
    """An IPv6 address in brackets, as a gRPC target needs it.

    >>> _bracketed("::1"), _bracketed("127.0.0.1")
    ('[::1]', '127.0.0.1')
    """
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise UsageError(f"server.grpc.{what}: cannot read {path} ({err.strerror})") from None
