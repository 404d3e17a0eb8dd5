"""A loop model's Statistics count the features it learned from as VW counts them, over gRPC and HTTP alike, and
the count survives a restart after ``kill -9``."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import yaml

from appliance.bench.vw_bench import vw_text
from appliance.client import Client
from appliance.config import AppConfig
from appliance.policy.vw import vw_arguments
from tests.grpc.conftest import GrpcDaemon, start_grpc_daemon

CONFIG = "simulation: null\njoin: {reward_wait_s: 0.2}\npolicy:\n  actions: [{id: sports}, {id: politics}]\n"
DECIDED = [{"u": {"x": float(i + 1)}, "w": {"day": 1.0, f"h{i}": 0.5}} for i in range(10)]
LOGGED = {"user": {"young": 1.0}}
LINE = json.dumps({"EventId": "x", "_label_cost": -1.0, "_label_probability": 0.5, "_labelIndex": 0, "_label_Action": 1,
                   "a": [1, 2], "p": [0.5, 0.5], "c": {**LOGGED, "_multi": [{"_id": "sports"}, {"_id": "politics"}]}})


def vw_count(contexts: list[dict[str, dict[str, float]]]) -> int:
    """The features pyvw counts learning these contexts (as VW text) over the model's actions, with its options."""
    import vowpalwabbit

    policy = AppConfig.model_validate(yaml.safe_load(CONFIG)).effective_policy()
    vw = vowpalwabbit.Workspace(arg_list=vw_arguments(policy))
    actions = list(policy.action_features().values())
    total = 0
    for context in contexts:
        examples = vw.parse([f"shared {vw_text(context)}", f"1:-1:0.5 {vw_text(actions[0])}", *(vw_text(f) for f in actions[1:])])
        vw.learn(examples)
        total += sum(e.get_feature_number() for e in examples)
        vw.finish_example(examples)
    vw.finish()
    return total


def learned(c: Client, examples: int) -> tuple[int, int]:
    """The model's (examples, features) once it learned ``examples`` events (the loop joins within its wait)."""
    deadline = time.monotonic() + 20
    while (s := c.statistics("counted").model).examples < examples and time.monotonic() < deadline:
        time.sleep(0.1)
    return s.examples, s.features


def http_features(daemon: GrpcDaemon) -> int:
    running = daemon.running
    answer = httpx.get(f"{running.base}/api/models/counted/statistics", headers={"Authorization": f"Bearer {running.token}"})
    return int(answer.json()["features"])


def test_a_loop_model_counts_the_features_it_learned_and_keeps_them_across_kill_9(tmp_path: Path) -> None:
    expected = vw_count(DECIDED + [LOGGED] * 20)
    daemon = start_grpc_daemon(tmp_path)
    try:
        with daemon.client() as c:
            c.create_model("counted", config_yaml=CONFIG)
            for context in DECIDED:
                c.reward(c.decide(context, model="counted").event_id, 1.0, model="counted")
            assert c.learn([LINE] * 20, fmt="dsjson", model="counted") == 20
            assert learned(c, 30) == (30, expected) and expected > 30 * 3
            assert http_features(daemon) == expected
    finally:
        daemon.running.stop(signal.SIGKILL)

    again = start_grpc_daemon(tmp_path, data_dir=daemon.running.data_dir, port=daemon.port)
    try:
        with again.client() as c:
            assert learned(c, 30) == (30, expected)
            assert http_features(again) == expected
    finally:
        out = again.running.stop()
    assert again.running.proc.returncode == 0, out
