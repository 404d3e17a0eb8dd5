"""``datagen.dsjson_per_s``: ``cb_adf`` multi-examples generated to DSJSON per second (drawn, scored, chosen by the
logging policy and written), against ``json.dumps`` writing the same examples, already drawn, as dicts. The two
take turns in one run. ``datagen.ccb_dsjson_per_s``: the same for ``ccb`` examples (three slots, each scored and
chosen in turn).

>>> figures = taken_in_turn(200)
>>> sorted(figures), figures["ours"] > 0
(['json.dumps', 'ours'], True)
>>> taken_in_turn(100, CCB)["ours"] > 0
True
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

from appliance.bench.measure import compared, repeat_each
from appliance.datagen import Draw, load_spec_text
from appliance.datagen.writers import WriterContext, build_writer

SPEC = """
seed: 1
problem: {type: cb_adf}
shared:
  - {name: user, count: 8}
  - {name: geo, type: categorical, count: 2, vocabulary: 100, length: 6}
actions:
  pool: 20
  per_example: 4
  namespaces: [{name: item, type: identity}, {name: props, count: 4}]
logging: {policy: epsilon_greedy, epsilon: 0.1}
"""
CCB = SPEC.replace("cb_adf", "ccb").replace("per_example: 4", "per_example: 6") + "slots: {count: 3}\n"


def _generate(examples: int, text: str) -> bytes:
    spec = load_spec_text(text + f"examples: {examples}\n", "datagen_bench")
    draw = Draw(spec)
    writer = build_writer("dsjson", WriterContext(spec.problem.type, draw.pool, draw.decimals, spec.decimals.propensities))
    out = io.BytesIO()
    for block in draw.blocks():
        out.write(writer.write(block))
    return out.getvalue()


def taken_in_turn(examples: int, text: str = SPEC) -> dict[str, float]:
    """Examples per second of the generator (from the spec ``text`` to DSJSON bytes) and of ``json.dumps`` writing the
    same examples from dicts, one after the other."""
    started = time.perf_counter()
    data = _generate(examples, text)
    ours = examples / (time.perf_counter() - started)
    events = [json.loads(line) for line in data.splitlines()]
    out = io.StringIO()
    started = time.perf_counter()
    for event in events:
        out.write(json.dumps(event, separators=(",", ":")))
        out.write("\n")
    return {"ours": ours, "json.dumps": examples / (time.perf_counter() - started)}


def bench_datagen(quick: bool) -> dict[str, Any]:
    examples = 5_000 if quick else 50_000
    s = repeat_each(lambda: taken_in_turn(examples), repeats=3 if quick else 5)
    return compared(
        f"cb_adf multi-examples generated to DSJSON per second (8 dense + 2 categorical context features, 4 of 20 actions, "
        f"epsilon-greedy logging), {examples} examples", "examples/s", s["ours"],
        "json.dumps writing the same examples from dicts already drawn, taken in turn", s["json.dumps"],
        "the generator's speed as a share of json.dumps alone (goal: >= 20,000 examples/s on this machine)", examples=examples)


def bench_ccb(quick: bool) -> dict[str, Any]:
    examples = 2_000 if quick else 20_000
    s = repeat_each(lambda: taken_in_turn(examples, CCB), repeats=3 if quick else 5)
    return compared(
        f"ccb examples generated to DSJSON per second (8 dense + 2 categorical context features, 6 of 20 actions, 3 slots "
        f"each scored and chosen by epsilon-greedy logging), {examples} examples", "examples/s", s["ours"],
        "json.dumps writing the same examples from dicts already drawn, taken in turn", s["json.dumps"],
        "the generator's speed as a share of json.dumps alone", examples=examples)


BENCHMARKS = {"datagen.dsjson_per_s": bench_datagen, "datagen.ccb_dsjson_per_s": bench_ccb}
