"""VW's JSON: for ``cb_adf``, DSJSON lines in the appliance's key order (``vw --dsjson``, ``wabbit replay`` and
``appliance.storage.dsjson.decode`` read them); for the other problems, lines ``{"_label", "Timestamp",
"EventId", "c"}`` that ``vw --dsjson`` reads too; for ``ccb`` and ``slates`` VW's own DSJSON shapes (see
``_slotted``). ``cost_sensitive_ldf`` has no JSON form in VW.

A label that VW's JSON parser hands to its text label parser (cost-sensitive and ``cb`` labels are strings) is
written as in the text format; every other number is the float32 that the text format gives VW.

>>> from appliance.datagen.spec import load_spec_text
>>> from appliance.datagen.draw import Draw
>>> draw = Draw(load_spec_text("examples: 1\\nproblem: {type: cb_adf}\\nshared: [{name: user, count: 2}]\\nactions: {pool: 3}"))
>>> line = DSJSONWriter(WriterContext("cb_adf", draw.pool, draw.decimals, 6)).write(next(draw.blocks())).decode()
>>> print(line[:114])
{"_label_cost":0.6302999,"_label_probability":0.33333296,"_label_Action":3,"_labelIndex":2,"Timestamp":"2024-01-01
>>> print(line[166:])
"a":[3,1,2],"c":{"user":{"f0":0.7875999,"f1":0.84409994},"_multi":[{"_id":"a0","action":{"a0":1.0}},{"_id":"a1","action":{"a1":1.0}},{"_id":"a2","action":{"a2":1.0}}]},"p":[0.33333296,0.33333397,0.33333296]}
<BLANKLINE>
"""

from __future__ import annotations

from operator import add

import numpy as np
import orjson

from appliance.datagen.block import Block, event_id
from appliance.datagen.decimals import Decimals
from appliance.datagen.namespaces import NamespaceBlock
from appliance.datagen.trouble import rfc3339
from appliance.datagen.writers.base import SlotLabels, WriterContext, cut
from appliance.datagen.writers.text import TextWriter
from appliance.errors import UsageError


def namespaces_json(namespaces: list[NamespaceBlock]) -> list[str]:
    """Each example's namespaces as the members of a JSON object: ``"user":{"f0":0.5},"geo":{"abc":1.0}``."""
    per_namespace = []
    for ns in namespaces:
        key = orjson.dumps(ns.name).decode()
        names = np.char.add(np.char.add('"', ns.names), '":').tolist()
        values, counts = Decimals.json(ns.values), ns.counts.tolist()
        per_namespace.append([f'{key}:{{{",".join(map(add, n[:c], v[:c]))}}}' for n, v, c in zip(names, values, counts)])
    return [",".join(parts) for parts in zip(*per_namespace)] if per_namespace else []


