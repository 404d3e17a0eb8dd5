"""Drawing one namespace's features for a block of examples: names, values and the namespace's latent vector.

Every namespace is drawn a block at a time with numpy, so the cost per example is a few array operations. Each
block keeps the features in three forms: names and value mantissas for the writers, and a ``latent`` vector per
example (the features projected to ``latent`` dimensions by a fixed random matrix) from which the truth scores.

>>> rng = np.random.default_rng(0)
>>> spec = NamespaceSpec(name="user", type="categorical", count=2, vocabulary=50, length=5)
>>> block = NamespaceDrawer(spec, Decimals(4), 8, rng).draw(3)
>>> block.names_of(0), block.latent.shape
(['thatb', 'dhmpa'], (3, 8))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from appliance.datagen.decimals import Decimals
from appliance.datagen.spec import NamespaceSpec, Values
from appliance.datagen.spec.features import features_drawn, largest

EMBEDDED = 65_536
"""At most this many rows of latent vectors per namespace: larger vocabularies share rows (constant memory)."""
_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


@dataclass
class NamespaceBlock:
    """One namespace's features in ``n`` examples: example ``i`` has the first ``counts[i]`` columns."""

    name: str
    names: np.ndarray
    """Feature names, ``n`` by the most features an example has (``str``)."""
    mantissas: np.ndarray
    """The values' decimal mantissas (:class:`~appliance.datagen.decimals.Decimals`), same shape."""
    values: np.ndarray
    """The values as VW reads them (float32 widened to float64), same shape; 0 past an example's count."""
    counts: np.ndarray
    latent: np.ndarray
    """``n`` by ``latent`` dimensions."""

    def names_of(self, i: int) -> list[str]:
        return self.names[i, :self.counts[i]].tolist()  # type: ignore[no-any-return]


def distinct(rng: np.random.Generator, n: int, width: int, vocabulary: int) -> np.ndarray:
    """``n`` rows of ``width`` distinct integers below ``vocabulary``, each row uniformly drawn.

    >>> rows = distinct(np.random.default_rng(1), 1000, 3, 4)
    >>> all(len(set(row)) == 3 for row in rows.tolist()), int(rows.max()) < 4
    (True, True)
    """
    if 2 * width > vocabulary:  # dense draws: a random permutation's head
        return np.argsort(rng.random((n, vocabulary)), axis=1)[:, :width]
    rows = rng.integers(vocabulary, size=(n, width))
    while True:
        ordered = np.sort(rows, axis=1)
        repeated = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if not len(repeated):
            return rows
        rows[repeated] = rng.integers(vocabulary, size=(len(repeated), width))


def draw_counts(rng: np.random.Generator, count: int | tuple[int, int], n: int) -> np.ndarray:
    """Per example a count: fixed, or drawn uniformly in ``[low, high]``."""
    if isinstance(count, int):
        return np.full(n, count)
    return rng.integers(count[0], count[1] + 1, size=n)


def draw_values(rng: np.random.Generator, values: Values, shape: tuple[int, ...], loc: np.ndarray | None = None) -> np.ndarray:
    """Values of ``shape`` (examples by features), around ``values.loc`` or each example's own ``loc``, held within
    ``values.min`` and ``values.max``.

    >>> draw_values(np.random.default_rng(0), Values(scale=0.0, max=0.5), (2, 1), np.array([0.2, 0.9])).tolist()
    [[0.2], [0.5]]
    """
    centre: float | np.ndarray = values.loc if loc is None else loc.reshape(-1, *([1] * (len(shape) - 1)))
    if values.distribution == "constant":
        drawn = np.broadcast_to(centre, shape).astype(np.float64)
    elif values.distribution == "normal":
        drawn = rng.normal(centre, values.scale, shape)
    elif values.distribution == "uniform":
        drawn = rng.uniform(centre - values.scale, centre + values.scale, shape)
    elif values.distribution == "lognormal":
        drawn = rng.lognormal(centre, values.scale, shape)
    else:
        drawn = centre + rng.exponential(values.scale, shape)
    if values.min is not None or values.max is not None:
        drawn = np.clip(drawn, values.min, values.max)
    return drawn


def tokens(indices: np.ndarray, length: int) -> np.ndarray:
    """A distinct string of ``length`` letters for each vocabulary index: the index scrambled (a bijection modulo
    26**digits) and written in base 26; longer strings repeat those letters.

    >>> tokens(np.array([0, 1, 2]), 4).tolist()
    ['vgsa', 'wgbw', 'xgkr']
    """
    digits = min(length, 13)  # 26**13 < 2**63
    modulus = 26**digits
    x = (indices.astype(np.int64) * 1_103_515_245 % modulus + 12_345) % modulus  # 1103515245 is odd and not a multiple of 13
    letters = np.empty(indices.shape + (length,), dtype=np.uint8)
    for place in range(digits):
        letters[..., place] = _LETTERS[x % 26]
        x //= 26
    for place in range(digits, length):
        letters[..., place] = letters[..., place % digits]
    return letters.view(f"S{length}").reshape(indices.shape).astype(f"U{length}")


