"""Generate a spec's examples into a file, streaming a block at a time, with the truth written beside it.

Beside ``OUT`` go ``OUT.truth.json`` (the true values of the logging policy, of uniform random, of the oracle and
of each constant action; counts of lost, late, duplicated and corrupt; VW arguments that learn the data) and, if
the spec asks, ``OUT.rewards.jsonl`` (every reward delivery in order of arrival).

>>> import tempfile
>>> from appliance.datagen.spec import load_spec_text
>>> spec = load_spec_text("examples: 300\\nproblem: {type: cb_adf}\\nlogging: {policy: softmax}\\nactions: {pool: 5, per_example: 3}")
>>> with tempfile.TemporaryDirectory() as tmp:
...     truth = generate(spec, Path(tmp) / "data.dsjson", "dsjson")
>>> truth["examples"], truth["vw_args"], truth["value"]["oracle"] > truth["value"]["logging"] > truth["value"]["uniform"]
(300, '--cb_explore_adf -q ua --dsjson', True)
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Mapping

from appliance.datagen.block import Block
from appliance.datagen.draw import Draw
from appliance.datagen.spec import GenSpec, as_spec
from appliance.datagen.spec.problem import ADF, BANDITS, SLOTTED
from appliance.datagen.trouble import RewardStream
from appliance.datagen.writers import WriterContext, build_writer
from appliance.datagen.writers.text import TextWriter
from appliance.errors import UsageError

REFRESH_S = 0.2
MEANING = ("mean expected reward per example over the generated contexts (cost = -reward; for classes, the chance a constant "
           "prediction is right); logging, uniform and oracle choose among the offered actions")
SLOT_MEANING = ("sum over the slots of the mean expected reward per example in each slot, over the generated contexts (cost = "
                "-reward); `slots` lists each slot's, over the examples that have it. ccb: logging and uniform choose among the "
                "actions their own earlier slots left (a draw of that history, so an unbiased estimate), greedy takes the truly "
                "best action left, in slot order; slates: each slot among its own actions, greedy is the best slate")


def vw_arguments(spec: GenSpec, format: str, pairs: list[tuple[str, str]]) -> str:
    """VW arguments that learn the generated data: the reduction, the truth's interactions (for problems whose
    actions are examples, or within the context), and the format's input option."""
    problem, pool = spec.problem.type, spec.action_spec().pool
    reduction = {"regression": "", "binary": "--binary", "multiclass": f"--oaa {pool}", "cost_sensitive": f"--csoaa {pool}",
                 "cost_sensitive_ldf": "--csoaa_ldf multiline", "cb": f"--cb_explore {pool}", "cb_adf": "--cb_explore_adf",
                 "ccb": "--ccb_explore_adf", "slates": "--slates"}[problem]
    actions = {ns.name for ns in spec.actions.namespaces} if spec.actions is not None else set()
    crossed = [(a, b) for a, b in pairs if problem in ADF or not ({a, b} & actions)]
    quadratic = sorted({f"-q {a[0]}{b[0]}" for a, b in crossed})
    source = {"text": "", "dsjson": "--dsjson", "flatbuffer": "--flatbuffer"}[format]
    return " ".join(part for part in (reduction, *quadratic, source) if part)


class _Progress:
    """A one-line progress bar on stderr, redrawn at most every ``REFRESH_S``."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self._total, self._stream = total, stream
        self._started = self._shown = time.monotonic()

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._shown < REFRESH_S:
            return
        self._shown = now
        width, share = 30, done / max(self._total, 1)
        rate = done / max(now - self._started, 1e-9)
        bar = "#" * int(width * share) + "." * (width - int(width * share))
        self._stream.write(f"\r[{bar}] {done}/{self._total} examples, {rate:,.0f}/s" + ("\n" if final else ""))
        self._stream.flush()


def generate(spec: GenSpec | Mapping[str, Any], out: Path, format: str = "dsjson", progress: bool = False) -> dict[str, Any]:
    """Write ``spec.examples`` examples to ``out`` in ``format``; returns what ``OUT.truth.json`` holds. ``spec``: a
    :class:`GenSpec` (:func:`load_spec` reads one) or a mapping of its sections, validated as a spec file is."""
    spec = as_spec(spec)
    started = time.perf_counter()
    draw = Draw(spec)
    context = WriterContext(spec.problem.type, draw.pool, draw.decimals, spec.decimals.propensities)
    writer = build_writer(format, context)
    if spec.logging.policy == "vw":
        draw.example_text = TextWriter(context).unlabelled
    bar = _Progress(spec.examples, sys.stderr) if progress else None
    counts = {"missing": 0, "late": 0, "duplicated": 0, "corrupt": 0}
    streamed = spec.rewards.stream and spec.problem.type in BANDITS
    written: list[Path] = []  # removed, with the truth of what they held, if the run fails: no half-written data stays
    try:
        with ExitStack() as files:
            data = files.enter_context(open(out, "wb"))
            written += [out, Path(f"{out}.truth.json")]
            stream = RewardStream(files.enter_context(open(f"{out}.rewards.jsonl", "wb"))) if streamed else None
            written.append(Path(f"{out}.rewards.jsonl"))
            for block in draw.blocks():
                data.write(writer.write(block))
                _count(block, counts, stream, context)
                if bar is not None:
                    bar.update(block.start + block.n)
            if stream is not None:
                stream.flush()
    except BaseException as err:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise UsageError(f"{err.filename or out}: cannot write ({err.strerror}); check the path and the free space") from None
        raise
    if bar is not None:
        bar.update(spec.examples, final=True)
    truth = {
        "examples": spec.examples, "problem": spec.problem.type, "format": format, "seed": spec.seed, "file": str(out),
        "vw_args": vw_arguments(spec, format, draw.truth.pairs),
        "value": draw.summary(),
        "value_meaning": SLOT_MEANING if spec.problem.type in SLOTTED else MEANING,
        "trouble": counts, "seconds": time.perf_counter() - started,
    }
    Path(f"{out}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def _count(block: Block, counts: dict[str, int], stream: RewardStream | None, context: WriterContext) -> None:
    counts["corrupt"] += int(block.corrupt.sum())
    arrived = block.arrived
    if arrived is None:
        return
    counts["missing"] += int(arrived.lost.sum())
    counts["late"] += arrived.late
    counts["duplicated"] += int(arrived.duplicated.sum())
    if stream is None:
        return
    rewards = context.decimals.values(block.reward).tolist()
    for i in range(block.n):
        if arrived.lost[i]:
            continue
        stream.add(block.event_id(i), rewards[i], float(block.timestamps[i]), float(arrived.delays[i]),
                   float(arrived.again[i]) if arrived.duplicated[i] else None)
    stream.flush(float(block.timestamps[-1]))

