"""``grpc.health.v1.Health`` with all three of its RPCs: grpcio-health-checking's asyncio servicer answers ``Check``
and ``Watch``, and leaves ``List`` (added to the health proto in 2024) ``UNIMPLEMENTED``; this one lists every
status it holds: the server's ``""``, each service's and each model's."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health, health_pb2


class HealthServicer(health.aio.HealthServicer):  # type: ignore[misc]  # grpcio-health-checking ships no types
    async def List(self, request: Any, context: Any) -> Any:
        """A snapshot of every status set, by service or model name."""
        statuses = self._server_status  # what Check answers from; the parent keeps it by that name
        return health_pb2.HealthListResponse(
            statuses={name: health_pb2.HealthCheckResponse(status=status) for name, status in statuses.items()})
