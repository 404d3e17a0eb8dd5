"""Introspection benchmarks: varinfo of a large model against reading VW's ``--invert_hash`` file, and a decision
explained against a plain one (over HTTP, as clients ask for it; and in process)."""

from __future__ import annotations

import http.client
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from appliance.bench.http_bench import _context, start_daemon
from appliance.bench.measure import compared, repeat_each, summarize, timed

FEATURES = 50_000
PER_DECISION = 5
ACTIONS = 4


def _decisions(quick: bool) -> list[list[str]]:
    """Contextual-bandit decisions whose shared namespace ``f`` brings every one of ``FEATURES`` features once
    (``PER_DECISION`` a decision), crossed with the actions' namespace ``a``."""
    rng = random.Random(5)
    vocabulary = list(range(FEATURES // 10 if quick else FEATURES))
    rng.shuffle(vocabulary)
    examples = []
    for start in range(0, len(vocabulary), PER_DECISION):
        shared = "shared |f " + " ".join(f"w{v}:{rng.uniform(-1, 1):.3f}" for v in vocabulary[start:start + PER_DECISION])
        chosen = rng.randrange(ACTIONS)
        actions = [(f"{a + 1}:{-rng.random():.3f}:0.25 " if a == chosen else "") + f"|a act{a} |b tone:{a / 4}" for a in range(ACTIONS)]
        examples.append([shared, *actions])
    return examples


def bench_varinfo(quick: bool) -> dict[str, Any]:
    """Introspecting a 2^18-weight model (50,000 active features and their interactions with the actions): the
    table from the model and one read of the data, vs VW writing its --invert_hash file and reading it back."""
    import vowpalwabbit

    from appliance.introspect import Observations, varinfo
    from appliance.introspect.readers import read_text

    examples = _decisions(quick)
    arguments = "--cb_explore_adf --cb_type ips -b 18 -q fa -q fb --quiet"
    text = "".join("\n".join(e) + "\n\n" for e in examples)
    sizes: dict[str, Any] = {}

    def run() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            readable = Path(tmp) / "readable.txt"
            ours = vowpalwabbit.Workspace(arguments)
            theirs = vowpalwabbit.Workspace(f"{arguments} --invert_hash {readable}")
            for example in examples:
                ours.learn(example)
                theirs.learn(example)
            seen = Observations.of(ours)
            reading = timed(lambda: read_text(seen, text.splitlines()))
            table: list[Any] = []
            seconds = timed(lambda: table.append(varinfo(ours, seen).sorted()))

            def reference() -> None:
                theirs.finish()  # writes the readable model
                weights = {}
                for line in readable.read_text().splitlines():
                    name, _, rest = line.rpartition(":")
                    weights[name] = rest
            reference_s = timed(reference)
            ours.finish()
            sizes.update(rows=len(table[0]), terms=len(seen))
            return {"ours": seconds, "reference": reference_s, "read": reading}

    s = repeat_each(run, repeats=2 if quick else 5, warmup=0)
    return compared(f"seconds to introspect a 2^18-weight model with {FEATURES // 10 if quick else FEATURES} active features "
                    "and their interactions (weights from the model, names and ranges already read; sorted by importance)",
                    "s", s["ours"], "VW writing its --invert_hash readable model and Python reading it back (same run)",
                    s["reference"], "below 1: faster than reading VW's readable model", **sizes,
                    read={"figure": "seconds to read the data once (names, hashes and value ranges of every term)", **s["read"]})


def _decide_ms(connection: http.client.HTTPConnection, token: str, i: int, explain: bool) -> float:
    body = json.dumps({"context": _context(i), "explain": explain})
    start = time.perf_counter()
    connection.request("POST", "/api/decide", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200 or (answer["explanation"] is not None) != explain:
        raise RuntimeError(f"decide answered {response.status}: {answer}")
    return (time.perf_counter() - start) * 1000


def _features_ms(connection: http.client.HTTPConnection, token: str) -> float:
    start = time.perf_counter()
    connection.request("GET", "/api/model/features?limit=20", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET /api/model/features answered {response.status}")
    return (time.perf_counter() - start) * 1000


def _in_process(n: int) -> tuple[list[float], list[float]]:
    """Policy-level: ``decide`` alone vs ``decide`` then ``explain`` (the light world's policy, trained a little)."""
    from appliance.config import AppConfig, VWPolicyConfig
    from appliance.policy.vw import VWPolicy

    pconfig = AppConfig().effective_policy()
    assert isinstance(pconfig, VWPolicyConfig)
    policy = VWPolicy(pconfig)
    plain, explained = [], []
    for i in range(n):
        start = time.perf_counter()
        policy.decide(_context(i), f"p{i}", 0.0)
        middle = time.perf_counter()
        policy.explain(policy.decide(_context(i), f"e{i}", 0.0))
        end = time.perf_counter()
        plain.append((middle - start) * 1e6)
        explained.append((end - middle) * 1e6)
    return plain, explained


def bench_explain(quick: bool) -> dict[str, Any]:
    """POST /api/decide with "explain": true vs a plain decide, taken in turn on one daemon and connection."""
    n = 150 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, token = start_daemon(Path(tmp))
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for i in range(20):  # warm-up
                _decide_ms(connection, token, i, i % 2 == 0)
            plain, explained = [], []
            for i in range(n):
                plain.append(_decide_ms(connection, token, 2 * i, False))
                explained.append(_decide_ms(connection, token, 2 * i + 1, True))
            features = [_features_ms(connection, token) for _ in range(5 if quick else 20)]
            connection.close()
        finally:
            proc.terminate()
            proc.wait(30)
    local_plain, local_explained = _in_process(n)
    ours, reference = summarize(explained), summarize(plain)
    local, local_reference = summarize(local_explained), summarize(local_plain)
    return compared('POST /api/decide with "explain": true, ms (every offered action\'s score and top 5 contributions)', "ms",
                    ours, "a plain POST /api/decide, same daemon and connection, taken in turn", reference,
                    "what an explanation multiplies a decision's latency by (at most 3)",
                    in_process={"figure": "VWPolicy.explain µs after a decide (light world, 4 actions)", "unit": "µs", **local,
                                "reference": {"name": "VWPolicy.decide µs", **local_reference},
                                "ratio": local["median"] / local_reference["median"]},
                    features={"figure": "GET /api/model/features?limit=20 ms (reads the event log's new lines, then the table)",
                              "unit": "ms", **summarize(features)})


BENCHMARKS = {"introspect.varinfo_s": bench_varinfo, "introspect.explain": bench_explain}
