"""Pooled shared examples, labelled copies parsed from text and relabelled cost-sensitive examples learn exactly what
fresh, directly built examples learn."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import vowpalwabbit
from vowpalwabbit import pyvw

from appliance.config import VWPolicyConfig
from appliance.errors import UsageError
from appliance.features import Features
from appliance.policy import JoinedEvent
from appliance.policy.vw import VWPolicy
from appliance.policy.vw_examples import CS, ExampleBuilder, _contents

ACTIONS = ["warm", "cool", "red", "blue"]
NAMESPACES = ["audio", "video", "time", "user"]
learn_multi = pyvw.pylibvw.vw.learn_multi


def contexts(n: int, seed: int) -> list[Features]:
    """Contexts whose namespaces and feature names change from one decision to the next."""
    rng = random.Random(seed)
    out: list[Features] = []
    for _ in range(n):
        chosen = rng.sample(NAMESPACES, rng.randint(1, len(NAMESPACES)))
        out.append({ns: {f"f{rng.randint(0, 30)}": round(rng.uniform(-1, 1), 3) for _ in range(rng.randint(1, 6))}
                    for ns in chosen})
    return out


def drive(policy: VWPolicy, stream: list[Features], wait: int) -> list[tuple[float, ...]]:
    """Decide each context, learn it ``wait`` decisions later (so examples go back to the pool out of order)."""
    config_rng = random.Random(3)
    pending = []
    pmfs = []
    for i, context in enumerate(stream):
        decision = policy.decide(context, f"e{i}", float(i))
        pmfs.append(decision.pmf)
        pending.append(decision)
        if len(pending) > wait:
            d = pending.pop(config_rng.randrange(len(pending)))
            reward = 1.0 if (d.action == "warm") == ("audio" in d.context) else 0.0
            policy.learn(JoinedEvent(d, reward, "on_time", 1, float(i)))
    return pmfs


def policy(pool: int, held: int = 1024) -> VWPolicy:
    config = VWPolicyConfig.model_validate({"actions": [{"id": a} for a in ACTIONS], "seed": 7, "held_examples": held})
    return VWPolicy(config, example_pool=pool)


def test_pooled_examples_learn_the_same_model_as_fresh_ones() -> None:
    stream = contexts(3000, seed=1)
    pooled, fresh = drive(policy(8), stream, wait=20), drive(policy(0), stream, wait=20)
    assert pooled == fresh
    assert len({p for p in pooled[-200:]}) > 10  # it learned: the pmfs depend on the context


def test_a_decision_learned_twice_rebuilds_its_example_from_the_context() -> None:
    stream = contexts(50, seed=2)
    results = []
    for pool in (8, 0):
        p = policy(pool)
        first = p.decide(stream[0], "first", 0.0)
        p.learn(JoinedEvent(first, 1.0, "on_time", 1, 1.0))
        drive(p, stream[1:], wait=3)  # the pooled example is reused by other decisions meanwhile
        p.learn(JoinedEvent(first, 1.0, "late", 1, 2.0))
        results.append(p.decide(stream[0], "again", 3.0).pmf)
    assert results[0] == results[1]


def test_labelled_copies_parsed_from_text_learn_what_built_copies_learn() -> None:
    stream = contexts(1500, seed=5)
    parsed, built = policy(8), policy(8)
    assert set(parsed._builder._texts) == set(ACTIONS)  # declared actions have a checked text form
    built._builder._texts.clear()  # every labelled copy built feature by feature instead
    assert drive(parsed, stream, wait=10) == drive(built, stream, wait=10)


def test_actions_whose_names_text_cannot_hold_are_built_directly() -> None:
    """Config refuses such names; the builder does not rely on it (it also serves replayed logs)."""
    vw = vowpalwabbit.Workspace(arg_list=["--cb_explore_adf", "--quiet"])
    builder = ExampleBuilder(vw, {
        "plain": {"colour": {"warm": 1.0}}, "zero": {"colour": {"off": 0.0, "dim": 0.25}},
        "odd": {"colour": {"red light": 1.0, "a:b": 0.5, "x|y": 2.0}}, "empty": {},
    })
    assert set(builder._texts) == {"plain", "zero"}
    shared = builder.shared({"audio": {"level": 0.5}})
    for chosen, action in enumerate(("plain", "zero", "odd", "empty")):
        examples = builder.for_learn(shared, ("plain", "zero", "odd", "empty"), chosen, -1.0, 0.25)
        labelled = examples[chosen + 1]
        assert labelled.get_cbandits_num_costs() == 1 and labelled.get_cbandits_class(0) == chosen + 1
        assert _contents(labelled)[1] == _contents(builder._actions[action])[1]  # same features as the cached action


def test_only_the_newest_pending_decisions_keep_their_example_and_the_model_is_the_same() -> None:
    stream = contexts(2000, seed=6)
    few = policy(8, held=5)
    pending = [few.decide(c, f"e{i}", float(i)) for i, c in enumerate(stream[:12])]
    assert [d.example is not None for d in pending] == [False] * 7 + [True] * 5
    for d in pending:
        few.learn(JoinedEvent(d, 1.0, "on_time", 1, 20.0))
    assert drive(policy(8, held=5), stream, wait=40) == drive(policy(8), stream, wait=40)


def test_a_tick_learned_in_passes_gives_the_model_events_learned_one_at_a_time(tmp_path: Path) -> None:
    """:meth:`VWPolicy.learn_all` builds a tick's multi-examples, learns them, then finishes them (three passes): the
    model, its version, the features counted and the pooled examples are those of learning each event alone."""
    stream = contexts(600, seed=8)
    batched, alone = policy(8), policy(8)
    for start in range(0, len(stream), 16):
        events = []
        for p in (batched, alone):
            decisions = [p.decide(c, f"e{start + i}", float(start + i)) for i, c in enumerate(stream[start:start + 16])]
            events.append([JoinedEvent(d, float(("audio" in d.context) == (d.action == "warm")), "on_time", 1, 0.0) for d in decisions])
        batched.learn_all(events[0])
        for event in events[1]:
            alone.learn(event)
        assert [e.decision.example for e in events[0]] == [None] * len(events[0])  # their examples went back to the pool
    assert batched.model_version == alone.model_version == len(stream) and batched.features == alone.features
    assert len(batched._builder._pool) == len(alone._builder._pool) == 8
    batched.save(tmp_path / "batched.model")
    alone.save(tmp_path / "alone.model")
    assert (tmp_path / "batched.model").read_bytes() == (tmp_path / "alone.model").read_bytes()


def test_an_event_offering_undeclared_actions_is_refused_after_the_events_before_it_are_learned() -> None:
    p = policy(8)
    made = [p.decide(c, f"e{i}", float(i)) for i, c in enumerate(contexts(3, seed=4))]
    made[1].actions = ("warm", "violet")
    with pytest.raises(UsageError, match="undeclared actions"):
        p.learn_all([JoinedEvent(d, 1.0, "on_time", 1, 5.0) for d in made])
    assert p.model_version == 1 and made[0].example is None and made[2].example is not None


def cost_sensitive_stream(n: int, seed: int) -> list[tuple[Features, tuple[str, ...], list[float], int | None]]:
    """Decisions to learn cost-sensitively: offered subsets in any order (so an action's class changes), varying
    costs, the same action learned alone several times in a row, and learns of all offered actions."""
    rng = random.Random(seed)
    out: list[tuple[Features, tuple[str, ...], list[float], int | None]] = []
    for context in contexts(n, seed):
        offered = tuple(rng.sample(ACTIONS, rng.randint(2, len(ACTIONS))))
        if rng.random() < 0.5:
            out.append((context, offered, [rng.choice([0.0, -1.0, rng.uniform(-3, 3)])], rng.randrange(len(offered))))
        else:
            out.append((context, offered, [rng.uniform(-2, 2) for _ in offered], None))
        if rng.random() < 0.2:  # the same action alone again, with another cost
            context_, offered_, _, only = out[-1]
            out += [(context_, offered_, [rng.uniform(-1, 1)], only if only is not None else 0) for _ in range(3)]
    return out


@pytest.mark.parametrize("labelled", [0, 8])
def test_relabelled_cost_sensitive_examples_learn_the_model_fresh_copies_learn(tmp_path: Path, labelled: int) -> None:
    """Kept cost-sensitive examples relabelled in place (with, or without, copies kept for the first ``labelled``
    labels) give byte for byte the model that a fresh labelled copy per learn gives, with actions re-declared
    from a log halfway (one with other features, one new) and, last, a logged decision offering an action twice."""
    arguments = VWPolicy(VWPolicyConfig.model_validate({"actions": [{"id": a} for a in ACTIONS], "cb_type": "python:dm",
                                                        "exploration": {"type": "epsilon", "epsilon": 0.1}})).arguments
    declared: dict[str, Features] = {a: {"colour": {a: 1.0, "lit": 0.5}} for a in ACTIONS}
    logged = {**declared, "red": {"colour": {"red": 2.0}, "size": {"big": 1.0}}, "green": {"colour": {"green": 1.0}}}
    stream = cost_sensitive_stream(800, seed=8)
    half = len(stream) // 2
    stream[half:] = [(c, (*offered, "green"), costs if only is not None else [*costs, 0.25], only)
                     for c, offered, costs, only in stream[half:]]
    stream.append(({"audio": {"f1": 0.5}}, ("warm", "cool", "warm"), [0.5, -1.0, 1.5], None))
    models = []
    for relabelled in (True, False):
        vw = vowpalwabbit.Workspace(arg_list=arguments)
        builder = ExampleBuilder(vw, declared, labelled=labelled, label_type=CS)
        fresh = ExampleBuilder(vw, {}, label_type=CS)
        for i, (context, offered, costs, only) in enumerate(stream):
            features = declared if i < half else logged
            if i == half:
                builder.declare(tuple(logged), list(logged.values()))
            shared = builder.shared(context)
            if relabelled:
                examples = builder.for_costs(shared, offered, costs, only)
            else:  # a fresh copy, built feature by feature, per labelled action
                indexes = range(len(offered)) if only is None else (only,)
                examples = [shared, *(fresh._example(features[offered[k]], f"{k}:{c:.9g}") for k, c in zip(indexes, costs))]
            learn_multi(vw, examples)
            builder.release(shared)
        vw.save(str(tmp_path / f"{relabelled}.model"))
        models.append((tmp_path / f"{relabelled}.model").read_bytes())
    vowpalwabbit.Workspace(arg_list=arguments).save(str(tmp_path / "untrained.model"))
    assert models[0] == models[1]
    assert models[0] != (tmp_path / "untrained.model").read_bytes()  # it learned


@pytest.mark.parametrize("interactions", ["auto", ["uc", "ac", "tA"]])
def test_the_features_counted_are_those_pyvw_counts_learning_the_same_examples(interactions: object) -> None:
    """Actions alike are asked once per event (:meth:`ExampleBuilder._count`); the total is pyvw's, every example's."""
    from appliance.bench.vw_bench import vw_text
    from appliance.policy.vw import vw_arguments

    actions = [{"id": "warm"}, {"id": "cool", "features": {"colour": {"blue": 1.0, "dark": 0.5}}}, {"id": "red"},
               {"id": "navy", "features": {"colour": {"blue": 1.0, "dark": 0.25}}}, {"id": "grey", "features": {"colour": {"dim": 1.0}}}]
    config = VWPolicyConfig.model_validate({"actions": actions, "seed": 3, "interactions": interactions})
    counted, reference = VWPolicy(config), vowpalwabbit.Workspace(arg_list=vw_arguments(config))
    features = [a.vw_features() for a in config.actions]
    expected = 0
    for i, context in enumerate(contexts(300, seed=9)):
        d = counted.decide(context, f"e{i}", float(i))
        counted.learn(JoinedEvent(d, float(i % 2), "on_time", 1, float(i)))
        examples = reference.parse([f"shared {vw_text(context)}", *(f"{'1:-1:0.5 ' if k == 0 else ''}{vw_text(f)}" for k, f in enumerate(features))])
        reference.learn(examples)
        expected += sum(e.get_feature_number() for e in examples)
        reference.finish_example(examples)
    assert counted.features == expected and len(counted._builder._alike[counted.actions]) == 3
