"""Given tables in a spec: feature names, values that follow an earlier namespace (``loc_by``), held within bounds,
action ids, and a truth written out as weights (``model: given``, ``clip``). The ``light`` world is such a spec: it
goes through ``wabbit gen`` to text and DSJSON whose truth is the world's own, and it draws the contexts the lamp's
hand-made world drew (the hour, a daylight curve, loud evenings; the same shares of best colours)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from appliance.datagen import Draw, load_spec_text
from appliance.features import Features
from appliance.worlds import LightWorld, best_action
from appliance.worlds.light import COLOURS, light_spec

WABBIT = [sys.executable, "-m", "appliance"]
GIVEN = """problem: {type: cb_adf}
shared:
  - {name: hour, type: categorical, names: [am, pm]}
  - {name: sun, names: [lux], values: {scale: 0.0, min: 0, max: 1, loc_by: {namespace: hour, table: {pm: 1.4}}, loc: 0.2}}
actions: {pool: 2, ids: [bright, dim], namespaces: [{name: lamp, type: identity}]}
truth: {model: given, weights: {hour: {am: [0.5, 0.1]}, sun: {lux: [-1.0, 1.0]}}, clip: [0.05, 0.95], outcome: bernoulli}
"""


def test_a_given_truth_scores_the_given_table() -> None:
    draw = Draw(load_spec_text(GIVEN + "examples: 300"))
    block = next(draw.blocks())
    hours, sun = block.shared[0].names[:, 0], block.shared[1].values[:, 0]
    assert set(hours.tolist()) == {"am", "pm"} and block.shared[1].names[0].tolist() == ["lux"]
    assert np.allclose(sun, np.where(hours == "pm", 1.0, 0.2))  # its location from its hour (1.4 held at 1), no spread
    by_hand = np.clip(np.where(hours == "am", 1.0, 0.0)[:, None] * [0.5, 0.1] + sun[:, None] * [-1.0, 1.0], 0.05, 0.95)
    latents = {ns.name: ns.latent for ns in block.shared}
    expected = draw.truth.expected(draw.truth.score(latents, draw.pool.latents(), block.offered, np.arange(block.n)))
    assert expected == pytest.approx(by_hand)
    assert draw.pool.ids == ["bright", "dim"] and draw.pool.namespaces[0].names[:, 0].tolist() == ["bright", "dim"]


def contexts_of(path: Path) -> list[Features]:
    """The shared namespaces of each DSJSON event."""
    return [{k: v for k, v in json.loads(line)["c"].items() if k != "_multi"} for line in path.read_text().splitlines()]


def test_the_light_spec_round_trips_through_wabbit_gen(tmp_path: Path) -> None:
    spec = tmp_path / "light.json"
    spec.write_text(json.dumps(light_spec(4).model_dump(mode="json", exclude_defaults=True), indent=1))
    truths = {}
    for format in ("text", "dsjson"):
        made = subprocess.run([*WABBIT, "gen", "data", str(spec), "-o", str(tmp_path / f"out.{format}"), "-f", format, "-n", "2000"],
                              capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        truths[format] = json.loads((tmp_path / f"out.{format}.truth.json").read_text())
    assert truths["text"]["value"] == truths["dsjson"]["value"] and list(truths["text"]["value"]["actions"]) == list(COLOURS)
    first = json.loads((tmp_path / "out.dsjson").read_text().splitlines()[0])
    assert [a["_id"] for a in first["c"]["_multi"]] == list(COLOURS) and first["c"]["_multi"][0]["colour"] == {"warm": 1.0}
    contexts = contexts_of(tmp_path / "out.dsjson")
    text_hours = [line.split("|time ")[1].split()[0] for line in (tmp_path / "out.text").read_text().splitlines() if line.startswith("shared")]
    assert text_hours == [next(iter(c["time"])) for c in contexts]  # the same examples in both formats
    world = LightWorld(4)  # the world scores the file's contexts as the truth beside them does
    expected = [world.expected_rewards(c, 0) for c in contexts]
    value = truths["dsjson"]["value"]
    assert statistics.fmean(max(e) for e in expected) == pytest.approx(value["oracle"], abs=1e-6)
    assert statistics.fmean(statistics.fmean(e) for e in expected) == pytest.approx(value["uniform"], abs=1e-6)
    assert statistics.fmean(e[2] for e in expected) == pytest.approx(value["actions"]["red"]["value"], abs=1e-6)


def hour(context: Features) -> int:
    (name,) = context["time"]
    return int(name[1:])


@pytest.mark.parametrize("seed", [2, 3])
def test_the_light_world_draws_the_contexts_it_drew_by_hand(seed: int) -> None:
    """The figures the hand-made world gave (4,000 contexts, seeds 2 and 3): brightness about 0.79 in daylight
    (8 h to 18 h) and 0.16 else, sound 0.50 in the evening (from 18 h) and 0.18 else; every hour about as often; best
    colours red 0.27, warm 0.28, blue 0.25, cool 0.20 of the time; the oracle earns 0.616, uniform choice 0.376."""
    world = LightWorld(seed)
    contexts, expected = [], []
    for step in range(4000):  # each context scored as it is drawn (the world's quick path)
        contexts.append(world.context(step))
        expected.append(world.expected_rewards(contexts[-1], step))
    assert all(sorted(c) == ["audio", "time", "video"] and list(c["time"].values()) == [1.0] for c in contexts)
    assert all(0.0 < c["audio"]["level"] <= 1.0 and 0.0 < c["video"]["brightness"] <= 1.0 for c in contexts)
    hours = Counter(hour(c) for c in contexts)
    assert sorted(hours) == list(range(24)) and 120 < min(hours.values()) and max(hours.values()) < 230
    daylight = [8 <= hour(c) < 18 for c in contexts]
    evening = [18 <= hour(c) for c in contexts]
    assert statistics.fmean(c["video"]["brightness"] for c, d in zip(contexts, daylight) if d) == pytest.approx(0.79, abs=0.02)
    assert statistics.fmean(c["video"]["brightness"] for c, d in zip(contexts, daylight) if not d) == pytest.approx(0.16, abs=0.02)
    assert statistics.fmean(c["audio"]["level"] for c, e in zip(contexts, evening) if e) == pytest.approx(0.50, abs=0.02)
    assert statistics.fmean(c["audio"]["level"] for c, e in zip(contexts, evening) if not e) == pytest.approx(0.18, abs=0.02)
    best = Counter(COLOURS[e.index(max(e))] for e in expected)
    shares = {colour: best[colour] / len(contexts) for colour in COLOURS}
    assert shares == pytest.approx({"warm": 0.28, "cool": 0.20, "red": 0.27, "blue": 0.25}, abs=0.03)
    assert best_action(world, contexts[0], 0) == COLOURS[expected[0].index(max(expected[0]))]
    assert statistics.fmean(max(e) for e in expected) == pytest.approx(0.616, abs=0.01)
    assert statistics.fmean(statistics.fmean(e) for e in expected) == pytest.approx(0.376, abs=0.01)
