"""Numbers that every format carries to VW as the same 32-bit float.

VW's text parser reads ``0.1234`` with its own fast routine (the digits accumulated in a float, times a float
power of ten made by repeated division), which is not the correctly rounded float its JSON parser gives. So a
number is drawn as an integer mantissa ``m`` with ``decimals`` places, and written as:

- text: the decimal ``m / 10**decimals`` (trailing zeros left out), as VW's text parser reads it;
- JSON: the shortest decimal of the float32 that VW's text parser makes of it, which any correct parser reads
  back to that float32;
- FlatBuffers: that float32 itself.

Mantissas are kept below 10**6 in magnitude (so ``|value| < 100`` with 4 decimals), where a float32 holds them
exactly and the text is unambiguous.

>>> q = Decimals(4)
>>> m, v = q.quantize(np.array([0.12345, -2.0, 0.00001]))
>>> m.tolist(), q.text(m), q.json(v)
([1234, -20000, 1], ['0.1234', '-2', '0.0001'], ['0.12339999', '-2.0', '0.00009999999'])
>>> Decimals(6).text(np.array([3, -40, 0]))
['0.000003', '-0.00004', '0']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

LIMIT = 10**6 - 1
"""The largest mantissa: six significant digits, exact in a float32 and in its decimal text."""


def _negative_powers() -> list[np.float32]:
    """VW's table of 10**-k: 1 divided by 10, k times, in float32."""
    powers = [np.float32(1.0)]
    for _ in range(12):
        powers.append(np.float32(powers[-1] / np.float32(10.0)))
    return powers


_POW = _negative_powers()


class Decimals:
    """Quantize to ``places`` decimals and write the result for each format (see the module's docstring)."""

    def __init__(self, places: int) -> None:
        if not 0 <= places <= 6:
            raise ValueError(f"decimals must be 0 to 6, not {places}")
        self.places = places
        self.scale = 10**places

    def quantize(self, x: np.ndarray, nonzero: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``(mantissas, float32 values as float64)`` of ``x``, clipped to ``±LIMIT / 10**places``. With ``nonzero``
        a value that rounds to 0 becomes the smallest positive one (VW drops zero-valued features)."""
        m = np.clip(np.rint(np.asarray(x, dtype=np.float64) * self.scale), -LIMIT, LIMIT).astype(np.int64)
        if nonzero:
            m[m == 0] = 1
        return m, self.values(m)

    def values(self, m: np.ndarray) -> np.ndarray:
        """The float32 VW's text parser makes of each mantissa's text, widened to float64."""
        a = np.abs(m)
        places = np.full(a.shape, self.places)
        for _ in range(self.places):  # the text leaves trailing zeros out
            strip = (a % 10 == 0) & (places > 0) & (a > 0)
            a = np.where(strip, a // 10, a)
            places = np.where(strip, places - 1, places)
        acc = np.zeros(a.shape, np.float32)
        for p in range(6, -1, -1):  # digits, most significant first, accumulated in float32
            started = (a >= 10**p) | (p == 0)
            acc = np.where(started, acc * np.float32(10.0) + ((a // 10**p) % 10).astype(np.float32), acc).astype(np.float32)
        powers = np.array(_POW, dtype=np.float32)[places]
        values: np.ndarray = (np.sign(m).astype(np.float32) * (acc * powers)).astype(np.float64)
        return values

    def text(self, m: np.ndarray) -> list[str]:
        """The decimals for VW text: ``m / 10**places`` with trailing zeros (and a bare ``.0``) left out."""
        if not self.places:
            return [str(x) for x in np.asarray(m).tolist()]
        texts = [f"{x:.{self.places}f}".rstrip("0") for x in (m / self.scale).tolist()]  # never 1e-05: VW reads digits
        return [t[:-1] if t.endswith(".") else t for t in texts]

    @staticmethod
    def json(values: np.ndarray) -> list[Any]:
        """The shortest decimal of each float32 value, for JSON; a list per row of a 2-D array. orjson's float32
        writer: a twentieth of numpy's ``astype(str)`` per number, and the same float32 when read back."""
        a = np.asarray(values, dtype=np.float32)
        flat = orjson.dumps(a.ravel(), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode().split(",") if a.size else []
        if a.ndim < 2:
            return flat
        width = a.shape[-1]  # a block's rows: one list per example
        return [flat[i:i + width] for i in range(0, len(flat), width)] if width else [[] for _ in range(len(a))]
