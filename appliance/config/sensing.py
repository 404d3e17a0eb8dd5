"""The ``sources:`` and ``featurizers:`` sections: live sensing instead of the simulated world.

The entries are the featurizers package's own configs (``featurizers.SourceConfig`` and
``featurizers.FeaturizerConfig``, picked by ``type``), so ``wabbit featurize`` and the daemon read the same
YAML. With sources configured the context is the featurizers' namespaces, the actions come from
``policy.actions``, and event triggers may watch the features. The checks below return what is wrong and
what to do; ``AppConfig`` raises them at the line of the section.

>>> from pydantic import TypeAdapter
>>> sources = TypeAdapter(list[SourceConfig]).validate_python([{"type": "synthetic_audio", "id": "mic"}])
>>> featurizers = TypeAdapter(list[FeaturizerConfig]).validate_python([{"type": "video", "source": "cam"}])
>>> print(check_links(sources, featurizers))
featurizers[0]: source 'cam' is not defined; defined sources: mic. Set `source:` to one of them or add the source under `sources:`
"""

from typing import Sequence

from pydantic import ValidationError

from appliance.config.triggers import EventTriggerConfig, MotionTriggerConfig, SoundOnsetTriggerConfig, trigger_name
from featurizers.config import FeaturizerConfig, PipelineConfig, SourceConfig

__all__ = ["FeaturizerConfig", "SourceConfig", "check_links", "check_policy", "check_triggers", "feature_names"]

SOURCES_DESCRIPTION = (
    "Live capture: audio_device, audio_file, synthetic_audio, video_file, v4l2, mjpeg, rtsp, picamera2, "
    "synthetic_video (see `wabbit devices`). Empty: the simulated world gives the context."
)
FEATURIZERS_DESCRIPTION = (
    "Featurizers (audio, video, face), each reading one source by id; their namespaces are the decision "
    "context. Needed when sources are set."
)


def check_policy(sources: Sequence[SourceConfig], has_actions: bool) -> str | None:
    """Live sensing needs declared actions: the simulated world's do not apply to real devices.

    >>> check_policy([], False) is None
    True
    """
    if sources and not has_actions:
        return ("sources are configured, so the actions must come from the config: add a `policy:` section "
                "with `actions:` (e.g. `actions: [{id: on}, {id: off}]`); the simulated world's actions only "
                "apply without sources")
    return None


def check_links(sources: Sequence[SourceConfig], featurizers: Sequence[FeaturizerConfig]) -> str | None:
    """Each featurizer reads a defined source of its kind; namespaces are unique; sources have a reader."""
    if sources and not featurizers:
        return ("sources are configured but no featurizer reads them: add e.g. "
                f"`featurizers: [{{type: audio, source: {sources[0].id}}}]`")
    try:
        PipelineConfig(sources=list(sources), featurizers=list(featurizers))
    except ValidationError as err:
        message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
        if "is not defined" in message:
            message += ". Set `source:` to one of them or add the source under `sources:`"
        return message
    return None


def feature_names(config: FeaturizerConfig) -> tuple[str, ...] | None:
    """The names a featurizer emits; ``None`` for kinds whose names need a model to know (face)."""
    if config.type == "face":
        return None
    from featurizers.registry import build_featurizer  # numpy: only when sensing is configured

    return build_featurizer(config).feature_names()


def check_triggers(events: Sequence[EventTriggerConfig], featurizers: Sequence[FeaturizerConfig]) -> list[str]:
    """Feature triggers must watch a namespace a featurizer produces, and a feature it emits.

    >>> from appliance.config.triggers import MotionTriggerConfig
    >>> print(check_triggers([MotionTriggerConfig()], [])[0])  # doctest: +NORMALIZE_WHITESPACE
    triggers.events[0] (motion-0): namespace 'video' is produced by no featurizer (namespaces: none);
    add a video featurizer under `featurizers:` (and its source) or set `namespace:`
    """
    by_namespace = {f.namespace: f for f in featurizers}
    problems = []
    for index, event in enumerate(events):
        if not isinstance(event, (SoundOnsetTriggerConfig, MotionTriggerConfig)):
            continue
        where = f"triggers.events[{index}] ({trigger_name(event, index)})"
        featurizer = by_namespace.get(event.namespace)
        if featurizer is None:
            kind = "audio" if event.type == "sound_onset" else "video"
            problems.append(f"{where}: namespace {event.namespace!r} is produced by no featurizer (namespaces: "
                            f"{', '.join(by_namespace) or 'none'}); add a {kind} featurizer under `featurizers:` "
                            "(and its source) or set `namespace:`")
            continue
        names = feature_names(featurizer)
        if names is not None and event.feature not in names:
            problems.append(f"{where}: the {featurizer.type} featurizer {event.namespace!r} emits no feature "
                            f"{event.feature!r}; pick one of {', '.join(n for n in names if not n[-1].isdigit())}")
    return problems