class NamespaceDrawer:
    """Draws one namespace's features a block at a time (see :class:`NamespaceBlock`). ``pool`` is the number of
    actions (or slots) when the namespace is an identity, whose features are the given ``ids``, or ``prefix`` and
    the index. ``embedding`` gives each feature's row of the latent projection (a given truth's weights) instead
    of random ones."""

    def __init__(self, spec: NamespaceSpec, decimals: Decimals, latent: int, rng: np.random.Generator, pool: int = 0,
                 prefix: str = "a", ids: list[str] | None = None, embedding: np.ndarray | None = None) -> None:
        self.spec, self._decimals, self._rng, self._prefix = spec, decimals, rng, prefix
        self._values = spec.value_distribution()
        self._width = largest(spec.count)
        self._vocabulary = {"dense": self._width, "identity": pool}.get(spec.type, spec.vocabulary)
        rows = min(self._vocabulary, EMBEDDED)
        expected = self._width if isinstance(spec.count, int) else (spec.count.min + spec.count.max) / 2
        self._embedding = embedding if embedding is not None else rng.normal(0.0, 1.0 / np.sqrt(max(expected, 1.0)), (rows, latent))
        self._dense_names = np.array(spec.names) if spec.names is not None else np.char.add("f", np.arange(self._width).astype(str))
        given = ids if spec.type == "identity" else spec.names if spec.type == "categorical" else None
        self._given = np.array(given) if given is not None else None
        by = self._values.loc_by
        self._loc_by = (by.namespace, by.table) if by is not None else None

    def _locations(self, earlier: Mapping[str, NamespaceBlock]) -> np.ndarray | None:
        """Each example's location, from the feature the namespace ``loc_by`` follows drew (None: ``loc`` for all)."""
        if self._loc_by is None:
            return None
        name, table = self._loc_by
        loc = self._values.loc
        return np.array([table.get(feature, loc) for feature in earlier[name].names[:, 0].tolist()], np.float64)

    def draw(self, n: int, first: int = 0, earlier: Mapping[str, NamespaceBlock] | None = None) -> NamespaceBlock:
        """The features of ``n`` examples; an identity namespace draws actions ``first`` to ``first + n - 1``; a namespace
        whose values follow another's (``loc_by``) needs that namespace's block among ``earlier``."""
        spec, rng = self.spec, self._rng
        count = spec.count if isinstance(spec.count, int) else (spec.count.min, spec.count.max)
        counts = draw_counts(rng, count, n)
        if spec.type == "dense":
            index = np.broadcast_to(np.arange(self._width), (n, self._width))
        elif spec.type == "identity":
            index = np.arange(first, first + n).reshape(n, 1)
        else:
            index = distinct(rng, n, self._width, self._vocabulary)
        mantissas, values = self._decimals.quantize(draw_values(rng, self._values, index.shape, self._locations(earlier or {})))
        present = np.arange(self._width) < counts[:, None]
        values = np.where(present, values, 0.0)
        rows = self._embedding[index % len(self._embedding)]
        latent = np.einsum("nc,ncl->nl", values, rows)
        return NamespaceBlock(spec.name, self._names(index), mantissas, values, counts, latent)

    def latent_of(self, features: Mapping[str, float]) -> np.ndarray:
        """The latent vector of one example's features given by name, as :meth:`draw` makes it; a feature this
        namespace never draws is an error, and so are random categorical strings and identities (not given by name). A
        value of 0 counts as 0 (as VW reads it: no feature), where :meth:`draw` writes the smallest positive one.

        >>> drawer = NamespaceDrawer(NamespaceSpec(name="x", count=3), Decimals(4), 2, np.random.default_rng(0))
        >>> block = drawer.draw(1)
        >>> bool(np.allclose(drawer.latent_of(dict(zip(block.names_of(0), block.values[0]))), block.latent[0]))
        True
        """
        if self.spec.type == "identity" or self.spec.type == "categorical" and self.spec.names is None:
            raise ValueError(f"namespace {self.spec.name!r} is {self.spec.type}: its features are not given by name")
        index = self.spec.indices(features)
        if min(index, default=0) < 0:
            raise ValueError(f"namespace {self.spec.name!r} draws features {features_drawn(self.spec)}, not {sorted(features)}")
        _, values = self._decimals.quantize(np.fromiter(features.values(), np.float64, len(features)), nonzero=False)  # 0 weighs 0
        rows = self._embedding[np.array(index, np.intp) % len(self._embedding)]
        latent: np.ndarray = np.einsum("nc,ncl->nl", values[None], rows[None])[0]  # as draw() sums, to the last bit
        return latent

    def _names(self, index: np.ndarray) -> np.ndarray:
        kind = self.spec.type
        if self._given is not None:
            return self._given[index]  # type: ignore[no-any-return]
        if kind == "categorical":
            return tokens(index, self.spec.length)
        if kind == "hashed":
            return index.astype(str)
        if kind == "identity":
            return np.char.add(self._prefix, index.astype(str))
        if kind == "dense":  # the same names in every example: made once
            return np.broadcast_to(self._dense_names, index.shape)
        return np.char.add("f", index.astype(str))


def draw_shared(drawers: list[NamespaceDrawer], n: int) -> list[NamespaceBlock]:
    """``n`` contexts: each shared namespace's block, drawn in order so that a namespace can follow an earlier one."""
    blocks: dict[str, NamespaceBlock] = {}
    for drawer in drawers:
        blocks[drawer.spec.name] = drawer.draw(n, earlier=blocks)
    return list(blocks.values())
