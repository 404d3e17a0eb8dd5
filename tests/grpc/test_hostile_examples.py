"""Examples that crash Vowpal Wabbit (a segmentation fault that takes the daemon with it) are refused before VW sees
them, and a batch that cannot all be read is refused whole: nothing logged, nothing learned, the model reopens.

Each hostile example runs in a child process, so that a regression fails this test instead of killing pytest; the
same examples with no checks (VW 9.11) end in SIGSEGV."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import orjson
import pytest

from appliance.datagen import generate, load_spec_text
from appliance.errors import UsageError
from appliance.models.base import ModelDiverged
from appliance.models.vw_model import VWModel
from tests.datagen.test_slots import SPECS as SLOT_SPECS
from tests.datagen.test_slots import spec_of as slot_spec
from tests.datagen.test_vw_formats import ACTIONS as FORMAT_ACTIONS
from tests.datagen.test_vw_formats import SHARED as FORMAT_SHARED

SHARED = {"_multi": [{"x": {"a": 1}}, {"x": {"b": 1}}]}
SLATES = {"_multi": [{"_slot_id": 0, "x": {"a": 1}}, {"_slot_id": 1, "x": {"b": 1}}], "_slots": [{}, {}]}
CCB_ACTIONS = "ccb shared |u a\nccb action |x a0"

# (VW arguments, format, the example): each one crashed VW 9.11 in predict or learn
HOSTILE = [
    ("--cb_explore_adf --dsjson", "dsjson", {"c": 1}),
    ("--cb_explore_adf --dsjson", "dsjson", {"c": "x"}),
    ("--cb_explore_adf --dsjson", "dsjson", {"c": True, "_label_cost": 1}),
    ("--ccb_explore_adf --dsjson", "dsjson", {"c": {**SHARED, "_slots": [{}, {}, {}]}, "_outcomes": [{"_label_cost": 1, "_a": 0, "_p": 1}]}),
    ("--slates --dsjson", "dsjson", {"c": {"_multi": 1}}),
    ("--slates --dsjson", "dsjson", {"c": {"_multi": [-2.5]}}),
    ("--slates --dsjson", "dsjson", {"c": {"_multi": [{"x": {"a": 1}}], "_slots": [{}]}}),  # no _slot_id
    ("--slates --dsjson", "dsjson", {"c": {"_multi": [{"_slot_id": 0}], "_slots": [{}, {}]}, "_label_cost": 1,
                                     "_outcomes": [{"_a": [0], "_p": [0.5]}, {"_a": [0], "_p": [1]}]}),  # slot 1 has no action
    ("--slates --dsjson", "dsjson", {"c": -2.5}),
    ("--ccb_explore_adf", "text", "ccb action |b"),
    ("--ccb_explore_adf", "text", "ccb shared |u a\nccb slot 2:2:0.0 3 |s s0"),
    ("--ccb_explore_adf", "text", f"{CCB_ACTIONS}\nccb slot |s s0\nccb slot 0:-1:2 |s s1"),
    ("--slates", "text", "slates shared 1 |u a\nslates slot 1:3 |s s0"),
    ("--slates", "text", "slates shared 1 |u a\nslates action 0 |x a0\nslates slot |s s0"),
    ("--slates", "text", "slates slot 0:1 |a b\nslates action 0 |a b"),
    ("--csoaa_ldf m", "text", " |a b\n3 |a b"),
    ("--csoaa_ldf m", "text", "'tag | a\n1 |a"),
    ("--wap_ldf m", "text", "shared |a b\n |b"),
    ("--csoaa_ldf m", "text", "{}"),  # found by tests/grpc/test_fuzz.py: a line with no "|"
    ("--csoaa_ldf m", "text", "shared"),
    ("--csoaa_ldf m", "text", "1|a"),
    ("--csoaa_ldf m", "text", "\x1d |a"),
]


OUTCOMES = {0: "refused", 1: "took it", 2: "failed otherwise"}


def _call(directory: str, arguments: str, method: str, text: str, fmt: str) -> None:  # pragma: no cover - in the child
    model = VWModel("m", Path(directory), arguments, durable=False)
    try:
        getattr(model, method)([text], fmt)
    except UsageError:
        os._exit(0)
    except BaseException:  # noqa: BLE001 - told by the exit code
        os._exit(2)
    os._exit(1)


def in_child(tmp_path: Path, arguments: str, method: str, text: str, fmt: str) -> str:
    """What a vw model of ``arguments`` did with ``text`` in a child process: "refused" (a UsageError), "took it",
    "failed otherwise", or the signal that ended it. The children are forked by a forkserver, a clean process: a
    fork of pytest's own process, which holds gRPC's threads, can hang."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["appliance.models.vw_model"])
    child = context.Process(target=_call, args=(str(tmp_path / method), arguments, method, text, fmt))
    child.start()
    child.join(120)
    code = child.exitcode
    assert code is not None, "the child did not finish in 120 s"
    return f"killed by {signal.Signals(-code).name}" if code < 0 else OUTCOMES[code]


