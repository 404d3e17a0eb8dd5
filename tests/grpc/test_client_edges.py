"""``appliance.client`` where users meet its edges: many calls at once over HTTP, nothing to decide with the daemon
down, closing an asyncio gRPC client under a call, a format it does not know, a bundle uploaded under its own name."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from pathlib import Path
from typing import Awaitable, Callable

import orjson
import pytest

from appliance.client import AsyncClient, ClientError, Decide, connect, connect_async
from appliance.errors import UsageError
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


def test_decide_many_of_nothing_is_nothing_over_both_transports_even_with_the_daemon_down() -> None:
    port = free_port()

    async def nothing(url: str) -> list[object]:
        async with connect_async(url, "token", timeout_s=5) as client:
            await asyncio.gather(client.models(), return_exceptions=True)  # the channel, failed once
            return list(await client.decide_many([]))

    for url in (f"grpc://127.0.0.1:{port}", f"http://127.0.0.1:{port}"):
        assert asyncio.run(nothing(url)) == [], url
        with connect(url, "token", timeout_s=5) as client:
            with pytest.raises(ClientError):
                client.models()
            assert client.decide_many([]) == [], url


@pytest.mark.parametrize("scheme", ["grpc", "http"])
def test_closing_an_async_client_ends_its_calls_in_flight_with_cancelled_not_by_cancelling_their_tasks(hung: int, scheme: str) -> None:
    """As a synchronous client's: at once, with ``CANCELLED`` (over HTTP the call waited out its timeout_s, its socket open)."""
    async def close_under_a_call() -> tuple[str, bool]:
        client = connect_async(f"{scheme}://127.0.0.1:{hung}", "token", timeout_s=30)
        call = asyncio.create_task(client.decide({"user": {"a": 1.0}}))
        await asyncio.sleep(0.3)
        await client.close()
        try:
            await call
        except ClientError as err:
            return err.code, call.cancelled()
        except asyncio.CancelledError:
            return "asyncio.CancelledError", call.cancelled()
        return "answered", False

    started = time.monotonic()
    assert asyncio.run(close_under_a_call()) == ("CANCELLED", False)
    assert time.monotonic() - started < 5


def test_an_unknown_example_format_is_invalid_argument_over_both_transports(daemon: GrpcDaemon) -> None:
    for url in (f"grpc://{daemon.target}", daemon.running.base):
        with daemon.client(url) as c:
            for call in (lambda: c.predict(["| a"], fmt="csv", model="ratings"),  # type: ignore[arg-type]
                         lambda: c.learn(["1 | a"], fmt="csv", model="ratings")):  # type: ignore[arg-type]
                with pytest.raises(ClientError) as err:
                    call()
                assert err.value.code == "INVALID_ARGUMENT" and "'text' or 'dsjson'" in err.value.message, (url, err.value)


def test_a_bundle_uploaded_without_a_model_name_is_served_as_its_own_name_over_both_transports(daemon: GrpcDaemon, tmp_path: Path) -> None:
    import vowpalwabbit

    workspace = vowpalwabbit.Workspace("--oaa 3 --quiet")
    workspace.save(str(tmp_path / "m.vw"))
    workspace.finish()
    pack_bundle(tmp_path / "packed.wabbit", tmp_path / "m.vw", "packed", vw_arguments="--oaa 3", model_version=5)
    for url in (f"grpc://{daemon.target}", daemon.running.base):
        with daemon.client(url) as c:
            version = c.upload((tmp_path / "packed.wabbit").read_bytes(), bundle=True)
            served = c.get_model("packed")
            c.delete_model("packed")
        assert (version.version, version.origin, served.kind) == (5, "bundle", "vw"), url


MODEL = b"a model file"
SLOW_ANSWERS = {
    b"/decide": (orjson.dumps({"event_id": "e", "action": "a", "probability": 1.0, "pmf": [{"action": "a", "probability": 1.0}],
                               "model_version": 0, "timestamp": 0.0}), b""),
    b"/model": (MODEL, b"X-Model-Version: 1\r\nX-Model-SHA256: %s\r\n" % hashlib.sha256(MODEL).hexdigest().encode()),
    b"/versions": (b"[]", b""),
    b"PUT": (orjson.dumps({"model_version": 1, "sha256": hashlib.sha256(MODEL).hexdigest(), "bytes": len(MODEL)}), b""),
}


