"""vw-varinfo in one pass, on any pyvw ``Workspace``: names and value ranges from the data, weights from the model.

vw-varinfo needs two passes because hashing is one-way: it trains with ``--audit`` to learn names, hashes and
ranges, then audits a "super example" of every feature against the final model. Here the names are hashed the
way the model hashes (its own options, read from it), each term's weight index follows from VW's arithmetic
(:mod:`appliance.introspect.layout`), and the weights are read from the model as it is: one read of the data,
no audit, no special flags.

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet -q rc --cb_explore_adf")
>>> for _ in range(20):
...     ws.learn(["shared |room dark:0.5", "0:-1:0.5 |colour warm", "|colour cool"])
>>> seen = Observations.of(ws)
>>> seen.add_decision({"room": {"dark": 0.5}}, [{"colour": {"warm": 1}}, {"colour": {"cool": 1}}])
>>> info = varinfo(ws, seen)
>>> [(r["name"], round(r["weight"], 3), round(r["relscore"])) for r in info.sorted("abs_weight").top(3).records()]
[('room^dark', 0.5, 100), ('room^dark*colour^warm', 0.5, 100), ('colour^warm', 0.25, 50)]
>>> info.note.startswith("contextual bandit: weights are shown in reward space")
True
>>> ws.finish()
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from appliance.errors import UsageError
from appliance.introspect.layout import ModelLayout, model_options, read_layout
from appliance.introspect.observed import Observations
from appliance.introspect.table import Varinfo
from appliance.introspect.weights import dense_weights


def varinfo(workspace: Any, observations: Observations | None = None) -> Varinfo:
    """Every observed term with its weight per sub-model, and every other non-zero weight as unnamed.

    Without ``observations`` only the unnamed weights are listed (their names need the data that made them).
    """
    seen = observations if observations is not None else Observations.of(workspace)
    layout = seen.features.layout
    model_layout = read_layout(workspace)
    if _hashing(model_layout) != _hashing(layout):
        raise UsageError(f"the data was read for a model with other options ({layout.arguments}) than this one "
                         f"({model_layout.arguments}): read it again with this model")
    dense = dense_weights(workspace)
    nonzero = np.flatnonzero(dense)
    sign = -1.0 if layout.reward_space else 1.0
    k = len(layout.sub_models)
    keys = np.array(seen.keys, dtype=np.uint64).reshape(-1, 1)
    named = ((keys + np.array(layout.offsets, dtype=np.uint64)) & np.uint64(layout.mask)).astype(np.int64).ravel()
    covered = np.zeros(1 << layout.bits, bool)
    covered[named] = True
    orphans = nonzero[~covered[nonzero]]
    n = len(seen)
    term = np.concatenate([np.repeat(np.arange(n), k), np.full(len(orphans), -1)])
    model = np.concatenate([np.tile(np.arange(k), n), np.full(len(orphans), -1)])
    index = np.concatenate([named, orphans])
    weight = sign * dense[index] + 0.0  # no -0.0 for the weights of cost models that never moved
    nan = np.full(len(orphans), np.nan)
    lo = np.concatenate([np.repeat(np.array(seen.lo, np.float64), k), nan])
    hi = np.concatenate([np.repeat(np.array(seen.hi, np.float64), k), nan])
    count = np.concatenate([np.repeat(np.array(seen.count, np.int64), k), np.zeros(len(orphans), np.int64)])
    constant = term == seen.row((seen.features.constant,))
    scale = np.abs(weight[(term >= 0) & ~constant]).max(initial=0.0)
    relscore = np.where(constant, 0.0, 100.0 * weight / scale if scale > 0 else 0.0)
    importance = np.abs(weight) * (np.maximum(hi, 0.0) - np.minimum(lo, 0.0))
    own = replace(layout, arguments=model_layout.arguments)  # the data's reading of the weights, with this model's options
    return Varinfo(own, seen, term, model, index, weight, lo, hi, count, relscore, importance, np.arange(len(term)))


def _hashing(layout: ModelLayout) -> tuple[Any, ...]:
    """What decides where a term's weights are."""
    return (layout.bits, layout.width, layout.offsets, layout.interactions, layout.hash_all, layout.hash_seed, layout.constant,
            layout.permutations, layout.leave_duplicates, layout.ignore, layout.ignore_linear,
            layout.keep, layout.chain_hash)


