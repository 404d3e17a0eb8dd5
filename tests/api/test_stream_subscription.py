"""``GET /api/stream`` subscribes before it takes its first snapshot, and lets go of the subscription however the
stream ends: the route with a real :class:`EventHub` on a real :class:`EventBus`, its response driven as a server
drives it (ASGI), in one event loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Iterator

import pytest
from starlette.requests import ClientDisconnect

from appliance.bus import EventBus
from appliance.events import RewardReceived
from appliance.server.hub import EventHub
from appliance.server.routes_metrics import stream

WAIT_S = 10.0
"""How long an event may take to cross the bus's thread (it takes milliseconds)."""


class Room:
    """What the route needs of the daemon: its hub, and a status that runs ``during`` while it is taken."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.hub = EventHub(self.bus)
        self.during: Callable[[], None] = lambda: None

    def status(self) -> dict[str, Any]:
        self.during()
        return {"uptime_s": 1.0, "stream_clients": self.hub.subscribers}


def reward(event_id: str) -> RewardReceived:
    return RewardReceived(event_id=event_id, value=1.0, status="accepted", reward_id=None, timestamp=1.0)


async def serve(room: Room, receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]) -> object:
    """The route's response, once driven to its end (returned: kept alive, it cannot end its subscription as
    garbage, only by itself)."""
    response = await stream(None, room)  # type: ignore[arg-type]  # the route reads nothing of its request
    await response({"type": "http", "asgi": {"spec_version": "2.0"}}, receive, send)
    return response


def off_the_bus(room: Room) -> None:
    assert room.hub.subscribers == 0, "a stream that ended is still subscribed"
    assert "stream" not in room.bus.stats(), "the hub stays on the bus with no stream open"


@pytest.fixture
def room() -> Iterator[Room]:
    room = Room()
    yield room
    room.bus.close()


def test_an_event_published_while_the_first_snapshot_is_taken_reaches_the_stream(room: Room) -> None:
    room.during = lambda: room.bus.publish(reward("between"))
    chunks: list[str] = []

    async def run() -> object:
        left = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            chunks.append(message.get("body", b"").decode())
            if '"event_id": "between"' in chunks[-1]:
                left.set()  # the client has what it waited for: it leaves

        return await asyncio.wait_for(serve(room, receive, send), WAIT_S)

    try:
        response = asyncio.run(run())
    except asyncio.TimeoutError:
        pytest.fail(f"the reward published while the first snapshot was taken never reached the stream: {chunks}")
    first, *rest = [c for c in chunks if c]
    assert first.startswith("retry: 2000\nevent: stats\n") and '"stream_clients": 1' in first, first
    assert rest == ['event: reward\ndata: {"event_id": "between", "reward": 1.0, "status": "accepted"}\n\n'], rest
    off_the_bus(room)
    del response


def test_a_client_gone_before_the_body_started_leaves_no_subscriber(room: Room) -> None:
    async def reset(message: dict[str, Any]) -> None:
        raise ConnectionResetError("the client left")  # at the headers: the body's generator never starts

    async def never() -> dict[str, Any]:
        raise AssertionError("a stream does not read its request")

    async def run() -> object:
        response = await stream(None, room)  # type: ignore[arg-type]
        with pytest.raises(ClientDisconnect):
            await response({"type": "http", "asgi": {"spec_version": "2.4"}}, never, reset)
        return response

    response = asyncio.run(run())
    off_the_bus(room)
    del response


def test_a_snapshot_that_fails_leaves_no_subscriber(room: Room) -> None:
    def broken() -> None:
        raise OSError("the status could not be read")

    room.during = broken

    async def never() -> dict[str, Any]:
        raise AssertionError("a failed route has no response to drive")

    with pytest.raises(OSError, match="could not be read"):
        asyncio.run(serve(room, never, never))
    off_the_bus(room)


def test_the_last_stream_to_end_does_not_wait_for_the_hubs_thread() -> None:
    """The last stream's end takes the hub off the bus on the server's event loop: it used to wait (up to a second)
    for the hub's thread to handle what it still held, for no stream, while every request waited behind it."""
    room = Room()
    handled: list[object] = []

    def slow(event: object) -> None:  # a backlog the hub's thread takes a while to get through
        time.sleep(0.02)
        handled.append(event)

    room.hub._forward = slow  # type: ignore[method-assign]

    async def a_stream() -> float:
        with room.hub.subscribe(asyncio.get_running_loop()):
            for n in range(50):
                room.bus.publish(reward(f"e{n}"))
            started = time.perf_counter()
        return time.perf_counter() - started

    assert asyncio.run(a_stream()) < 0.2  # it waited the full second before
    assert room.hub.subscribers == 0 and not room.bus.wanted
    deadline = time.monotonic() + WAIT_S
    while len(handled) < 50:  # the thread still got through its backlog, then ended
        assert time.monotonic() < deadline, len(handled)
        time.sleep(0.05)