async def slow_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers each HTTP request after 0.2 s (a busy daemon), keep-alive: a decide, a model download or upload, versions."""
    try:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):  # the client went away
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(int(line.partition(b":")[2]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
                await reader.readexactly(length)
                await asyncio.sleep(0.2)
                method, path = head.split(b" ")[:2]
                answer, headers = (SLOW_ANSWERS[method] if method in SLOW_ANSWERS
                                   else next(a for tail, a in SLOW_ANSWERS.items() if path.endswith(tail)))
                writer.write(b"HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n%s" % (headers, len(answer), answer))
    finally:  # also when the test's event loop ends, cancelling this
        writer.close()


def slow_call(call: Callable[[AsyncClient], Awaitable[object]], timeout_s: float) -> tuple[str, float]:
    """What ``call`` raised (or ``answered``) against :func:`slow_server`, and how long it took."""
    async def session() -> tuple[str, float]:
        server = await asyncio.start_server(slow_server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with connect_async(f"http://127.0.0.1:{port}", "token", timeout_s=timeout_s) as client:
                started = asyncio.get_running_loop().time()
                try:
                    await call(client)
                except ClientError as err:
                    return err.message, asyncio.get_running_loop().time() - started
                return "answered", asyncio.get_running_loop().time() - started
        finally:
            server.close()

    return asyncio.run(session())


def test_timeout_s_bounds_a_whole_decide_many_over_http_as_over_grpc() -> None:
    """docs/grpc.md: ``timeout_s`` bounds each call whole, a ``decide_many`` as a whole: not each of its decisions."""
    message, took = slow_call(lambda client: client.decide_many([Decide()] * 10), 0.5)
    assert "within 0.5 s" in message and "(after 2 of 10 decisions)" in message and took < 1.0, (message, took)


def test_timeout_s_bounds_a_whole_download_upload_and_save_over_http_as_over_grpc() -> None:
    """Over HTTP each is two requests (the model, then its version's details), each given timeout_s of its own."""
    assert slow_call(lambda client: client.download(), 1.0)[0] == "answered"  # 0.4 s
    for call in (lambda client: client.download(), lambda client: client.upload(MODEL), lambda client: client.save()):
        message, took = slow_call(call, 0.3)
        assert "within 0.3 s" in message and took < 0.6, (message, took)


def test_a_tls_ca_that_is_missing_or_no_certificate_is_refused_naming_it_alike_over_both_transports(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    port = free_port()
    for url in (f"grpcs://127.0.0.1:{port}", f"https://127.0.0.1:{port}"):
        for ca, problem in ((tmp_path / "missing.pem", "cannot read it"), (tmp_path / "notes.txt", "holds no PEM certificate")):
            with pytest.raises(UsageError) as err:
                with connect(url, "token", tls_ca=ca) as client:
                    client.models()
            assert f"tls_ca {ca}: {problem}" in str(err.value), (url, err.value)


def test_a_timeout_that_is_no_number_of_seconds_above_0_is_refused_when_the_client_is_made() -> None:
    """0, a negative or NaN timed every call out at once as if the daemon were hung; infinity did over gRPC only."""
    port = free_port()
    for url in (f"grpc://127.0.0.1:{port}", f"http://127.0.0.1:{port}"):
        for timeout_s in (0.0, -1.0, float("nan"), float("inf")):
            with pytest.raises(UsageError, match=f"timeout_s {timeout_s}: give the longest a call may take"):
                connect(url, "token", timeout_s=timeout_s)
            with pytest.raises(UsageError, match=f"timeout_s {timeout_s}: "):
                connect_async(url, "token", timeout_s=timeout_s)


def test_a_url_without_a_host_or_with_a_port_that_is_no_port_is_refused_over_both_transports() -> None:
    """HTTP raised urllib's ValueError; gRPC took port 99999 as 34463 (modulo 65536), and no port as 443."""
    for url, problem in (("http://127.0.0.1:abc", "Port could not be cast"), ("grpc://127.0.0.1:abc", "Port could not be cast"),
                         ("http://127.0.0.1:99999", "Port out of range"), ("grpc://127.0.0.1:99999", "Port out of range"),
                         ("http://[::1", "Invalid IPv6 URL"), ("grpc://127.0.0.1", "no port"),
                         ("http://:8080", "no host"), ("grpc://:50051", "no host")):
        with pytest.raises(UsageError) as err:
            connect_async(url)
        assert f"cannot connect to {url!r} ({problem}" in str(err.value) and "use grpc://HOST:PORT" in str(err.value), (url, err.value)


def test_an_async_client_made_outside_its_event_loop_or_used_in_another_is_refused_saying_so(daemon: GrpcDaemon) -> None:
    """gRPC failed every call of a client made outside the loop with asyncio's 'attached to a different loop'; HTTP
    answered in the first asyncio.run() and raised 'Event loop is closed' in the next."""
    for url in (f"grpc://{daemon.target}", daemon.running.base):
        with pytest.raises(UsageError, match="call it inside an async function"):
            connect_async(url, daemon.running.token)

        async def from_another_loop() -> None:
            async with connect_async(url, daemon.running.token) as client:
                await client.get_model()
                with pytest.raises(UsageError, match="made in another event loop"):
                    await asyncio.to_thread(asyncio.run, client.get_model())  # type: ignore[arg-type]

        asyncio.run(from_another_loop())
