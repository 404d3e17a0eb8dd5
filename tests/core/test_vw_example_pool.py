"""Pooled shared examples and labelled copies parsed from text learn exactly what fresh, directly built examples learn."""

from __future__ import annotations

import random

import vowpalwabbit

from appliance.config import VWPolicyConfig
from appliance.features import Features
from appliance.policy import JoinedEvent
from appliance.policy.vw import VWPolicy
from appliance.policy.vw_examples import ExampleBuilder, _contents

ACTIONS = ["warm", "cool", "red", "blue"]
NAMESPACES = ["audio", "video", "time", "user"]


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
