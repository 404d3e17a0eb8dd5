"""gRPC Decide and Reward on a data directory whose disk fills up: UNAVAILABLE, saying where and what to do, and a
refused call sent again once there is room is taken as new."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from appliance.client import ClientError
from tests.grpc.conftest import start_grpc_daemon
from tests.small_disk import fill, small_disk

__all__ = ["small_disk"]
CONTEXT = {"u": {f"f{i}": 1.0 for i in range(200)}}


def test_grpc_calls_the_full_disk_refuses_say_where_and_can_be_sent_again(tmp_path: Path, small_disk: Path) -> None:
    daemon = start_grpc_daemon(tmp_path, data_dir=small_disk)
    try:
        with daemon.client() as client:
            client.decide(CONTEXT, event_id="kept")
            filler = fill(small_disk)
            refused: list[tuple[str, ClientError]] = []
            for i in range(200):
                try:
                    client.reward("kept", 1.0, reward_id=f"r{i}")
                except ClientError as err:
                    refused.append((f"r{i}", err))
                    break
            assert refused, "200 rewards taken on a full disk"
            reward_id, err = refused[0]
            assert f"the data directory {small_disk} is full" in str(err) and "UNAVAILABLE" in str(err), err
            with pytest.raises(ClientError, match="is full"):
                client.decide(CONTEXT, event_id="refused")
            filler.unlink()
            assert client.reward("kept", 1.0, reward_id=reward_id).status == "accepted"
            assert client.decide(CONTEXT, event_id="refused").event_id == "refused"
    finally:
        daemon.running.stop(signal.SIGKILL)
