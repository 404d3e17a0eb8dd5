"""The event log is VW's own DSJSON: `vw --dsjson` learns from it the very model the live loop learned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.config import AppConfig, VWPolicyConfig
from appliance.policy.vw import VWPolicy, vw_arguments
from appliance.simulate import simulate
from appliance.storage import dsjson
from appliance.worlds import LightWorld

KEYS = ["_label_cost", "_label_probability", "_label_Action", "_labelIndex", "Timestamp", "Version", "EventId", "a", "c", "p"]


def test_log_key_order_and_vw_parses_it_to_the_same_model(tmp_path: Path) -> None:
    config = AppConfig.model_validate({"simulation": {"world": "light", "seed": 4}})
    result = simulate(config, 400, tmp_path)
    lines = Path(result["log"]).read_text().splitlines()
    assert len(lines) == 400
    first = json.loads(lines[0])
    assert list(first) == KEYS
    assert first["_label_cost"] == -1.0 or first["_label_cost"] in (0.0, -0.0)
    assert first["a"][0] == first["_label_Action"] == first["_labelIndex"] + 1

    # the live model, replayed through our own path, and VW's parser over the same file

    world = LightWorld(4)
    pconfig = config.effective_policy()
    assert isinstance(pconfig, VWPolicyConfig)
    args = vw_arguments(pconfig)
    native = vowpalwabbit.Workspace(arg_list=args + ["--dsjson"])
    for line in lines:
        examples = native.parse(line)
        native.learn(examples)
        native.finish_example(examples)
    ours = VWPolicy(pconfig)
    for line in lines:
        event, _ = dsjson.decode(line)
        ours.learn(event)
    native.save(str(tmp_path / "native.model"))
    loaded = VWPolicy(pconfig)
    loaded.load(tmp_path / "native.model", len(lines))
    for i in range(20):
        ctx = world.context(i)
        mine = ours.decide(ctx, f"p{i}", 0.0).pmf
        theirs = loaded.decide(ctx, f"q{i}", 0.0).pmf
        assert mine == pytest.approx(theirs, abs=1e-4)  # VW parses JSON floats with its own, coarser parser
    assert len(set(ours.decide(world.context(0), "x", 0.0).pmf)) > 1  # it learned something
