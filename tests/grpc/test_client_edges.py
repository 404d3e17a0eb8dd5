"""``appliance.client`` where users meet its edges: many calls at once over HTTP, nothing to decide with the daemon
down, closing an asyncio gRPC client under a call, a format it does not know, a bundle uploaded under its own name."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Iterator

import pytest

from appliance.client import ClientError, connect, connect_async
from appliance.models.bundle import pack_bundle
from tests.conftest import free_port
from tests.grpc.conftest import GrpcDaemon


def test_more_concurrent_calls_than_the_daemon_takes_connections_from_one_address_are_all_answered_over_http(daemon: GrpcDaemon) -> None:
    """The daemon keeps at most 32 connections from one address (appliance.server.serve.PER_CLIENT) and closes the one
    waiting longest for a request to make room: a client opening more lost calls it had sent."""
    async def burst() -> list[object]:
        async with connect_async(daemon.running.base, daemon.running.token) as client:
            return await asyncio.gather(*(client.decide({"user": {"a": 1.0}}, model="news") for _ in range(80)), return_exceptions=True)

    failed = [r for r in asyncio.run(burst()) if isinstance(r, BaseException)]
    assert failed == [], f"{len(failed)} of 80 failed: {failed[0]}"
