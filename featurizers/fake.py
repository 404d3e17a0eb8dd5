"""A shipped fake featurizer: counts the samples it sees and reports their time and sequence number.

For tests of pipelines and daemons where what matters is that samples flow, not what they contain.

>>> import numpy as np
>>> from featurizers.samples import VideoFrame
>>> fake = CountingFeaturizer(namespace="seen")
>>> fake.featurize(VideoFrame(image=np.zeros((2, 2, 3), dtype=np.uint8), timestamp=1.5, seq=7))
{'count': 1.0, 'seq': 7.0, 'timestamp': 1.5}
>>> fake.feature_names(), fake.stats()["calls"]
(('count', 'seq', 'timestamp'), 1)
"""

from __future__ import annotations

from typing import Any

from featurizers.config.sources import Kind
from featurizers.samples import Sample


class CountingFeaturizer:
    """Features ``count`` (samples so far), ``seq`` and ``timestamp`` of the newest sample."""

    def __init__(self, namespace: str = "fake", kind: Kind = "video") -> None:
        self.namespace, self.kind = namespace, kind
        self.calls = 0

    def feature_names(self) -> tuple[str, ...]:
        return ("count", "seq", "timestamp")

    def featurize(self, sample: Sample) -> dict[str, float]:
        self.calls += 1
        return {"count": float(self.calls), "seq": float(sample.seq), "timestamp": sample.timestamp}

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "backend": "fake"}
