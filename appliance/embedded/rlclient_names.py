"""rlclientlib's configuration key names (its ``include/constants.h`` and ``config_utility.cc``): the legacy names
it translates, and the names it knows that have no equivalent here.

>>> canonical_name("InitialExplorationEpsilon"), canonical_name("learningMode"), canonical_name("send.highwatermark")
('initial_exploration.epsilon', 'rank.learning.mode', 'send.highwatermark')
>>> is_rlclient_name("interaction.eventhub.host"), is_rlclient_name("model.refresh_interval_ms")
(True, False)
"""

from __future__ import annotations

_LEGACY = {  # rlclientlib's own translation table; each also in camelCase (applicationID, ...)
    "ApplicationID": "appid",
    "ModelBlobUri": "model.blob.uri",
    "SendHighMaterMark": "interaction.send.highwatermark",
    "SendBatchIntervalMs": "interaction.send.batchintervalms",
    "InitialExplorationEpsilon": "initial_exploration.epsilon",
    "ModelRefreshIntervalMs": "model.refreshintervalms",
    "QueueMode": "queue.mode",
    "LearningMode": "rank.learning.mode",
    "InitialCommandLine": "model.vw.initial_command_line",
    "ProtocolVersion": "protocol.version",
}
LEGACY = {**_LEGACY, **{name[0].lower() + name[1:]: canonical for name, canonical in _LEGACY.items()}}

SECTIONS = ("interaction", "observation")
"""rlclientlib's two streams; a ``SECTION.send.*`` or ``SECTION.queue.mode`` key overrides the global one."""
BATCHING = ("send.highwatermark", "send.batchintervalms", "send.queue.maxcapacity.kb", "queue.mode")
BATCHING_NAMES = frozenset({*BATCHING, *(f"{section}.{key}" for section in SECTIONS for key in BATCHING)})

UNMAPPED = frozenset({
    "appid", "protocol.version", "model.implementation", "model.backgroundrefresh", "vw.pool.init.size",
    "http.certvalidation.disable", "http.api.oauth.token.type", "model_file_loader.file_must_exist", "eventhub.mock",
    "trace.logger.implementation", "time_provider.implementation", "zstd.compression_level", "send.use_compression",
    "send.use_dedup", "subsample.rate", "DecisionMode", "decisionMode", "QueueMaxSize",
    "queueMaxSize", "EventHubInteractionConnectionString", "eventHubInteractionConnectionString",
    "EventHubObservationConnectionString", "eventHubObservationConnectionString",
    *(f"{section}.{suffix}" for section in ("interaction", "observation", "episode") for suffix in (
        "eventhub.host", "eventhub.name", "eventhub.keyname", "eventhub.key", "eventhub.tasks_limit",
        "eventhub.max_http_retries", "sender.implementation", "send.use_compression", "send.use_dedup",
        "apim.tasks_limit", "apim.max_http_retries", "subsample.rate", "file.name", "content_encoding")),
    "episode.http.api.host",
})
"""Names rlclientlib knows that have no equivalent here: reported as ignored."""

MAPPED = frozenset({
    "model.vw.initial_command_line", "vw.commandline", "initial_exploration.epsilon", "IsExplorationEnabled",
    "rank.learning.mode", "model.source", "model.blob.uri", "model.http.api.host", "model_file_loader.file_name",
    "model.refreshintervalms", "http.timeout", "http.api.key", "http.api.header.key.name",
    *(f"{section}.http.api.host" for section in SECTIONS), *BATCHING_NAMES,
})
"""Names with an equivalent here (reported as ignored only when the config has nothing they apply to)."""

SHIPPING = frozenset(name for name in UNMAPPED if "eventhub" in name or name.endswith(("sender.implementation", "file.name"))
                     or name.startswith(("EventHub", "eventHub")))
"""Where rlclientlib sends its logs (Azure Event Hubs, a local file): here ``log_sinks`` do that."""


def canonical_name(name: str) -> str:
    """rlclientlib's canonical name for ``name`` (a legacy name translated, any other as it is)."""
    return LEGACY.get(name, name)


def is_rlclient_name(name: str) -> bool:
    """Whether ``name`` (canonical) is one rlclientlib knows, mapped here or not."""
    return name in UNMAPPED or name in MAPPED
