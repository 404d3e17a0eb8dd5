"""Predict on a ``--dsjson`` vw model leaves no trace: the issue's "Predict ... with no side effects" for DSJSON too.

VW's JSON parser fills only its own pool's examples, which ``finish_example`` counts in the counters saved with the
model; the model predicts lines parsed by a workspace of its own arguments instead (``DSJSONPredictor``)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import vowpalwabbit

from appliance.models.vw_model import VWModel


def line(rng: random.Random, labelled: bool) -> str:
    """A cb_adf DSJSON line as a decision is logged: a shared namespace, three actions with features of their own
    (``-q ux`` crosses them), the actions and pmf (VW's DSJSON parser reads ``_multi`` only beside ``a``); labelled: its
    cost first."""
    chosen = rng.randint(1, 3)
    label = {"_label_cost": -rng.random(), "_label_probability": 1 / 3, "_label_Action": chosen, "_labelIndex": chosen - 1}
    return json.dumps({**(label if labelled else {}),  # before the context, where VW's DSJSON parser looks for it
                       "c": {"u": {"age": rng.random(), "city": rng.choice(["oslo", "lima"])},
                             "_multi": [{"x": {f"a{k}": 1, "len": rng.random()}} for k in range(3)]},
                       "a": [1, 2, 3], "p": [1 / 3] * 3})


def saved(model: VWModel, tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    model.save(path)
    return path.read_bytes()


def test_dsjson_predictions_change_no_counter_and_no_byte_of_the_model(tmp_path: Path) -> None:
    rng = random.Random(7)
    model = VWModel.create("ranker", tmp_path / "ranker", "--cb_explore_adf --dsjson -q ux --epsilon 0.1", durable=False)
    try:
        assert model.learn([line(rng, True) for _ in range(50)], "dsjson") == 50
        before, stats = saved(model, tmp_path, "before.vw"), model.statistics()
        lines = [line(rng, labelled=i % 2 == 0) for i in range(100)]  # labels, where given, are ignored
        ours = model.predict(lines, "dsjson")
        assert saved(model, tmp_path, "after.vw") == before
        assert model.statistics() == stats and (stats.examples, stats.weighted_examples) == (50, 50.0)

        # the same predictions VW gives when its own workspace parses the lines
        reference = vowpalwabbit.Workspace(f"--quiet --dsjson -i {tmp_path / 'before.vw'}")
        try:
            expected = [reference.predict(reference.parse(text)) for text in lines]
        finally:
            reference.finish()
        assert [(p.type, len(p.value)) for p in ours] == [("action_probs", 3)] * 100
        assert [p.value for p in ours] == expected
        assert len({tuple(p.value) for p in ours}) > 1  # the contexts matter: not one pmf for all
    finally:
        model.close()


def test_a_loaded_version_predicts_with_its_own_interactions(tmp_path: Path) -> None:
    """The parsing workspace follows the loaded file's arguments (interactions are taken from the parser's settings)."""
    rng = random.Random(3)
    model = VWModel.create("ranker", tmp_path / "ranker", "--cb_explore_adf --dsjson -q ux", durable=False)
    try:
        model.learn([line(rng, True) for _ in range(40)], "dsjson")
        probe = [line(rng, False) for _ in range(20)]
        first = model.predict(probe, "dsjson")
        version = model.export()[1].version
        model.learn([line(rng, True) for _ in range(40)], "dsjson")
        assert model.predict(probe, "dsjson") != first
        model.rollback(version)
        assert model.predict(probe, "dsjson") == first
    finally:
        model.close()
