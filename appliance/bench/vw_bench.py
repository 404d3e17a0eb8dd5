"""Vowpal Wabbit micro-benchmarks, in µs per multi-line ADF example (a shared context line and 4 colour actions):
parse, predict and learn from text vs on pre-parsed examples, and our ExampleBuilder vs ``vw.parse``.

It also defines the light-world workload the join and end-to-end benchmarks share (:func:`light_workload`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from appliance.bench.measure import compared, repeat_each, timed
from appliance.features import Features

if TYPE_CHECKING:
    from appliance.config.policy import ActionConfig


def vw_text(features: Features) -> str:
    """Namespaced features as VW text.

    >>> vw_text({"audio": {"level": 0.5}, "time": {"h5": 1.0}})
    '|audio level:0.5 |time h5:1.0'
    """
    return " ".join(f"|{ns} " + " ".join(f"{k}:{v}" for k, v in values.items()) for ns, values in features.items())


@dataclass(frozen=True)
class LightWorkload:
    """Decisions of the light world as VW sees them: contexts, the chosen action (uniformly random, so each is
    logged with probability 1/4) and its reward; the policy's own VW options and action features."""

    contexts: list[Features]
    chosen: list[int]
    rewards: list[float]
    arguments: list[str]
    action_features: dict[str, Features]

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.action_features)

    @property
    def probability(self) -> float:
        return 1.0 / len(self.action_features)

    def lines(self, i: int, labelled: bool) -> list[str]:
        """Decision ``i`` as VW text: the shared line, then one line per action, the chosen one labelled if asked."""
        label = f"{self.chosen[i] + 1}:{-self.rewards[i]!r}:{self.probability!r} "
        return [f"shared {vw_text(self.contexts[i])}"] + [
            (label if labelled and k == self.chosen[i] else "") + vw_text(features)
            for k, features in enumerate(self.action_features.values())
        ]

    def workspace(self) -> Any:
        """A fresh VW workspace with the options our policy uses on this world."""
        import vowpalwabbit

        return vowpalwabbit.Workspace(arg_list=self.arguments)


def light_contexts(n: int, seed: int = 11) -> tuple[list[ActionConfig], list[Features], list[list[float]]]:
    """The light world's actions, its first ``n`` seeded contexts and every action's expected reward in each.

    Each context is scored as it is drawn: the world scored it with its block (a thousand contexts for about the
    cost of one); a context asked about later is scored alone, some 1 ms each, which made a workload of 18,000
    decisions cost 25 s.

    >>> actions, contexts, expected = light_contexts(2)
    >>> len(actions), sorted(contexts[0]), all(0.0 < p < 1.0 for p in expected[1])
    (4, ['audio', 'time', 'video'], True)
    """
    from appliance.worlds import LightWorld

    world = LightWorld(seed)
    contexts: list[Features] = []
    expected: list[list[float]] = []
    for i in range(n):
        contexts.append(world.context(i))
        expected.append(world.expected_rewards(contexts[i], i))
    return world.actions, contexts, expected


def light_workload(n: int, seed: int = 11) -> LightWorkload:
    """``n`` seeded light-world decisions.

    >>> w = light_workload(2)
    >>> w.lines(0, labelled=True)[0].startswith("shared |time h"), w.actions
    (True, ('warm', 'cool', 'red', 'blue'))
    """
    from appliance.config import AppConfig, VWPolicyConfig
    from appliance.policy.vw import vw_arguments

    actions, contexts, expected = light_contexts(n, seed)
    rng = random.Random(seed + 1)
    chosen = [rng.randrange(len(actions)) for _ in range(n)]
    rewards = [float(rng.random() < scores[a]) for scores, a in zip(expected, chosen)]
    pconfig = AppConfig().effective_policy()
    assert isinstance(pconfig, VWPolicyConfig)
    return LightWorkload(contexts, chosen, rewards, vw_arguments(pconfig), pconfig.action_features())


# An operation runs once over every decision of the workload on one workspace and returns µs per example.
Operation = Callable[[Any, LightWorkload, list[list[str]]], float]
CHUNK = 50  # decisions parsed at a time: a parsed multi-example holds ~160 KB until VW reuses it, 2000 would hold 300 MB


def _chunks(n: int) -> list[range]:
    """Decision indexes in chunks of ``CHUNK``.

    >>> _chunks(120)
    [range(0, 50), range(50, 100), range(100, 120)]
    """
    return [range(k, min(k + CHUNK, n)) for k in range(0, n, CHUNK)]