class DSJSONWriter:
    name = "dsjson"
    suffix = ".dsjson"

    def __init__(self, context: WriterContext) -> None:
        if context.problem == "cost_sensitive_ldf":
            raise UsageError("cost_sensitive_ldf has no JSON form in VW (its JSON parser has no LDF labels): "
                             "write --format text or flatbuffer")
        self._context = context
        self._labels = TextWriter(context)
        self._multi: list[str] | None = None
        self._slots: list[str] | None = None

    def _actions(self) -> list[str]:
        if self._multi is None:
            pool = self._context.pool
            features = namespaces_json(pool.namespaces)
            self._multi = [f'{{"_id":{orjson.dumps(a).decode()},{f}}}' for a, f in zip(pool.ids, features)]
        return self._multi

    def write(self, block: Block) -> bytes:
        context = self._context
        contexts = namespaces_json(block.shared) if block.shared else [""] * block.n
        stamps = rfc3339(block.timestamps)
        if context.problem == "cb_adf":
            lines = self._adf(block, contexts, stamps)
        elif block.slots is not None:
            lines = self._slotted(block, contexts, stamps)
        else:
            labels = self._labels.labels(block)
            if context.problem == "regression":
                labels = Decimals.json(context.decimals.values(block.label))
            elif context.problem in ("cost_sensitive", "cb"):
                labels = [f'"{label}"' for label in labels]
            lines = [f'{{"_label":{label},"Timestamp":"{t}","EventId":"{block.event_id(i)}","c":{{{c}}}}}\n'
                     for i, (label, t, c) in enumerate(zip(labels, stamps, contexts))]
        return b"".join(cut(line.encode(), float(block.cut[i])) if block.corrupt[i] else line.encode() for i, line in enumerate(lines))

    def _slot_features(self) -> list[str]:
        if self._slots is None:
            self._slots = namespaces_json(self._context.pool.slots) if self._context.pool.slots else []
        return self._slots

    def _slotted(self, block: Block, contexts: list[str], stamps: list[str]) -> list[str]:
        """ccb lines as VW's ``--ccb_explore_adf --dsjson`` reads them (``_multi``, ``_slots`` with ``_inc``, then
        ``_outcomes`` with each slot's cost, ``_a`` and ``_p``); slates lines as ``--slates --dsjson`` reads them (the
        slate's ``_label_cost``, ``_outcomes`` with ``_a`` and ``_p`` per slot, ``_slot_id`` on every action)."""
        context, slots = self._context, block.slots
        assert slots is not None
        labels = SlotLabels(block, context, lambda m: Decimals.json(context.decimals.values(m)),
                            lambda m: Decimals.json(context.probabilities.values(m)))
        features = self._slot_features() or [""] * slots.chosen.shape[1]
        ccb, multi = context.problem == "ccb", self._actions()
        included = slots.included.tolist() if slots.included is not None else None
        lines = []
        for i, (stamp, shared, offered, mask) in enumerate(zip(stamps, contexts, block.offered.tolist(), block.mask.tolist())):
            count, columns = int(slots.counts[i]), [c for c, on in enumerate(mask) if on]
            if ccb:
                objects = [multi[offered[c]] for c in columns]
            else:  # each action object with its slot's id first
                objects = [f'{{"_slot_id":{c // slots.width},{multi[offered[c]][1:]}' for c in columns]
            inc = [",".join([str(c) for c, on in enumerate(included[i][j]) if on]) for j in range(count)] if included is not None else None
            slot_objects = [_object([f'"_id":"s{j}"', f'"_inc":[{inc[j]}]' if inc is not None else "", features[j]]) for j in range(count)]
            outcomes = [_object([f'"_id":"s{j}","_label_cost":{labels.costs[i * labels.stride + j]}' if ccb else "",
                                 f'"_a":[{",".join(map(str, labels.order(i, j)))}],"_p":[{",".join(labels.probabilities(i, j))}]'])
                        for j in range(count)]
            members = [shared, '"_multi":[' + ",".join(objects) + "]", '"_slots":[' + ",".join(slot_objects) + "]"]
            head = f'"Timestamp":"{stamp}","Version":"1","EventId":"{block.event_id(i)}","c":{_object(members)}'
            if ccb:
                lines.append(f'{{{head},"_outcomes":[{",".join(outcomes)}]}}\n')
            else:
                lines.append(f'{{"_label_cost":{labels.costs[i]},"_outcomes":[{",".join(outcomes)}],{head}}}\n')
        return lines

    def _adf(self, block: Block, contexts: list[str], stamps: list[str]) -> list[str]:
        context, multi = self._context, self._actions()
        costs = Decimals.json(context.decimals.values(block.costs[:, 0]))
        probabilities = Decimals.json(context.probabilities.values(block.pmf))
        offered, counts, ids = block.offered.tolist(), block.mask.sum(axis=1).tolist(), range(block.start, block.start + block.n)
        lines = []
        for chosen, cost, stamp, features, p, actions, columns, number in zip(
                block.label.tolist(), costs, stamps, contexts, probabilities, offered, counts, ids):
            order = [chosen, *range(chosen), *range(chosen + 1, columns)]
            c = f"{features}," if features else ""
            lines.append(f'{{"_label_cost":{cost},"_label_probability":{p[chosen]},"_label_Action":{chosen + 1},"_labelIndex":{chosen},'
                         f'"Timestamp":"{stamp}","Version":"1","EventId":"{event_id(number)}","a":[{",".join([str(k + 1) for k in order])}],'
                         f'"c":{{{c}"_multi":[{",".join([multi[k] for k in actions[:columns]])}]}},"p":[{",".join([p[k] for k in order])}]}}\n')
        return lines


def _object(members: list[str]) -> str:
    """A JSON object of the given members (``"key":value`` texts), empty ones left out."""
    return "{" + ",".join(member for member in members if member) + "}"
