"""Build sources and featurizers from their configs through the appliance's one registry of kinds, which
lists the built-in ones and finds those plug-ins add (entry point groups ``wabbit.sources`` and
``wabbit.featurizers``). Implementations are imported only when built, so imports stay fast.

>>> from featurizers.config import SyntheticVideoSourceConfig, VideoFeaturizerConfig
>>> type(build_source(SyntheticVideoSourceConfig(id="cam"))).__name__
'SyntheticVideoSource'
>>> build_featurizer(VideoFeaturizerConfig(source="cam")).namespace
'video'
"""

from __future__ import annotations

from typing import Any

from appliance.registry import REGISTRY
from featurizers.config import FeaturizerConfigBase, SourceConfigBase
from featurizers.protocols import Featurizer, Source


def build_source(config: SourceConfigBase, **inject: Any) -> Source:
    """The source for ``config``; ``inject`` passes test doubles (e.g. ``picamera2_module=``)."""
    source: Source = REGISTRY.build("sources", config, **inject)
    return source


def build_featurizer(config: FeaturizerConfigBase, **inject: Any) -> Featurizer:
    """The featurizer for ``config``; ``inject`` passes backends (e.g. ``interpreter_factory=``)."""
    featurizer: Featurizer = REGISTRY.build("featurizers", config, **inject)
    return featurizer