@pytest.mark.parametrize("arguments,fmt,example", HOSTILE, ids=[f"{a.split()[0]}-{f}-{i}" for i, (a, f, _) in enumerate(HOSTILE)])
def test_an_example_that_crashes_vw_is_refused_by_predict_and_learn(tmp_path: Path, arguments: str, fmt: str,
                                                                     example: object) -> None:
    text = example if isinstance(example, str) else orjson.dumps(example).decode()
    assert in_child(tmp_path, arguments, "predict", text, fmt) == "refused"
    assert in_child(tmp_path, arguments, "learn", text, fmt) == "refused"


def test_the_refusal_says_what_is_wrong_and_where(tmp_path: Path) -> None:
    model = VWModel.create("m", tmp_path / "m", "--slates --dsjson", durable=False)
    try:
        with pytest.raises(UsageError, match=r'example 1 .*c\._multi\[0\]: a slates action needs its "_slot_id"'):
            model.predict([orjson.dumps({"c": SLATES}).decode(), '{"c": {"_multi": [{}], "_slots": [{}]}}'], "dsjson")
    finally:
        model.close()
    model = VWModel.create("c", tmp_path / "c", "--ccb_explore_adf", durable=False)
    try:
        with pytest.raises(UsageError, match=r'example 0: line 0 is not a "ccb shared" line'):
            model.learn(["ccb action |b"], "text")
    finally:
        model.close()


def test_namespaces_nested_past_the_limit_are_refused(tmp_path: Path) -> None:
    model = VWModel.create("d", tmp_path / "d", "--cb_explore_adf --dsjson", durable=False)
    try:
        deep = '{"c":' + '{"a":' * 1000 + "1" + "}" * 1001  # past Python's recursion limit, too
        with pytest.raises(UsageError, match="deeper than 32 levels"):
            model.predict([deep], "dsjson")
        assert model.predict(['{"c":' + '{"a":' * 30 + "1" + "}" * 31], "dsjson")[0].type == "action_probs"
    finally:
        model.close()


def test_a_batch_with_an_unreadable_example_is_refused_whole_and_the_model_reopens(tmp_path: Path) -> None:
    model = VWModel.create("r", tmp_path / "r", "--oaa 3")
    with pytest.raises(UsageError, match="example 1 cannot be parsed"):
        model.learn(["1 | a", "x | b", "2 | c"], "text")
    assert model.version == 0  # not even example 0
    assert model.learn(["1 | a"], "text") == 1
    model.close()
    reopened = VWModel("r", tmp_path / "r", "--oaa 3")  # the refused batch is not in the log
    try:
        assert reopened.version == 1
    finally:
        reopened.close()


def test_what_the_learner_refuses_is_named_and_the_rest_is_learned_once(tmp_path: Path) -> None:
    model = VWModel.create("c", tmp_path / "c", "--ccb_explore_adf")
    ok = f"{CCB_ACTIONS}\nccb action |x a1\nccb slot 0:-1:0.5 |s s0"
    too_many_slots = f"{CCB_ACTIONS}\nccb slot |s s0\nccb slot |s s1\nccb slot |s s2\nccb slot |s s3\nccb slot |s s4"
    with pytest.raises(UsageError, match=r"action\(s\) for 5 slot\(s\)"):  # found before anything is learned
        model.learn([ok, too_many_slots], "text")
    assert model.version == 0 and model.learn([ok, ok], "text") == 2
    model.close()
    reopened = VWModel("c", tmp_path / "c", "--ccb_explore_adf")
    try:
        assert reopened.version == 2
    finally:
        reopened.close()


