"""VW's text format: one line per example, or for multi-line problems a ``shared`` line, one line per action and
a blank line. The tag is the event id.

>>> from appliance.datagen.spec import load_spec_text
>>> from appliance.datagen.draw import Draw
>>> draw = Draw(load_spec_text("examples: 1\\nproblem: {type: cb_adf}\\nshared: [{name: user, count: 2}]\\nactions: {pool: 3}"))
>>> writer = TextWriter(WriterContext("cb_adf", draw.pool, draw.decimals, 6))
>>> print(writer.write(next(draw.blocks())).decode(), end="")
shared 'gen-000000000 |user f0:0.7876 f1:0.8441
|action a0
|action a1
3:0.6303:0.333333 |action a2
<BLANKLINE>
"""

from __future__ import annotations

import numpy as np

from appliance.datagen.block import Block
from appliance.datagen.namespaces import NamespaceBlock
from appliance.datagen.writers.base import SlotLabels, WriterContext, cut

MULTILINE = frozenset({"cost_sensitive_ldf", "cb_adf", "ccb", "slates"})


def namespace_text(ns: NamespaceBlock, texts: list[str], i: int, one: str) -> str:
    """``|name feature:value ...`` for example ``i``; a value of exactly 1 is left out."""
    width = ns.names.shape[1]
    pairs = zip(ns.names_of(i), texts[i * width:i * width + int(ns.counts[i])])
    return f"|{ns.name} " + " ".join(name if value == one else f"{name}:{value}" for name, value in pairs)


class TextWriter:
    name = "text"
    suffix = ".txt"

    def __init__(self, context: WriterContext) -> None:
        self._context = context
        self._one = context.decimals.text(context.decimals.quantize(np.ones(1))[0])[0]
        self._actions: list[str] | None = None
        self._slots: list[str] | None = None
        self._unlabelled: tuple[Block, list[str]] | None = None

    def features(self, namespaces: list[NamespaceBlock]) -> list[str]:
        """Each example's namespaces as text."""
        texts = [self._context.decimals.text(ns.mantissas.ravel()) for ns in namespaces]
        count = len(namespaces[0].counts) if namespaces else 0
        return [" ".join(namespace_text(ns, t, i, self._one) for ns, t in zip(namespaces, texts)) for i in range(count)]

    def actions(self) -> list[str]:
        """Each pool action's features as text, made once."""
        if self._actions is None:
            self._actions = self.features(self._context.pool.namespaces)
        return self._actions

    def slot_features(self) -> list[str]:
        """Each slot position's features as text (ccb, slates)."""
        if self._slots is None:
            self._slots = self.features(self._context.pool.slots) if self._context.pool.slots else []
        return self._slots

    def labels(self, block: Block) -> list[str]:
        """Each example's label, or for multi-line problems its chosen action's (``""`` for the others)."""
        context, problem = self._context, self._context.problem
        if problem == "regression":
            return context.decimals.text(block.label)
        if problem in ("binary", "multiclass"):
            return [str(label) for label in block.label.tolist()]
        costs = context.decimals.text(block.costs.ravel())
        if problem == "cost_sensitive":
            width = block.costs.shape[1]
            return [" ".join(f"{k + 1}:{c}" for k, c in enumerate(costs[i * width:(i + 1) * width])) for i in range(block.n)]
        if problem == "cost_sensitive_ldf":
            return costs
        chosen = block.label.tolist()
        pmf = context.probabilities.text(block.pmf[range(block.n), block.label])
        action = [block.offered[i, c] + 1 for i, c in enumerate(chosen)] if problem == "cb" else [c + 1 for c in chosen]
        return [f"{a}:{c}:{p}" for a, c, p in zip(action, costs, pmf)]

    def example(self, block: Block, i: int, shared: str, label: str, costs: list[str] | None = None) -> str:
        """Example ``i`` (``label`` "" for none), ending in a newline (and a blank line if multi-line)."""
        problem, tag = self._context.problem, f"'{block.event_id(i)}"
        if problem not in MULTILINE:
            return f"{label} {tag} {shared}\n" if label else f"{tag} {shared}\n"
        actions, columns = self.actions(), block.columns(i)
        if problem == "cost_sensitive_ldf":
            assert costs is not None
            lines = [f"{k + 1}:{costs[i * block.costs.shape[1] + c]} {actions[k]}" for c, k in enumerate(block.offered[i, :columns].tolist())]
        else:
            chosen = int(block.label[i])
            lines = [f"{label} {actions[k]}" if c == chosen and label else actions[k] for c, k in enumerate(block.offered[i, :columns].tolist())]
        return f"shared {tag} {shared}\n" + "\n".join(lines) + "\n\n"

    def slotted(self, block: Block, i: int, shared: str, labels: SlotLabels) -> str:
        """ccb or slates example ``i``: the shared line, one per action, one per slot, and a blank line."""
        slots, actions, tag = block.slots, self.actions(), f"'{block.event_id(i)}"
        assert slots is not None
        texts = self.slot_features() or [""] * slots.chosen.shape[1]
        columns = np.flatnonzero(block.mask[i]).tolist()
        offered = block.offered[i].tolist()
        if self._context.problem == "ccb":
            lines = [f"ccb shared {tag} {shared}"] + [f"ccb action {actions[offered[c]]}" for c in columns]
            for j in range(int(slots.counts[i])):
                included = f" {','.join(map(str, np.flatnonzero(slots.included[i, j]).tolist()))}" if slots.included is not None else ""
                lines.append(f"ccb slot {labels.slot(i, j, with_cost=True)}{included} {texts[j]}")
        else:
            lines = [f"slates shared {labels.costs[i * labels.stride]} {tag} {shared}"]
            lines += [f"slates action {c // slots.width} {actions[offered[c]]}" for c in columns]
            lines += [f"slates slot {labels.slot(i, j, with_cost=False)} {texts[j]}" for j in range(int(slots.counts[i]))]
        return "\n".join(lines) + "\n\n"

    def unlabelled(self, block: Block, i: int) -> str:
        """Example ``i`` without its label (what a logging policy that is a VW model predicts from). The block's
        shared features are made into text once, for all its examples, not again for each."""
        if self._unlabelled is None or self._unlabelled[0] is not block:
            self._unlabelled = block, self.features(block.shared) if block.shared else [""] * block.n
        return self.example(block, i, self._unlabelled[1][i], "")

    def write(self, block: Block) -> bytes:
        shared = self.features(block.shared) if block.shared else [""] * block.n
        slotted = SlotLabels(block, self._context, self._context.decimals.text, self._context.probabilities.text) if block.slots else None
        labels = self.labels(block) if slotted is None else []
        costs = self._context.decimals.text(block.costs.ravel()) if self._context.problem == "cost_sensitive_ldf" else None
        out = []
        for i in range(block.n):
            if slotted is not None:
                data = self.slotted(block, i, shared[i], slotted).encode()
            else:
                data = self.example(block, i, shared[i], labels[i] if costs is None else "", costs).encode()
            if block.corrupt[i]:
                data = cut(data[:-1], float(block.cut[i])) + b"\n" if data.endswith(b"\n\n") else cut(data, float(block.cut[i]))
            out.append(data)
        return b"".join(out)
