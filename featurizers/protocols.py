"""The two roles of this package: ``Source`` (capture) and ``Featurizer``.

A daemon calls ``source.start()``, then loops ``sample = source.read(timeout)`` and
``featurizer.featurize(sample)``, and ``source.stop()`` on shutdown. ``stats()`` of both return
JSON-able dicts for a dashboard. Sources never raise into the caller on device failure: they
report the error in ``stats()`` and reconnect with backoff.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from featurizers.config.sources import Kind
from featurizers.samples import Sample


@runtime_checkable
class Source(Protocol):
    """A capture device or stream, running in its own thread, holding the latest sample."""

    id: str
    kind: Kind

    def start(self) -> None:
        """Start the capture thread (returns at once; opening the device happens there)."""

    def stop(self) -> None:
        """Stop capturing and release the device; idempotent."""

    def read(self, timeout: float = 1.0) -> Sample | None:
        """The latest sample newer than the previous ``read``, or ``None`` after ``timeout``."""

    def stats(self) -> dict[str, Any]:
        """JSON-able counters: state, fps, dropped, xruns, reconnects, last_error..."""


@runtime_checkable
class Featurizer(Protocol):
    """Turns a sample into VW features: same VW-safe names every call, for one namespace."""

    namespace: str
    kind: Kind

    def feature_names(self) -> tuple[str, ...]:
        """The stable names ``featurize`` returns, in order."""

    def featurize(self, sample: Sample) -> dict[str, float]:
        """Features of one window or frame."""

    def stats(self) -> dict[str, Any]:
        """JSON-able: calls, ms per call (last/mean), backend."""
