"""Feature hashing as Vowpal Wabbit computes it (``--hash strings``, the default), for FlatBuffer files whose
namespaces carry precomputed hashes.

A namespace's hash is ``hashstring(name, seed)``; a feature's is ``hashstring(feature, namespace hash)``. A name
made only of digits is not hashed: it is its integer value plus the seed (VW's "hashed indices"). Everything
else is MurmurHash3 (x86, 32 bit) of its UTF-8 bytes, seeded with the low 32 bits of the seed.

>>> murmurhash3_32(b"", 0), murmurhash3_32(b"hello", 0)
(0, 613153351)
>>> hashstring("123", 1000)
1123
>>> hashstring(" user ", 0) == hashstring("user", 0)
True
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF
_C1, _C2 = 0xCC9E2D51, 0x1B873593


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def murmurhash3_32(data: bytes, seed: int) -> int:
    """MurmurHash3_x86_32 of ``data`` (VW's ``uniform_hash``), as an unsigned 32-bit integer."""
    h = seed & _MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = _rotl((k * _C1) & _MASK, 15) * _C2 & _MASK
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _MASK
    tail = data[whole:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= _rotl((k * _C1) & _MASK, 15) * _C2 & _MASK
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def hashstring(name: str, seed: int) -> int:
    """VW's hash of a namespace or feature name (``hashstring``): white space at either end is ignored, a name of
    digits is its value plus ``seed``, anything else its MurmurHash3 seeded with ``seed``."""
    text = name.strip(" \t\n\r\f\v")
    if text.isascii() and text.isdigit():
        return int(text) + seed
    return murmurhash3_32(text.encode(), seed)
