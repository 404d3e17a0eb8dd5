"""A shipped fake model source: models handed to it by the caller (a test, a notebook).

>>> source = HandedModelSource()
>>> source.fetch() is None
True
>>> source.hand(b"a model"); source.fetch().data, source.fetch()
(b'a model', None)
"""

from __future__ import annotations

from typing import Any

from appliance.model_sources.base import ModelUpdate


class HandedModelSource:
    def __init__(self, name: str = "handed") -> None:
        self.name = name
        self._next: bytes | None = None
        self.handed = 0

    def hand(self, data: bytes) -> None:
        """The model the next :meth:`fetch` returns."""
        self._next = data
        self.handed += 1

    def fetch(self) -> ModelUpdate | None:
        data, self._next = self._next, None
        return ModelUpdate(data, f"handed #{self.handed}") if data is not None else None

    def close(self) -> None:
        """Nothing held."""

    def stats(self) -> dict[str, Any]:
        return {"type": "handed", "handed": self.handed}
