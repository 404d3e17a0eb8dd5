"""SIGTERM's handler runs in the main thread, which is the server's event loop, wherever that thread happens to be:
perhaps inside the live streams' hub, holding its lock while a stream subscribes or ends. The handler used to
end the streams in place, taking that same lock: the daemon hung in its shutdown, once in a while, until killed."""

from __future__ import annotations

import asyncio
import signal
import threading

from fastapi import FastAPI

from appliance.server.serve import build_server
from tests.conftest import free_port


def test_sigterm_inside_a_held_lock_ends_the_streams_once_the_lock_is_free() -> None:
    lock = threading.Lock()  # as the hub's: the streams' on_exit takes it
    took: list[bool] = []
    server = build_server(FastAPI(), "127.0.0.1", free_port(), on_exit=lambda: took.append(lock.acquire(timeout=0.5)))

    async def a_stream_subscribing() -> None:
        with lock:  # the signal arrives while the event loop's thread holds the lock
            signal.raise_signal(signal.SIGTERM)
            assert server.should_exit
        for _ in range(3):  # a few turns of the loop: the scheduled on_exit runs
            await asyncio.sleep(0)

    previous = signal.signal(signal.SIGTERM, server.handle_exit)  # as uvicorn installs it while it serves
    try:
        asyncio.run(a_stream_subscribing())
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert took == [True]  # once, after the lock was released; in place it waited for a lock its own thread held
