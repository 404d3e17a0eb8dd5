"""A loop model whose policy is not VW (``linucb``, ``uniform``), as gRPC clients meet it: statistics that do not
claim VW's counts, OIP metadata that names its policy and offers no VW input, raw examples refused naming the kind."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.grpc.conftest import GrpcDaemon

KINDS = ("linucb", "uniform")


def loop_config(kind: str) -> str:
    return f"simulation: null\njoin: {{reward_wait_s: 30}}\npolicy:\n  type: {kind}\n  actions: [{{id: sports}}, {{id: politics}}]\n"


@pytest.fixture(scope="module")
def kinds(daemon: GrpcDaemon) -> Iterator[GrpcDaemon]:
    with daemon.client() as c:
        for kind in KINDS:
            c.create_model(kind, config_yaml=loop_config(kind))
            for _ in range(3):
                c.reward(c.decide({"user": {"age": 0.3}}, model=kind).event_id, 1.0, model=kind)
    yield daemon
    with daemon.client() as c:
        for kind in KINDS:
            c.delete_model(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_statistics_of_a_non_vw_policy_count_no_vw_weights(kinds: GrpcDaemon, kind: str) -> None:
    with kinds.client() as c:
        stats = c.statistics(model=kind).model
    assert stats.features is None
    assert stats.nonzero_weights is None, f"{kind} has no VW weights to count, yet Statistics says {stats.nonzero_weights}"
    with kinds.running.client() as http:
        answer = http.get(f"/api/models/{kind}/statistics")
    assert answer.status_code == 200 and answer.json()["nonzero_weights"] is None, answer.text
