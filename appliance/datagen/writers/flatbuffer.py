"""VW's FlatBuffer input: a stream of size-prefixed ``ExampleRoot`` buffers (``example.fbs`` beside this file),
one per example, multi-line problems as a ``MultiExample`` (shared example first).

Every namespace carries its name, its index (first character), VW's hash of its name, and each feature's name,
float32 value and hash as VW's text parser computes it (:mod:`appliance.datagen.hashing`), so a VW built with
FlatBuffer support (``--flatbuffer``) learns from this file what it learns from the text file. The pip build of VW
has no FlatBuffer parser: the tests read the files back with the ``flatbuffers`` library and Debian's ``flatc``.
Labels are VW's own (``parse_label.cc``): the shared example of ``cb_adf`` carries VW's "shared" cost, that of
``cost_sensitive_ldf`` class 0 at cost ``-FLT_MAX``; actions without a label carry none. ``ccb`` and ``slates``
examples are the shared example, the actions and the slots, each with a ``CCBLabel`` or ``Slates_Label`` of its
type (weight 1, which VW's FlatBuffer parser reads as given).
"""

from __future__ import annotations

from typing import Any, Callable

import flatbuffers
import numpy as np

from appliance.datagen.block import Block
from appliance.datagen.hashing import hashstring, murmurhash3_32
from appliance.datagen.namespaces import NamespaceBlock
from appliance.datagen.writers.base import SlotLabels, WriterContext

FLT_MAX = float(np.finfo(np.float32).max)
SHARED_ACTION = murmurhash3_32(b"shared", 0)
# union tags, in the order of example.fbs; CCB_Slates_example_type's values
SIMPLE, CB, CCB, MULTICLASS, CS, SLATES = 1, 2, 3, 4, 7, 9
SHARED, ACTION, SLOT = 1, 2, 3
EXAMPLE, MULTI_EXAMPLE = 1, 3
CACHED = 1 << 20
MULTI = frozenset({"cb_adf", "cost_sensitive_ldf", "ccb", "slates"})

Features = list[tuple[str, int, int, list[str], np.ndarray, np.ndarray]]
"""Per namespace: name, index, hash, feature names, float32 values, uint64 hashes."""
Label = Callable[[flatbuffers.Builder], tuple[int, int]]
"""Builds a label table; returns (union tag, offset)."""


