"""The client when things go wrong, over both transports: a hung server times out naming the timeout and what the
call may have done; a port nobody listens on is unreachable and nothing was sent; closing a client ends the calls in
flight and leaves no thread, socket or task."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from typing import Iterator

import pytest

from appliance.client import ClientError, connect, connect_async
from tests.conftest import free_port


@pytest.fixture
def hung() -> Iterator[int]:
    """A port whose server never answers: the kernel completes the handshake, nobody reads."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def urls(port: int) -> tuple[str, str]:
    return f"grpc://127.0.0.1:{port}", f"http://127.0.0.1:{port}"


def test_a_hung_server_times_out_naming_the_timeout_and_the_unknown_outcome(hung: int) -> None:
    async def call(url: str) -> ClientError:
        client = connect_async(url, "token", timeout_s=0.3)
        try:
            with pytest.raises(ClientError) as err:
                await client.reward("e1", 1.0, reward_id="r1")
            return err.value
        finally:
            await client.close()

    for url in urls(hung):
        err = asyncio.run(call(url))
        assert err.code == "DEADLINE_EXCEEDED" and "within 0.3 s" in err.message and "timeout_s" in err.message, (url, err)
        assert "may or may not have taken effect" in err.message, (url, err)


def test_a_port_nobody_listens_on_is_unreachable_and_nothing_was_sent() -> None:
    for url in urls(free_port()):
        with connect(url, "token") as client, pytest.raises(ClientError) as err:
            client.decide({"user": {"a": 1.0}})
        assert err.value.code == "UNAVAILABLE" and "is the daemon running" in err.value.message, (url, err.value)
        assert "Nothing was sent: the call is safe to repeat" in err.value.message, (url, err.value)


def test_closing_ends_calls_in_flight_and_a_closed_client_refuses_calls_leaving_nothing_behind(hung: int) -> None:
    fds, threads = len(os.listdir("/proc/self/fd")), set(threading.enumerate())
    for url in urls(hung):
        client = connect(url, "token", timeout_s=30)
        failures: list[ClientError] = []

        def stuck() -> None:
            try:
                client.decide({"user": {"a": 1.0}})
            except ClientError as err:
                failures.append(err)

        caller = threading.Thread(target=stuck, daemon=True)
        caller.start()
        time.sleep(0.3)
        client.close()
        caller.join(5)
        assert not caller.is_alive() and [f.code for f in failures] == ["CANCELLED"], url
        assert "may or may not have taken effect" in failures[0].message
        with pytest.raises(ClientError, match="CANCELLED: this client is closed"):
            client.models()

        async def closed_async(url: str = url) -> set[asyncio.Task[object]]:
            client = connect_async(url, "token")
            await client.close()
            with pytest.raises(ClientError, match="CANCELLED: this client is closed"):
                await client.models()
            return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

        assert asyncio.run(closed_async()) == set(), url
    time.sleep(0.2)  # grpc's own poller thread and descriptors come once a process, at its first channel
    assert len(os.listdir("/proc/self/fd")) <= fds + 4 and all(t.name.endswith("(_poll_wrapper)") for t in set(threading.enumerate()) - threads)
