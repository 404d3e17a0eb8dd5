"""The live policy value observer: on events of a known world its bands cover the true values and rank the
policies; it saves what it knows (values, chart, the VW candidates' models) and goes on from it after a restart."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from appliance.config.observers import PolicyValueObserverConfig
from appliance.estimators.live import PolicyValueObserver
from appliance.events import EventJoined
from appliance.observers.base import ObserverHome
from appliance.policy.base import Decision, JoinedEvent

ACTIONS = ("on", "off")
FEATURES = {"on": {"A": {"on": 1.0}}, "off": {"A": {"off": 1.0}}}
TRUTH = {"on": 0.8, "off": 0.2}  # each action's chance of a reward of 1
CANDIDATE = "--cb_explore_adf --epsilon 0.05"


def joined(rng: random.Random, i: int) -> EventJoined:
    """An event logged by a uniformly random policy."""
    index = rng.randrange(2)
    action = ACTIONS[index]
    d = Decision(f"e{i}", action, index, 0.5, (0.5, 0.5), ACTIONS, {"u": {"x": 1.0}}, i, float(i))
    return EventJoined(JoinedEvent(d, float(rng.random() < TRUTH[action]), "rewarded", 1, float(i)))


def observer(home: Path | None, **config: object) -> PolicyValueObserver:
    config = {"max_events_per_s": 1e6, **config}  # all valued, however fast the test feeds them
    return PolicyValueObserver(PolicyValueObserverConfig(candidates=[CANDIDATE], chart_every_s=0.5, **config),  # type: ignore[arg-type]
                               name="value", home=ObserverHome(home, FEATURES))


def test_bands_cover_the_true_values_and_rank_the_policies() -> None:
    rng, value = random.Random(7), observer(None)
    for i in range(3000):
        value.handle(joined(rng, i))
    candidates = value.stats()["candidates"]
    truth = {"online": 0.5, "random": 0.5, "always on": 0.8, "always off": 0.2}
    for name, true_value in truth.items():
        low, high = candidates[name]["interval"]
        assert low <= true_value <= high, (name, candidates[name])
        assert candidates[name]["events"] == 3000
    assert candidates["always on"]["verdict"] == "better" and candidates["always off"]["verdict"] == "worse"
    learned = candidates[f"vw: {CANDIDATE}"]  # learns to switch on: near 0.8 * 0.975 + 0.2 * 0.025
    assert learned["verdict"] == "better" and 0.7 < learned["estimate"] < 0.85, learned
    assert set(learned["estimates"]) == {"ips", "snips"}
    value.close()


def test_above_its_rate_it_values_a_weighted_sample_and_stays_unbiased(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("appliance.estimators.live.time.monotonic", lambda: now[0])
    rng, value = random.Random(11), observer(None, max_events_per_s=100)
    for i in range(30_000):  # 1000 events a second for 30 s: after the first second, about one in ten is valued
        now[0] += 0.001
        value.handle(joined(rng, i))
    stats = value.stats()
    assert stats["keep"] == pytest.approx(0.1, abs=0.01) and 24_000 < stats["sampled_out"] < 28_000, stats
    truth = {"online": 0.5, "random": 0.5, "always on": 0.8, "always off": 0.2}
    for name, true_value in truth.items():
        c = stats["candidates"][name]
        assert c["interval"][0] <= true_value <= c["interval"][1], (name, c)
        assert c["events"] + stats["sampled_out"] == 30_000  # valued, or counted into the next valued one
    assert stats["candidates"]["always on"]["verdict"] == "better"
    value.close()


def test_late_rewards_learned_as_new_events_are_not_counted_twice() -> None:
    value = observer(None)
    event = joined(random.Random(1), 0)
    value.handle(event)
    late = JoinedEvent(event.event.decision, 1.0, "rewarded", 2, 1.0, late_key="e0/r2")
    value.handle(EventJoined(late))
    assert value.stats()["candidates"]["online"]["events"] == 1 and value.stats()["skipped"] == 1
    value.close()


def test_what_it_knows_survives_a_restart(tmp_path: Path) -> None:
    rng, first = random.Random(3), observer(tmp_path)
    for i in range(500):
        first.handle(joined(rng, i))
    before = first.stats()
    first.close()
    assert (tmp_path / "state.json").exists() and len(list(tmp_path.glob("candidate-*.vw"))) == 1

    second = observer(tmp_path)
    after = second.stats()
    assert after["candidates"] == before["candidates"]
    probe = joined(random.Random(99), 10_000)
    pmf_restored = list(second.candidates[-1].step(probe_logged(probe)))
    for i in range(500, 600):
        second.handle(joined(rng, i))
    assert second.stats()["candidates"]["online"]["events"] == 600
    second.close()
    assert pmf_restored[0] > 0.9  # the restored candidate goes on from its model: it already prefers "on"


def probe_logged(event: EventJoined) -> object:
    from appliance.storage.dsjson import Logged

    return Logged(event.event, [FEATURES[a] for a in ACTIONS])


def test_a_changed_setup_or_a_broken_file_starts_again_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng, first = random.Random(5), observer(tmp_path)
    for i in range(50):
        first.handle(joined(rng, i))
    first.close()
    with caplog.at_level(logging.WARNING):
        changed = observer(tmp_path, interval="gaussian")
    assert changed.stats()["candidates"]["online"]["events"] == 0
    assert "estimators, interval or reward range changed" in caplog.text
    changed.close()  # saves the new setup; the old candidate model stays (same options)

    (tmp_path / "state.json").write_text("{torn")
    with caplog.at_level(logging.ERROR):
        broken = observer(tmp_path, interval="gaussian")
    assert broken.stats()["candidates"]["online"]["events"] == 0 and "cannot be read" in caplog.text
    broken.close()

    for model in tmp_path.glob("candidate-*.vw"):
        model.write_bytes(b"not a model")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        lost = observer(tmp_path, interval="gaussian")
    stats = lost.stats()["candidates"]
    assert stats[f"vw: {CANDIDATE}"]["events"] == 0 and "cannot be read" in caplog.text
    lost.close()


def test_a_candidate_no_longer_configured_leaves_no_model_behind(tmp_path: Path) -> None:
    first = observer(tmp_path)
    first.handle(joined(random.Random(2), 0))
    first.close()
    other = PolicyValueObserver(PolicyValueObserverConfig(candidates=["--cb_adf"]), name="value", home=ObserverHome(tmp_path, FEATURES))
    other.close()
    state = json.loads((tmp_path / "state.json").read_text())
    assert len(list(tmp_path.glob("candidate-*.vw"))) == 1 and "vw: --cb_adf" in state["values"]


@pytest.mark.parametrize(("candidates", "message"), [
    (["--cb_explore_adf -f out.vw"], "-f touch files"),
    (["--epsilon 0.1"], "need one of --cb_explore_adf, --cb_adf"),
    (["--cb_adf", "--cb_adf"], "listed twice"),
])
def test_candidates_are_checked_with_the_config(candidates: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PolicyValueObserverConfig(candidates=candidates)


@pytest.mark.parametrize("interval", ["cs", "gaussian", "cressie_read", "clopper_pearson"])
def test_events_valued_in_batches_give_the_figures_of_one_at_a_time(interval: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The observer values the events it holds together, per candidate in one vectorised pass; each candidate's
    figures are those of the events added one at a time (up to rounding), whenever they are read (a chart period
    after the last read: reads in between show the same)."""
    from appliance.estimators.value import PolicyValue
    from appliance.evaluation.candidates import Constant, Logged, Uniform
    from appliance.storage import dsjson

    now = [1000.0]
    monkeypatch.setattr("appliance.estimators.live.time.monotonic", lambda: now[0])
    rng, value = random.Random(5), observer(None, interval=interval, estimators=["ips", "snips", "clipped_ips"])
    candidates = [Logged(), Uniform(), Constant("on"), Constant("off")]
    reference = {c.name: PolicyValue(("ips", "snips", "clipped_ips"), (interval,), 0.0, 1.0, empirical_r_bounds=True)
                 for c in candidates}
    for i in range(1, 301):
        event = joined(rng, i)
        value.handle(event)
        d = event.event.decision
        for c in candidates:
            reference[c.name].add_example(d.probability, event.event.reward, c.step(dsjson.Logged(event.event, [{}, {}]))[d.action_index])
        if i % 97 == 0 or i == 300:  # read between batches too: what is held is valued first
            now[0] += 0.5  # chart_every_s
            stats = value.stats()["candidates"]
            for c in candidates:
                summary = reference[c.name].summary(0.05)
                assert stats[c.name]["events"] == summary["events"] == i
                assert stats[c.name]["estimates"] == pytest.approx(summary["estimates"], rel=1e-12), c.name
                assert stats[c.name]["interval"] == pytest.approx([round(b, 6) for b in summary["intervals"][interval]], abs=2e-6)
    value.close()