def test_a_logged_batch_vw_cannot_read_is_left_out_at_restart(tmp_path: Path) -> None:
    """A log written before these checks may hold a batch that was refused (and never acknowledged) after it was
    logged: the model opens, learns the rest, and says what it left out."""
    model = VWModel.create("r", tmp_path / "r", "--oaa 3")
    model.learn(["1 | a"], "text")
    model._log.write([orjson.dumps({"f": "text", "x": ["2 | b", "x | c"]}) + b"\n", orjson.dumps({"f": "text", "x": ["3 | d"]}) + b"\n"])
    model._log.sync()
    model._log.close()
    model._workspace.finish()
    reopened = VWModel("r", tmp_path / "r", "--oaa 3")
    try:
        assert reopened.version == 2  # "1 | a" and "3 | d"
    finally:
        reopened.close()


def test_json_models_are_made_with_dsjson_and_one_made_before_is_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--json.*--dsjson"):
        VWModel.create("j", tmp_path / "j", "--cb_explore_adf --json")
    older = VWModel("j", tmp_path / "j", "--cb_explore_adf --json", durable=False)  # as a model made before opens
    try:
        ok = orjson.dumps({"_label_cost": -1, "_label_probability": 0.5, "_labelIndex": 0, "_label_Action": 1, **SHARED}).decode()
        assert older.learn([ok], "text") == 1
        slots_of_lists = '{"_slots": [[{}, false], []], "c": [{}, []]}'  # SIGSEGV in VW 9.11's JSON reader
        assert in_child(tmp_path, "--cb_explore_adf --json", "learn", slots_of_lists, "text") == "refused"
        with pytest.raises(UsageError, match="not a JSON example VW reads"):
            older.learn([slots_of_lists], "text")
    finally:
        older.close()


def test_a_model_that_diverged_says_so_and_rolls_back(tmp_path: Path) -> None:
    """One example with a huge cost at a tiny probability leaves VW with an infinite weight; VW's JSON of the weights
    stops there. Statistics says the model diverged and how to mend it (it was an INTERNAL error), and a rollback
    mends it."""
    model = VWModel.create("c", tmp_path / "c", "--cb_explore_adf")
    try:
        model.learn(["shared |s a\n0:-1:0.5 |x a\n|x b"], "text")
        _, version = model.export()
        model.learn(["shared |s a\n0:1e38:1e-30 |x a\n|x b"], "text")
        with pytest.raises(ModelDiverged, match=r"diverged.*Rollback"):
            model.statistics()
        model.rollback(version.version)
        assert model.statistics().nonzero_weights > 0
    finally:
        model.close()


PROBLEMS = sorted({*FORMAT_ACTIONS, *SLOT_SPECS})


@pytest.mark.parametrize("problem", PROBLEMS)
def test_what_the_data_generator_writes_passes_the_checks(tmp_path: Path, problem: str) -> None:
    """No false refusal: every problem the data generator writes, as text and as DSJSON, is learned and predicted by
    a vw model of the generator's own VW arguments, every example taken (VW's own DSJSON test sets pass too: see
    docs/grpc.md)."""
    if problem in SLOT_SPECS:
        spec = load_spec_text(slot_spec(problem, 300))
    else:
        spec = load_spec_text(f"examples: 300\nseed: 5\nproblem: {{type: {problem}}}\n{FORMAT_SHARED}{FORMAT_ACTIONS[problem]}\n")
    for fmt in ("text", "dsjson"):
        truth = generate(spec, tmp_path / f"data.{fmt}", fmt)
        body = (tmp_path / f"data.{fmt}").read_text()
        multiline = fmt == "text" and problem in ("cb_adf", "ccb", "slates")  # a blank line ends each example
        examples = [e for e in (body.split("\n\n") if multiline else body.splitlines()) if e.strip()]
        model = VWModel.create(f"{problem}-{fmt}", tmp_path / f"{problem}-{fmt}", truth["vw_args"], durable=False)
        try:
            assert model.learn(examples, fmt) == len(examples) >= 300
            assert len(model.predict(examples[:20], fmt)) == 20
        finally:
            model.close()


def test_two_labelled_actions_are_refused_by_predict_and_by_learn_before_anything_is_learned(tmp_path: Path) -> None:
    """The gRPC fuzz's INTERNAL of stop 33: VW raises when it predicts a cb example with two labelled actions."""
    model = VWModel.create("cb", tmp_path / "cb", "--cb_explore_adf", durable=False)
    two = "shared |s a\n0:1:0.5 |x a\n0:1:0.5 |x b"
    try:
        with pytest.raises(UsageError, match="example 0 is refused by this model's learner .*only one"):
            model.predict([two], "text")
        with pytest.raises(UsageError, match="lines 1 and 2 both have a label"):
            model.learn(["shared |s a\n0:1:0.5 |x a\n|x b", two], "text")
        assert model.version == 0
    finally:
        model.close()