class FlatBufferWriter:
    name = "flatbuffer"
    suffix = ".fb"

    def __init__(self, context: WriterContext) -> None:
        self._context = context
        self._hashes: dict[tuple[int, str], int] = {}
        self._actions: list[Features] | None = None
        self._slots: list[Features] | None = None

    def _hash(self, seed: int, name: str) -> int:
        key = (seed, name)
        found = self._hashes.get(key)
        if found is None:
            if len(self._hashes) >= CACHED:
                self._hashes.clear()
            found = self._hashes[key] = hashstring(name, seed)
        return found

    def _features(self, namespaces: list[NamespaceBlock], i: int) -> Features:
        out = []
        for ns in namespaces:
            seed, names = hashstring(ns.name, 0), ns.names_of(i)
            hashes = np.array([self._hash(seed, name) for name in names], dtype=np.uint64)
            out.append((ns.name, ord(ns.name[0]), seed, names, ns.values[i, :len(names)].astype(np.float32), hashes))
        return out

    def _pool(self) -> list[Features]:
        if self._actions is None:
            pool = self._context.pool
            self._actions = [self._features(pool.namespaces, k) for k in range(len(pool.ids))]
        return self._actions

    def write(self, block: Block) -> bytes:
        problem, out = self._context.problem, []
        labels = self._labels(block)
        slots = SlotLabels(block, self._context, lambda m: list(map(repr, self._context.decimals.values(m).tolist())),
                           lambda m: list(map(repr, self._context.probabilities.values(m).tolist()))) if block.slots is not None else None
        for i in range(block.n):
            shared = self._features(block.shared, i)
            if slots is not None:
                examples = self._slotted(block, i, shared, slots)
            elif problem in ("cb_adf", "cost_sensitive_ldf"):
                pool, columns = self._pool(), block.offered[i, :block.columns(i)].tolist()
                examples = [(shared, self._shared_label())] + [(pool[k], labels(i, c)) for c, k in enumerate(columns)]
            else:
                examples = [(shared, labels(i, 0))]
            data = self._buffer(examples, block.event_id(i), multi=len(examples) > 1 or problem in MULTI)
            if block.corrupt[i]:
                garbage = np.random.default_rng(int(block.cut[i] * 2**32)).bytes(len(data) - 4)
                data = data[:4] + garbage
            out.append(data)
        return b"".join(out)

    def _slotted(self, block: Block, i: int, shared: Features, labels: SlotLabels) -> list[tuple[Features, Label | None]]:
        """A ccb or slates example: the shared example, the actions, the slots, each with its CCBLabel or Slates_Label."""
        slots = block.slots
        assert slots is not None
        if self._slots is None:
            namespaces, most = self._context.pool.slots, slots.chosen.shape[1]
            self._slots = [self._features(namespaces, j) if namespaces else [] for j in range(most)]
        slot_features = self._slots
        pool, columns = self._pool(), np.flatnonzero(block.mask[i]).tolist()
        offered, count = block.offered[i].tolist(), int(slots.counts[i])

        def outcome(j: int) -> list[tuple[int, float]]:
            return list(zip(labels.order(i, j), map(float, labels.probabilities(i, j))))
        if self._context.problem == "ccb":
            included = [np.flatnonzero(slots.included[i, j]).tolist() if slots.included is not None else None for j in range(count)]
            return ([(shared, _ccb(SHARED))] + [(pool[offered[c]], _ccb(ACTION)) for c in columns]
                    + [(slot_features[j], _ccb(SLOT, float(labels.costs[i * labels.stride + j]), outcome(j), included[j])) for j in range(count)])
        cost = float(labels.costs[i])
        return ([(shared, lambda b: (SLATES, _slates(b, SHARED, cost=cost)))]
                + [(pool[offered[c]], _slates_action(c // slots.width)) for c in columns]
                + [(slot_features[j], _slates_slot(outcome(j))) for j in range(count)])

    def _shared_label(self) -> Label | None:
        if self._context.problem == "cb_adf":
            return lambda b: (CB, _cb_label(b, [(FLT_MAX, SHARED_ACTION, -1.0)]))
        return lambda b: (CS, _cs_label(b, [(-FLT_MAX, 0)]))

    def _labels(self, block: Block) -> Callable[[int, int], Label | None]:
        """The label of example ``i``'s column ``c`` (column 0 for single-line problems)."""
        context, problem = self._context, self._context.problem
        costs = context.decimals.values(block.costs) if block.costs.size else block.costs
        label = block.label.tolist()
        if problem in ("regression", "binary"):
            values = context.decimals.values(block.label) if problem == "regression" else block.label.astype(float)
            return lambda i, c: lambda b: (SIMPLE, _table(b, [(0, "Float32", float(values[i]), 0.0), (1, "Float32", 1.0, 0.0)]))
        if problem == "multiclass":
            return lambda i, c: lambda b: (MULTICLASS, _table(b, [(1, "Uint32", label[i], 0), (2, "Float32", 1.0, 0.0)]))
        if problem == "cost_sensitive":
            return lambda i, c: lambda b: (CS, _cs_label(b, [(float(x), k + 1) for k, x in enumerate(costs[i])]))
        if problem == "cost_sensitive_ldf":
            return lambda i, c: lambda b: (CS, _cs_label(b, [(float(costs[i, c]), int(block.offered[i, c]) + 1)]))
        probabilities = context.probabilities.values(block.pmf)

        def cb(i: int, c: int) -> Label | None:
            chosen = label[i]
            if problem == "cb_adf" and c != chosen:
                return None
            action = int(block.offered[i, chosen]) + 1 if problem == "cb" else chosen + 1
            return lambda b: (CB, _cb_label(b, [(float(costs[i, 0]), action, float(probabilities[i, chosen]))]))
        return cb

    def _buffer(self, examples: list[tuple[Features, Label | None]], tag: str, multi: bool) -> bytes:
        b = flatbuffers.Builder(1024)
        offsets = [_example(b, features, label, tag if k == 0 else None) for k, (features, label) in enumerate(examples)]
        if multi:
            vector = _vector(b, offsets)
            b.StartObject(1)
            b.PrependUOffsetTRelativeSlot(0, vector, 0)
            obj, kind = b.EndObject(), MULTI_EXAMPLE
        else:
            obj, kind = offsets[0], EXAMPLE
        b.StartObject(2)
        b.PrependUint8Slot(0, kind, 0)
        b.PrependUOffsetTRelativeSlot(1, obj, 0)
        b.FinishSizePrefixed(b.EndObject())
        return bytes(b.Output())


def _ccb(kind: int, cost: float = 0.0, outcome: list[tuple[int, float]] | None = None, included: list[int] | None = None) -> Label:
    """A CCBLabel: shared, action, or a slot with its outcome (cost, chosen action first) and included actions."""
    def build(b: flatbuffers.Builder) -> tuple[int, int]:
        outcome_offset = included_offset = 0
        if outcome is not None:
            scores = _vector(b, [_table(b, [(0, "Uint32", a, 0), (1, "Float32", p, 0.0)]) for a, p in outcome])
            b.StartObject(2)
            b.PrependFloat32Slot(0, cost, 0.0)
            b.PrependUOffsetTRelativeSlot(1, scores, 0)
            outcome_offset = b.EndObject()
        if included is not None:
            included_offset = b.CreateNumpyVector(np.array(included, dtype=np.uint32))
        b.StartObject(4)
        b.PrependInt8Slot(0, kind, 0)
        if outcome_offset:
            b.PrependUOffsetTRelativeSlot(1, outcome_offset, 0)
        if included_offset:
            b.PrependUOffsetTRelativeSlot(2, included_offset, 0)
        b.PrependFloat32Slot(3, 1.0, 0.0)
        return CCB, b.EndObject()
    return build


def _slates(b: flatbuffers.Builder, kind: int, cost: float = 0.0, slot: int = 0, outcome: list[tuple[int, float]] | None = None) -> int:
    """A Slates_Label: shared with the slate's cost, an action with its slot, or a slot with its probabilities."""
    scores = _vector(b, [_table(b, [(0, "Uint32", a, 0), (1, "Float32", p, 0.0)]) for a, p in outcome]) if outcome is not None else 0
    b.StartObject(6)
    b.PrependInt8Slot(0, kind, 0)
    b.PrependFloat32Slot(1, 1.0, 0.0)
    b.PrependBoolSlot(2, kind != ACTION, False)
    b.PrependFloat32Slot(3, cost, 0.0)
    b.PrependUint32Slot(4, slot, 0)
    if scores:
        b.PrependUOffsetTRelativeSlot(5, scores, 0)
    return b.EndObject()  # type: ignore[no-any-return]


def _slates_action(slot: int) -> Label:
    return lambda b: (SLATES, _slates(b, ACTION, slot=slot))


def _slates_slot(outcome: list[tuple[int, float]]) -> Label:
    return lambda b: (SLATES, _slates(b, SLOT, outcome=outcome))


def _vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()  # type: ignore[no-any-return]


def _table(b: flatbuffers.Builder, fields: list[tuple[int, str, Any, Any]]) -> int:
    """A table of scalars: (slot, flatbuffers type name, value, the schema's default)."""
    b.StartObject(max(slot for slot, *_ in fields) + 1)
    for slot, kind, value, default in fields:
        getattr(b, f"Prepend{kind}Slot")(slot, value, default)
    return b.EndObject()  # type: ignore[no-any-return]


def _cb_label(b: flatbuffers.Builder, costs: list[tuple[float, int, float]]) -> int:
    classes = [_table(b, [(0, "Float32", cost, 0.0), (1, "Uint32", action, 0), (2, "Float32", p, 0.0)]) for cost, action, p in costs]
    vector = _vector(b, classes)
    b.StartObject(2)
    b.PrependFloat32Slot(0, 1.0, 0.0)
    b.PrependUOffsetTRelativeSlot(1, vector, 0)
    return b.EndObject()  # type: ignore[no-any-return]


def _cs_label(b: flatbuffers.Builder, costs: list[tuple[float, int]]) -> int:
    vector = _vector(b, [_table(b, [(0, "Float32", x, 0.0), (3, "Uint32", k, 0)]) for x, k in costs])
    b.StartObject(1)
    b.PrependUOffsetTRelativeSlot(0, vector, 0)
    return b.EndObject()  # type: ignore[no-any-return]


def _example(b: flatbuffers.Builder, features: Features, label: Label | None, tag: str | None) -> int:
    namespaces = []
    for name, index, full_hash, names, values, hashes in features:
        name_offset = b.CreateString(name)
        names_offset = _vector(b, [b.CreateString(n) for n in names])
        values_offset, hashes_offset = b.CreateNumpyVector(values), b.CreateNumpyVector(hashes)
        b.StartObject(6)
        b.PrependUOffsetTRelativeSlot(0, name_offset, 0)
        b.PrependUint8Slot(1, index, 0)
        b.PrependUint64Slot(2, full_hash, 0)
        b.PrependUOffsetTRelativeSlot(3, names_offset, 0)
        b.PrependUOffsetTRelativeSlot(4, values_offset, 0)
        b.PrependUOffsetTRelativeSlot(5, hashes_offset, 0)
        namespaces.append(b.EndObject())
    vector = _vector(b, namespaces)
    kind, label_offset = label(b) if label is not None else (0, 0)
    tag_offset = b.CreateString(tag) if tag is not None else 0
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, vector, 0)
    if kind:
        b.PrependUint8Slot(1, kind, 0)
        b.PrependUOffsetTRelativeSlot(2, label_offset, 0)
    if tag_offset:
        b.PrependUOffsetTRelativeSlot(3, tag_offset, 0)
    return b.EndObject()  # type: ignore[no-any-return]
