"""``appliance.client``: the asyncio client over both transports gives the same answers; bad URLs are refused."""

from __future__ import annotations

import asyncio

import pytest

from appliance.client import ClientError, Decide, connect, connect_async
from appliance.errors import UsageError
from tests.grpc.conftest import GrpcDaemon


def test_the_async_client_gives_the_same_answers_over_both_transports(daemon: GrpcDaemon) -> None:
    async def session(url: str) -> tuple[object, ...]:
        client = connect_async(url, daemon.running.token)
        try:
            decided = await asyncio.gather(*(client.decide({"user": {"young": 1.0}}, model="news") for _ in range(8)))
            streamed = await client.decide_many([Decide({"user": {"old": 1.0}})] * 5, model="news")
            rewards = {(await client.reward(d.event_id, 1.0, model="news")).status for d in decided}
            await client.learn(["1 | a", "2 | b"], model="ratings")
            predictions = await client.predict(["| a", "| b"], model="ratings")
            saved = await client.save("ratings")
            versions = (await client.versions("ratings"))[0] == saved
            kind = (await client.get_model("ratings")).kind
            with pytest.raises(ClientError) as err:
                await client.statistics("nope")
            return (len({d.event_id for d in decided}), len(streamed), rewards, [p.type for p in predictions], bool(versions), kind,
                    err.value.code)
        finally:
            await client.close()

    over_grpc = asyncio.run(session(f"grpc://{daemon.target}"))
    over_http = asyncio.run(session(daemon.running.base))
    assert over_grpc == over_http == (8, 5, {"accepted"}, ["multiclass", "multiclass"], True, "vw", "NOT_FOUND")


def test_the_async_client_closes_at_the_end_of_an_async_with_block_over_both_transports(daemon: GrpcDaemon) -> None:
    """``async with connect_async(...) as c:``, as ``with connect(...) as c:``: the client, closed at the block's end."""
    async def session(url: str) -> tuple[str, str]:
        async with connect_async(url, daemon.running.token) as client:
            default = (await client.get_model()).name
        with pytest.raises(ClientError) as err:
            await client.models()
        return default, err.value.code

    assert asyncio.run(session(f"grpc://{daemon.target}")) == asyncio.run(session(daemon.running.base)) == ("default", "CANCELLED")


def test_a_url_the_client_cannot_use_is_refused() -> None:
    for url in ("ftp://127.0.0.1:21", "127.0.0.1:50051", "grpc://"):
        with pytest.raises(UsageError, match="use grpc://HOST:PORT"):
            connect(url)


def test_get_model_gives_what_list_models_gives_over_both_transports(daemon: GrpcDaemon) -> None:
    answers = []
    for url in (f"grpc://{daemon.target}", daemon.running.base):
        with daemon.client(url) as c:
            ratings, default = c.get_model("ratings"), c.get_model()
            listed = {m.name: m for m in c.models()}
            with pytest.raises(ClientError) as err:
                c.get_model("nope")
        assert (ratings.name, ratings.kind, ratings.ready, ratings.status["arguments"]) == ("ratings", "vw", True, "--oaa 3"), url
        assert (default.name, default.kind) == ("default", listed["default"].kind) and ratings.status.keys() == listed["ratings"].status.keys()
        answers.append((ratings.name, ratings.kind, ratings.ready, default.name, default.kind, err.value.code, "nope" in err.value.message))
    assert answers[0] == answers[1] == ("ratings", "vw", True, "default", "loop", "NOT_FOUND", True)


def test_a_request_too_large_is_refused_alike_over_both_transports(daemon: GrpcDaemon) -> None:
    for url in (f"grpc://{daemon.target}", daemon.running.base):
        with daemon.client(url) as c, pytest.raises(ClientError) as err:
            c.predict(["| " + "a" * (17 << 20)], model="ratings")
        assert err.value.code == "RESOURCE_EXHAUSTED" and "send less" in err.value.message, (url, err.value)


def test_decide_many_says_how_many_were_answered_before_a_failure_over_both_transports(daemon: GrpcDaemon) -> None:
    async def failing(url: str) -> str:
        client = connect_async(url, daemon.running.token)
        try:
            with pytest.raises(ClientError) as err:
                await client.decide_many([Decide({"user": {"a": 1.0}}), Decide({"user": {"a": 1.0}}, actions=["nope"])], model="news")
            return err.value.message
        finally:
            await client.close()

    for url in (f"grpc://{daemon.target}", daemon.running.base):
        message = asyncio.run(failing(url))
        assert "unknown action(s) 'nope'" in message and " of 2 decisions)" in message, (url, message)
