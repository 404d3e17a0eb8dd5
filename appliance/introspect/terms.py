"""Every term an example gives a linear VW model: its features and interaction terms, hashed as VW hashes them.

A term is a tuple of feature ids (one for a feature, two or three for an interaction), its key (the weight index
before the sub-model offset and the mask, see :mod:`appliance.introspect.layout`) and its value (the product of
its features' values). Features are hashed once through the workspace (``hash_space``, ``hash_feature``) and
remembered by name. Interactions follow VW's rules: wildcards expand over the namespaces present, duplicates
are dropped, a namespace crossed with itself gives each pair once (each feature with itself too), and in a
multi-line example the shared features come after the action's own.

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet -q ab")
>>> features = Features(ws)
>>> terms = features.expand([("a", [("x", 2.0)]), ("b", [("y", 3.0)])])
>>> [(features.term_name(t.ids), t.value) for t in terms]
[('a^x', 2.0), ('b^y', 3.0), ('Constant', 1.0), ('a^x*b^y', 6.0)]
>>> ws.finish()
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement, product
from typing import Any, Iterator, Sequence

from appliance.introspect.layout import CONSTANT_HASH, CONSTANT_NAMESPACE, FNV_PRIME, ModelLayout, read_layout

Namespaces = Sequence[tuple[str, Sequence[tuple[str, float]]]]
"""An example's features in VW's order: ``[(namespace, [(name, value), ...]), ...]`` (names may repeat)."""
M64 = (1 << 64) - 1
DEFAULT_NAMESPACE = " "


class Chained(str):
    """A JSON string feature of a ``--chain_hash`` model: named ``key^value`` (as ``--invert_hash`` names it) and
    hashed as VW chains it, hash(value, hash(key, namespace))."""

    key: str
    value: str

    def __new__(cls, key: str, value: str) -> Chained:
        name = super().__new__(cls, f"{key}^{value}")
        name.key, name.value = key, value
        return name


@dataclass(slots=True)
class Term:
    ids: tuple[int, ...]
    key: int
    value: float


class Features:
    """The features seen so far (id -> namespace, name, hash) and the expansion of examples into terms."""

    def __init__(self, workspace: Any, layout: ModelLayout | None = None) -> None:
        self._ws = workspace
        self.layout = layout or read_layout(workspace)
        self.namespaces: list[str] = []
        self.names: list[str] = []
        self.keys: list[int] = []
        self._ids: dict[tuple[str, str], int] = {}
        self._space: dict[str, int] = {}
        self._compiled: dict[frozenset[str], list[tuple[str, ...]]] = {}
        self.constant = self.id(CONSTANT_NAMESPACE, "Constant")

    def id(self, namespace: str, name: str) -> int:
        """The id of a feature, hashed at first sight."""
        found = self._ids.get((namespace, name))
        if found is not None:
            return found
        layout = self.layout
        if namespace == CONSTANT_NAMESPACE:
            hashed = CONSTANT_HASH & layout.mask
        else:
            space = self._space.get(namespace)
            if space is None:
                space = self._space[namespace] = self._namespace_hash(namespace)
            if isinstance(name, Chained):  # VW's hasher unmasked in between, as its parsers chain it
                from appliance.datagen.hashing import hashstring, murmurhash3_32  # only for these models (datagen is slow to import)

                hasher = (lambda text, seed: murmurhash3_32(text.encode(), seed)) if layout.hash_all else hashstring
                hashed = hasher(name.value, hasher(name.key, space)) & layout.mask
            else:
                hashed = self._ws.hash_feature(name, space) & layout.mask
        self._ids[namespace, name] = fid = len(self.names)
        self.namespaces.append(namespace)
        self.names.append(name)
        self.keys.append(hashed * layout.width)
        return fid

    def _namespace_hash(self, namespace: str) -> int:
        if namespace != DEFAULT_NAMESPACE:
            return int(self._ws.hash_space(namespace))
        # VW's parsers give the default namespace the hash of "" under the seed (0 for seed 0), not of " "
        return 0 if self.layout.hash_seed == 0 else _fmix32(self.layout.hash_seed & 0xFFFFFFFF)

    def label(self, fid: int) -> str:
        """A feature as VW's ``--invert_hash`` writes it: ``namespace^name``, ``name`` in the default namespace."""
        namespace = self.namespaces[fid]
        return self.names[fid] if namespace in (DEFAULT_NAMESPACE, CONSTANT_NAMESPACE) else f"{namespace}^{self.names[fid]}"

    def term_name(self, ids: Sequence[int]) -> str:
        return "*".join(self.label(i) for i in ids)

    def term_namespace(self, ids: Sequence[int]) -> str:
        """``room*colour`` for an interaction term, the namespace for a feature ("" for the default one)."""
        return "*".join(self.namespaces[i].strip().replace(CONSTANT_NAMESPACE, "") for i in ids)

    def expand(self, example: Namespaces, shared: Namespaces = ()) -> list[Term]:
        """The terms of one example (an action's, with the ``shared`` features of a multi-line example)."""
        layout = self.layout
        groups: dict[str, list[tuple[int, float]]] = {}
        for namespace, features in (*example, *shared):
            group = namespace[:1] or DEFAULT_NAMESPACE
            if group in layout.ignore or layout.keep is not None and group not in layout.keep:
                continue
            members = groups.setdefault(group, [])
            for name, value in features:
                if value:  # VW drops features whose value is 0
                    members.append((self.id(namespace, name), float(value)))
        terms = [Term((fid,), self.keys[fid], value) for group, members in groups.items() if group not in layout.ignore_linear
                 for fid, value in members]
        if layout.constant:
            terms.append(Term((self.constant,), self.keys[self.constant], 1.0))
        for interaction in self._interactions(frozenset(g for g, m in groups.items() if m)):
            terms.extend(self._cross([groups[g] for g in interaction], interaction))
        return terms

    def _interactions(self, present: frozenset[str]) -> list[tuple[str, ...]]:
        compiled = self._compiled.get(present)
        if compiled is None:
            compiled = self._compiled[present] = [
                i for i in compile_interactions(self.layout, present) if all(g in present for g in i)]
        return compiled

    def _cross(self, groups: list[list[tuple[int, float]]], interaction: tuple[str, ...]) -> Iterator[Term]:
        """VW's generic interaction loop: a namespace repeated next to itself starts where the previous one is."""
        keys = self.keys
        same = [i > 0 and interaction[i] == interaction[i - 1] and not self.layout.permutations for i in range(len(groups))]
        last = len(groups) - 1

        def walk(depth: int, start: int, ids: tuple[int, ...], hashed: int, value: float) -> Iterator[Term]:
            members = groups[depth]
            for position in range(start if same[depth] else 0, len(members)):
                fid, v = members[position]
                if depth == last:
                    yield Term((*ids, fid), hashed ^ keys[fid], value * v)
                else:
                    nxt = (FNV_PRIME * keys[fid]) & M64 if depth == 0 else (FNV_PRIME * (hashed ^ keys[fid])) & M64
                    yield from walk(depth + 1, position, (*ids, fid), nxt, value * v)

        return walk(0, 0, (), 0, 1.0)