def test_full_batches_give_the_figures_of_one_at_a_time() -> None:
    """Events past a full batch (HELD) are valued as they come in batches, then the rest when read: the figures are
    those of the events added one at a time."""
    from appliance.estimators.live import HELD
    from appliance.estimators.value import PolicyValue
    from appliance.evaluation.candidates import Constant
    from appliance.storage import dsjson

    rng, value = random.Random(7), observer(None, interval="cs", estimators=["ips", "snips"])
    reference = PolicyValue(("ips", "snips"), ("cs",), 0.0, 1.0, empirical_r_bounds=True)
    for i in range(1, 2 * HELD + 100):
        event = joined(rng, i)
        value.handle(event)
        d = event.event.decision
        reference.add_example(d.probability, event.event.reward, Constant("on").step(dsjson.Logged(event.event, [{}, {}]))[d.action_index])
    assert not value.sampled_out
    stats, summary = value.stats()["candidates"]["always on"], reference.summary(0.05)
    assert stats["events"] == summary["events"] == 2 * HELD + 99
    assert stats["estimates"] == pytest.approx(summary["estimates"], rel=1e-12)
    assert stats["interval"] == pytest.approx([round(b, 6) for b in summary["intervals"]["cs"]], abs=2e-6)
    value.close()


@pytest.mark.parametrize("kept", [1024, 2])
def test_random_and_constant_values_follow_the_actions_each_event_offers(kept: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random's and each constant action's probabilities are made once per tuple of offered actions: an event that does
    not offer an action values its constant baseline as uniform, as one-at-a-time valuation does. With room for fewer
    action lists than are offered, the kept ones start afresh (memory stays bounded) and the figures are the same."""
    from appliance.estimators import live
    from appliance.estimators.value import PolicyValue
    from appliance.evaluation.candidates import Constant, Uniform
    from appliance.storage import dsjson

    monkeypatch.setattr(live, "ACTION_LISTS", kept)
    rng, value = random.Random(3), observer(None, estimators=["ips"])
    offers = [("on", "off"), ("off",), ("off", "on")]
    reference = {c.name: (c, PolicyValue(("ips",), ("cs",), 0.0, 1.0, empirical_r_bounds=True)) for c in (Uniform(), Constant("on"))}
    for i in range(1, 301):
        actions = offers[i % 3]
        index = rng.randrange(len(actions))
        d = Decision(f"e{i}", actions[index], index, 1 / len(actions), (1 / len(actions),) * len(actions), actions, {"u": {"x": 1.0}}, i, float(i))
        event = EventJoined(JoinedEvent(d, float(rng.random() < 0.5), "on_time", 1, float(i)))
        value.handle(event)
        for candidate, expected in reference.values():
            expected.add_example(d.probability, event.event.reward, candidate.step(dsjson.Logged(event.event, [{}] * len(actions)))[index])
    stats = value.stats()["candidates"]
    for name, (_, expected) in reference.items():
        assert stats[name]["estimates"] == pytest.approx(expected.summary(0.05)["estimates"], rel=1e-12), name
    assert stats["always on"]["estimate"] != stats["random"]["estimate"]
    assert len(value._fixed) <= kept and len(value._offered) <= kept
    value.close()


@pytest.mark.parametrize("interval", ["cs", "gaussian", "cressie_read", "clopper_pearson"])
def test_sampled_events_valued_in_batches_give_the_figures_of_one_at_a_time(interval: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above its rate the observer values a sample, each event standing for those sampled out before it, in batches
    (several full ones, read between them too): each candidate's figures are those of the sampled events added one at
    a time with their drops."""
    from appliance.estimators.live import HELD
    from appliance.estimators.value import PolicyValue
    from appliance.evaluation.candidates import Constant, Logged, Uniform
    from appliance.storage import dsjson

    now = [1000.0]
    monkeypatch.setattr("appliance.estimators.live.time.monotonic", lambda: now[0])
    estimators = ("ips", "snips", "clipped_ips")
    rng, value = random.Random(13), observer(None, interval=interval, estimators=list(estimators), max_events_per_s=500)
    candidates = [Logged(), Uniform(), Constant("on"), Constant("off")]
    reference = {c.name: PolicyValue(estimators, (interval,), 0.0, 1.0, empirical_r_bounds=True) for c in candidates}
    dropped = valued = 0
    i = 0
    while valued < 4 * HELD + 300:
        i += 1
        now[0] += 0.001 if i % 3000 < 2000 else 0.0004  # 1,000 then 2,500 events a second: the kept share varies
        event, sampled_out = joined(rng, i), value.sampled_out
        value.handle(event)
        if value.sampled_out > sampled_out:
            dropped += 1
            continue
        d, valued = event.event.decision, valued + 1
        for c in candidates:
            p_pred = c.step(dsjson.Logged(event.event, [{}, {}]))[d.action_index]
            reference[c.name].add_example(d.probability, event.event.reward, p_pred, p_drop=1.0 - value._keep, n_drop=dropped)
        dropped = 0
        if valued % 1500 == 0 or valued == 4 * HELD + 300:  # read between batches and past several
            stats = value.stats()["candidates"]
            for c in candidates:
                summary, got = reference[c.name].summary(0.05), value.values[c.name].summary(0.05)
                assert stats[c.name]["events"] == summary["events"] == valued
                assert got["estimates"] == pytest.approx(summary["estimates"], rel=1e-12), c.name
                assert got["intervals"][interval] == pytest.approx(summary["intervals"][interval], rel=1e-12), c.name
    assert 0.3 < value._keep < 0.7 and value.sampled_out > 3 * HELD  # it did sample
    value.close()


def test_reads_make_each_candidates_interval_once_a_chart_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon reads the values every second for the dashboard's stream and at every /api/status; an interval's
    cost grows with the events valued (a 45-minute soak's: 40-90 ms for all candidates, 0.7 s at 26 million events),
    so a candidate's summary is made once a chart period (chart_every_s) however often it is read, and a chart point
    makes the charted ones' anew."""
    from appliance.estimators.value import PolicyValue

    now = [1000.0]
    monkeypatch.setattr("appliance.estimators.live.time.monotonic", lambda: now[0])
    rng, value = random.Random(3), observer(None)
    for i in range(200):
        value.handle(joined(rng, i))
    before = value.stats()
    made: list[PolicyValue] = []
    real = PolicyValue.summary
    monkeypatch.setattr(PolicyValue, "summary", lambda self, alpha=0.05: made.append(self) or real(self, alpha))
    for _ in range(10):
        assert value.stats() == before
    assert made == []  # was: 11 summaries a read (twice each candidate's, three times the online policy's)
    now[0] += 0.5  # chart_every_s
    value.handle(joined(rng, 200))  # a chart point: the online policy, random and the VW candidate
    charted = [value.values[n] for n in ("online", "random", f"vw: {CANDIDATE}")]
    assert made == charted and len(value.stats()["chart"]) == len(before["chart"]) + 1
    assert len(made) == len(value.values) == len({id(v) for v in made})  # that read made the others' only
    value.stats()
    assert len(made) == len(value.values)
    value.close()
