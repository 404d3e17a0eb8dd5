"""The client when things go wrong, over both transports: a hung server times out naming the timeout and what the
call may have done; a port nobody listens on is unreachable and nothing was sent; closing a client ends the calls in
flight and leaves no thread, socket or task; a daemon killed mid-call and restarted: the cut call is reported as of
unknown outcome, the client reconnects within about a second, what was acknowledged is kept and what was not is
made once when sent again."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from appliance.client import ClientError, connect, connect_async
from tests.api.conftest import start_daemon
from tests.conftest import free_port
from tests.grpc.conftest import NEWS, grpc_config


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


def test_a_grpc_client_reconnects_within_about_a_second_of_the_servers_return() -> None:
    import grpc

    async def outage(port: int) -> float:
        client = connect_async(f"grpc://127.0.0.1:{port}", "token")
        try:
            with pytest.raises(ClientError, match="Nothing was sent"):
                await client.models()
            await asyncio.sleep(6)  # long enough for grpc's own backoff (1, 1.6, 2.56, 4.1 s...) to be 3 s late
            server = grpc.aio.server()
            server.add_insecure_port(f"127.0.0.1:{port}")
            await server.start()
            back = time.monotonic()
            code = "UNAVAILABLE"
            while code == "UNAVAILABLE":
                await asyncio.sleep(0.05)
                try:
                    await client.models()
                except ClientError as err:
                    code = err.code
            await server.stop(None)
            assert code == "UNIMPLEMENTED"  # a server with no services: reached
            return time.monotonic() - back
        finally:
            await client.close()

    assert asyncio.run(outage(free_port())) < 2


def test_a_daemon_killed_mid_call_and_restarted(tmp_path: Path) -> None:
    grpc_port, http_port = free_port(), free_port()
    config = grpc_config(grpc_port)
    running = start_daemon(tmp_path, config, port=http_port)
    clients = {url: connect(url, running.token, timeout_s=10) for url in (f"grpc://127.0.0.1:{grpc_port}", running.base)}
    try:
        next(iter(clients.values())).create_model("news", config_yaml=NEWS)
        acknowledged = {url: c.decide({"user": {"a": 1.0}}, model="news").event_id for url, c in clients.items()}
        for url, c in clients.items():
            assert c.reward(acknowledged[url], 1.0, reward_id="r1", model="news").status == "accepted"
        os.kill(running.proc.pid, signal.SIGSTOP)  # the calls below are sent and never read
        cut: dict[str, ClientError] = {}

        def decide(url: str) -> None:
            try:
                clients[url].decide({"user": {"a": 1.0}}, model="news", event_id=f"cut-{url[:4]}")
            except ClientError as err:
                cut[url] = err

        callers = [threading.Thread(target=decide, args=(url,), daemon=True) for url in clients]
        for caller in callers:
            caller.start()
        time.sleep(0.3)
        running.stop(signal.SIGKILL)
        for caller in callers:
            caller.join(15)
        assert len(cut) == 2
        for url, err in cut.items():
            assert err.code == "UNAVAILABLE" and "may or may not have taken effect" in err.message, (url, err)
            with pytest.raises(ClientError) as down:
                clients[url].models()
            assert down.value.code == "UNAVAILABLE" and "Nothing was sent" in down.value.message, (url, down.value)
        running = start_daemon(tmp_path, config, data_dir=running.data_dir, port=http_port)
        back = time.monotonic()
        for url, c in clients.items():
            while True:
                try:
                    c.models()
                    break
                except ClientError:
                    assert time.monotonic() - back < 2.5, f"{url} did not reconnect within 2.5 s of the daemon's return"
                    time.sleep(0.05)
            assert c.reward(acknowledged[url], 1.0, reward_id="r1", model="news").status == "duplicate"
            assert c.decide({"user": {"a": 1.0}}, model="news", event_id=f"cut-{url[:4]}").event_id == f"cut-{url[:4]}"
    finally:
        for c in clients.values():
            c.close()
        running.stop()