def option_differences(before: ModelLayout, after: ModelLayout) -> list[str]:
    """The options two models were made with that differ (:func:`~appliance.introspect.layout.model_options`: files,
    input and output left out), each as ``--option: first vs second``.

    >>> import vowpalwabbit
    >>> a, b = vowpalwabbit.Workspace("--quiet -q ab -l 0.5"), vowpalwabbit.Workspace("--quiet -q ab --binary")
    >>> option_differences(read_layout(a), read_layout(b))
    ['--binary: not set vs set', '--learning_rate: 0.5 vs not set']
    >>> a.finish(); b.finish()
    """
    first, second = model_options(before), model_options(after)
    return [f"{option}: {_given(first.get(option))} vs {_given(second.get(option))}"
            for option in sorted(first.keys() | second.keys()) if first.get(option) != second.get(option)]


def _given(values: tuple[str, ...] | None) -> str:
    return "not set" if values is None else " ".join(values) or "set"


def check_comparable(before: ModelLayout, after: ModelLayout) -> None:
    """Refuse two models whose options place their weights differently (bits, interactions, hashing), naming them."""
    if _hashing(before) != _hashing(after):
        raise UsageError(f"the two models place their weights differently ({'; '.join(option_differences(before, after))}): "
                         "a diff compares models made with the same bits, interactions and hashing options")


def diff(before: Varinfo, after: Varinfo) -> Varinfo:
    """What changed between two models read with the same observations, by term: each row's weight is
    ``after - before`` (``before`` kept as a column), its importance the change times the term's range; largest
    change first. "Why did it change its mind": the terms whose pull moved most. Models made with other options
    (a learning rate, a loss) get a ``warning`` naming them: a change may come from those, not from the data."""
    if before.observations is not after.observations or len(before.term) < len(after.observations) * len(after.layout.sub_models):
        raise UsageError("compare two models through the same observations (read the data once, then varinfo each model: "
                         "it refuses a model whose options place the weights elsewhere)")
    differ = option_differences(before.layout, after.layout)
    warning = (f"the two models were made with different VW options ({'; '.join(differ)}): a weight may have changed "
               "with those, not only with what was learned") if differ else None
    named = len(after.observations) * len(after.layout.sub_models)
    old = dict(zip(before.index[named:].tolist(), before.weight[named:].tolist()))
    new = dict(zip(after.index[named:].tolist(), after.weight[named:].tolist()))
    orphans = sorted(old.keys() | new.keys())
    unknown = np.full(len(orphans), np.nan)
    was = np.concatenate([before.weight[:named], [old.get(i, 0.0) for i in orphans]])
    now = np.concatenate([after.weight[:named], [new.get(i, 0.0) for i in orphans]])
    lo, hi = np.concatenate([after.lo[:named], unknown]), np.concatenate([after.hi[:named], unknown])
    change = now - was
    table = replace(after, term=np.concatenate([after.term[:named], np.full(len(orphans), -1)]),
                    model=np.concatenate([after.model[:named], np.full(len(orphans), -1)]),
                    index=np.concatenate([after.index[:named], np.array(orphans, np.int64)]), weight=change, lo=lo, hi=hi,
                    count=np.concatenate([after.count[:named], np.zeros(len(orphans), np.int64)]),
                    relscore=np.full(len(change), np.nan), importance=np.abs(change) * (np.maximum(hi, 0.0) - np.minimum(lo, 0.0)),
                    order=np.arange(len(change)), before=was, warning=warning)
    return table.sorted("abs_weight")
