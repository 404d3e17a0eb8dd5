"""Acknowledged means durable: Decide, Reward and Learn answered over gRPC survive ``kill -9``."""

from __future__ import annotations

import signal
from pathlib import Path

from appliance.client import Decide
from tests.grpc.conftest import NEWS, start_grpc_daemon
from tests.grpc.test_serving import RATINGS


def test_acknowledged_calls_survive_kill_9(tmp_path: Path) -> None:
    daemon = start_grpc_daemon(tmp_path)
    try:
        with daemon.client() as c:
            c.create_model("ratings", vw_arguments="--oaa 3")
            c.create_model("news", config_yaml=NEWS)
            assert c.learn(RATINGS * 9, model="ratings") == 45
            learned = c.predict(["| snow", "| sunny"], model="ratings")
            pending = c.decide({"user": {"young": 1.0}}, model="news", event_id="kept-1")
            streamed = c.decide_many([Decide({"user": {"old": 1.0}}, event_id=f"kept-s{i}") for i in range(20)], model="news")
            rewarded = c.decide({"user": {"young": 1.0}}, model="news")
            assert c.reward(rewarded.event_id, 1.0, reward_id="r-1", model="news").status == "accepted"
    finally:
        daemon.running.stop(signal.SIGKILL)

    again = start_grpc_daemon(tmp_path, data_dir=daemon.running.data_dir, port=daemon.port)
    try:
        with again.client() as c:
            assert [m.name for m in c.models()] == ["default", "news", "ratings"]
            assert c.statistics("ratings").model.examples == 45
            assert c.predict(["| snow", "| sunny"], model="ratings") == learned
            for decision in (pending, *streamed):  # every acknowledged decision is waiting for its reward
                assert c.reward(decision.event_id, 0.5, model="news").status == "accepted", decision.event_id
            assert c.reward(rewarded.event_id, 1.0, reward_id="r-1", model="news").status == "duplicate"
    finally:
        out = again.running.stop()
    assert again.running.proc.returncode == 0, out


def test_a_grpc_port_in_use_is_reported_and_http_serves_on(tmp_path: Path) -> None:
    import socket

    import httpx

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        daemon = start_grpc_daemon(tmp_path, port=taken.getsockname()[1])
        try:
            status = httpx.get(f"{daemon.running.base}/api/status", headers={"Authorization": f"Bearer {daemon.running.token}"}).json()
            assert status["grpc"]["port"] == 0 and "is the port in use? Set server.grpc.port" in status["grpc"]["error"]
        finally:
            out = daemon.running.stop()
    assert daemon.running.proc.returncode == 0 and "the gRPC API is not served" in out, out