def _pre_parsed(call: str) -> Operation:
    """``vw.<call>`` on examples parsed beforehand (parsing and finishing them are not timed)."""

    def run(vw: Any, workload: LightWorkload, texts: list[list[str]]) -> float:
        method = getattr(vw, call)
        seconds = 0.0
        for chunk in _chunks(len(texts)):
            parsed = [vw.parse(texts[i]) for i in chunk]
            seconds += timed(lambda: [method(examples) for examples in parsed])
            for examples in parsed:
                vw.finish_example(examples)
        return 1e6 * seconds / len(texts)

    return run


def _from_text(call: str) -> Operation:
    """``vw.<call>`` on the text lines: pyvw parses, runs and finishes each example."""

    def run(vw: Any, workload: LightWorkload, texts: list[list[str]]) -> float:
        method = getattr(vw, call)
        return 1e6 * timed(lambda: [method(text) for text in texts]) / len(texts)

    return run


def _parse(vw: Any, workload: LightWorkload, texts: list[list[str]]) -> float:
    seconds = 0.0
    for chunk in _chunks(len(texts)):
        parsed: list[Any] = []
        seconds += timed(lambda: parsed.extend(vw.parse(texts[i]) for i in chunk))
        for examples in parsed:
            vw.finish_example(examples)
    return 1e6 * seconds / len(texts)


def _build(vw: Any, workload: LightWorkload, texts: list[list[str]]) -> float:
    """Our ExampleBuilder making the labelled multi-example the policy learns (shared + actions, chosen relabelled)."""
    from appliance.policy.vw_examples import ExampleBuilder

    builder = ExampleBuilder(vw, workload.action_features)
    probability, actions = workload.probability, workload.actions
    seconds = 0.0
    for chunk in _chunks(len(texts)):
        built: list[Any] = []  # freed after the timing: freeing examples is not building them
        seconds += timed(lambda: built.extend(
            builder.for_learn(builder.shared(workload.contexts[i]), actions, workload.chosen[i], -workload.rewards[i],
                              probability) for i in chunk))
    return 1e6 * seconds / len(texts)


def _compare(quick: bool, ours: Operation, reference: Operation, labelled: bool) -> dict[str, dict[str, Any]]:
    """Both operations in turn on one workspace, over the same examples, after a warm-up."""
    workload = light_workload(300 if quick else 2000)
    texts = [workload.lines(i, labelled) for i in range(len(workload.contexts))]
    vw = workload.workspace()
    try:
        return repeat_each(lambda: {"ours": ours(vw, workload, texts), "reference": reference(vw, workload, texts)},
                           repeats=5 if quick else 15)
    finally:
        vw.finish()


EXAMPLE = "per multi-line ADF example (light world: shared context + 4 colour actions)"


def bench_parse(quick: bool) -> dict[str, Any]:
    """How many learns one text parse costs."""
    s = _compare(quick, _parse, _pre_parsed("learn"), labelled=True)
    return compared(f"vw.parse µs {EXAMPLE}, labelled", "µs", s["ours"], "vw.learn on the same examples pre-parsed",
                    s["reference"], "how many learns one parse costs")


def bench_learn(quick: bool) -> dict[str, Any]:
    """Learning from text lines vs from pre-parsed examples."""
    s = _compare(quick, _from_text("learn"), _pre_parsed("learn"), labelled=True)
    return compared(f"vw.learn µs {EXAMPLE}, from text (parse + learn + finish)", "µs", s["ours"],
                    "vw.learn on the same examples pre-parsed", s["reference"],
                    "what parsing from text multiplies learning by")


def bench_predict(quick: bool) -> dict[str, Any]:
    """Predicting from text lines vs from pre-parsed examples."""
    s = _compare(quick, _from_text("predict"), _pre_parsed("predict"), labelled=False)
    return compared(f"vw.predict µs {EXAMPLE}, from text (parse + predict + finish)", "µs", s["ours"],
                    "vw.predict on the same examples pre-parsed", s["reference"],
                    "what parsing from text multiplies predicting by")


def bench_build(quick: bool) -> dict[str, Any]:
    """Our ExampleBuilder (hashed features pushed straight into native examples) vs parsing the same text."""
    s = _compare(quick, _build, _parse, labelled=True)
    return compared(f"appliance ExampleBuilder µs {EXAMPLE}: shared example + labelled copy of the chosen action",
                    "µs", s["ours"], "vw.parse of the same labelled text", s["reference"],
                    "below 1: the builder is faster than parsing the text")


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "vw.parse": bench_parse, "vw.learn": bench_learn, "vw.predict": bench_predict, "vw.build_example": bench_build,
}