def compile_interactions(layout: ModelLayout, present: frozenset[str]) -> list[tuple[str, ...]]:
    """The interactions VW uses when the namespaces ``present`` have been seen: wildcards expanded, sorted,
    duplicates dropped (unless ``--leave_duplicate_interactions``), some sorted within (VW's rule).

    >>> layout = ModelLayout(18, 1, [""], [0], [(":", "c"), ("c", "a")], "regression", False)
    >>> compile_interactions(layout, frozenset("abc"))
    [('a', 'c'), ('b', 'c'), ('c', 'c')]
    """
    wild = sorted(g for g in present if " " <= g <= "~")
    found: list[tuple[str, ...]] = []
    for interaction in layout.interactions:
        holes = [i for i, g in enumerate(interaction) if g == ":"]
        if not holes:
            found.append(interaction)
            continue
        if layout.permutations:
            fillings: list[tuple[str, ...]] = list(product(wild, repeat=len(holes)))
        elif len(holes) == 2:
            fillings = [(a, b) for i, a in enumerate(wild) for b in wild[i:]]
            fillings += [(b, a) for a, b in fillings if a != b] if layout.leave_duplicates else []
        else:
            fillings = list(combinations_with_replacement(wild[::-1], len(holes)))
        for filling in fillings:
            it = iter(filling)
            found.append(tuple(next(it) if g == ":" else g for g in interaction))
    found.sort(key=lambda i: (len(i), i))
    seen: set[tuple[str, ...]] = set()
    result = []
    for interaction in found:
        ordered = tuple(sorted(interaction))
        if not layout.leave_duplicates:
            if ordered in seen:
                continue
            seen.add(ordered)
        result.append(ordered if _left_sorted(ordered) else interaction)
    return result


def _left_sorted(ordered: tuple[str, ...]) -> bool:
    """VW sorts an interaction that repeats a namespace next to a different one (``aab``, ``abb``), not ``aaa``
    or ``abc``.

    >>> _left_sorted(tuple("aab")), _left_sorted(tuple("abc")), _left_sorted(tuple("aaa"))
    (True, False, False)
    """
    pair = different = False
    for a, b in zip(ordered, ordered[1:]):
        if a == b:
            if different:
                return True
            pair = True
        else:
            if pair:
                return True
            different = True
    return False


def _fmix32(h: int) -> int:
    """MurmurHash3's finaliser: the hash of an empty string under seed ``h``."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)
