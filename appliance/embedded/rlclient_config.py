"""rlclientlib's JSON configuration (a ``client.json``) read as this appliance's config, key by key.

Every key with an equivalent here lands in its section: the policy (the VW command line, the initial epsilon),
``learning`` (``rank.learning.mode``), ``model_source`` (``model.source`` and its file or URL, the refresh
interval, ``http.timeout``) and ``log_sinks`` (an HTTP sender's URL; the ``send.*`` and ``queue.mode`` batching
keys on every sink). rlclientlib's names without an equivalent (Azure Event Hubs, compression...) come back as
``ignored``; a name rlclientlib does not know either is refused (a misspelt key would silently run defaults).

>>> raw = {"ApplicationID": "shop", "model.vw.initial_command_line": "--cb_explore_adf --epsilon 0.2 --power_t 0 "
...        "-l 0.001 --cb_type ips -q ::", "protocol.version": "2", "LearningMode": "LOGGINGONLY",
...        "model.source": "HTTP_MODEL_DATA", "model.blob.uri": "http://127.0.0.1:8090/model",
...        "ModelRefreshIntervalMs": "5000", "QueueMode": "BLOCK"}
>>> found = config_from_rlclient(raw, actions=["a", "b"], log_sinks=[{"type": "directory", "path": "/srv/out"}])
>>> policy = found.config["policy"]
>>> policy["exploration"], policy["learning_rate"], policy["cb_type"], policy["interactions"], found.ignored
({'type': 'epsilon', 'epsilon': 0.2}, 0.001, 'ips', ['::'], ['ApplicationID', 'protocol.version'])
>>> found.config["learning"], found.config["model_source"], found.config["log_sinks"][0]["mode"]
({'mode': 'logging_only'}, {'type': 'http', 'url': 'http://127.0.0.1:8090/model', 'interval_s': 5.0}, 'block')
>>> config_from_rlclient({"model.refresh_interval_ms": "5000"}, ["a"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.errors.ConfigError: client.json: model.refresh_interval_ms: not a key rlclientlib knows (e.g. model.refreshintervalms)...
>>> vw_policy_from_command_line("--cb_explore_adf --bag 5 --epsilon 0.05 --l2 1e-6")
{'exploration': {'type': 'bag', 'size': 5, 'epsilon': 0.05}, 'vw_args': ['--l2', '1e-6']}
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from appliance.embedded.rlclient_names import BATCHING_NAMES, LEGACY, MAPPED, SECTIONS, SHIPPING, UNMAPPED, canonical_name, is_rlclient_name
from appliance.errors import ConfigError

COMMAND_LINE_KEYS = ("model.vw.initial_command_line", "vw.commandline")
_VALUE_OPTIONS = {"-l": "learning_rate", "--learning_rate": "learning_rate", "--power_t": "power_t", "--cb_type": "cb_type",
                  "-b": "bits", "--bit_precision": "bits"}
_SHORT_VALUE_OPTIONS = ("-l", "-b", "-q")
_NUMBERS: dict[str, type] = {"learning_rate": float, "power_t": float, "bits": int}
_IGNORED_FLAGS = {"--cb_explore_adf", "--quiet", "--json", "--dsjson", "-c", "--first_only"}
_EXPLORATION_FLAGS: dict[str, dict[str, Any]] = {
    "--softmax": {"type": "softmax"}, "--squarecb": {"type": "squarecb"}, "--regcb": {"type": "regcb", "optimistic": False},
    "--regcbopt": {"type": "regcb", "optimistic": True},
}
_EXPLORATION_VALUES = {"--epsilon": ("epsilon", "epsilon"), "--lambda": ("softmax", "lambda"), "--bag": ("bag", "size"),
                       "--cover": ("cover", "size"), "--first": ("first", "tau"), "--gamma_scale": ("squarecb", "gamma_scale")}


def vw_policy_from_command_line(command_line: str) -> dict[str, Any]:
    """The VW policy settings a VW command line gives (``--cb_explore_adf`` and format flags are implied here)."""
    args = _split_values(shlex.split(command_line))
    policy: dict[str, Any] = {}
    exploration: dict[str, Any] = {}
    interactions: list[str] = []
    extra: list[str] = []
    i = 0

    def value() -> str:
        if i + 1 >= len(args):
            raise ConfigError(f"{COMMAND_LINE_KEYS[0]}: {args[i]} needs a value in {command_line!r}; fix the VW command line")
        return args[i + 1]

    try:
        while i < len(args):
            option, step = args[i], 2
            if option in _EXPLORATION_FLAGS:
                exploration.update(_EXPLORATION_FLAGS[option])
                step = 1
            elif option in _EXPLORATION_VALUES:
                kind, key = _EXPLORATION_VALUES[option]
                exploration.setdefault("type", kind)
                exploration[key] = int(value()) if key in ("size", "tau") else float(value())
            elif option in ("-q", "--quadratic", "--interactions", "--cubic"):
                interactions.append(value())
            elif option in _VALUE_OPTIONS:
                key = _VALUE_OPTIONS[option]
                policy[key] = _NUMBERS[key](value()) if key in _NUMBERS else value()
            elif option in _IGNORED_FLAGS:
                step = 1
            else:
                extra.append(option)
                step = 1
            i += step
    except ValueError as err:
        raise ConfigError(f"{COMMAND_LINE_KEYS[0]}: {err} in {command_line!r}; fix the VW command line") from None
    for key, found in (("exploration", exploration), ("interactions", interactions), ("vw_args", extra)):
        if found:
            policy[key] = found
    return policy


def _split_values(args: list[str]) -> list[str]:
    """``args`` with each value VW reads attached to its option (``--epsilon=0.2``, ``-l0.5``, ``-qUA``) apart from it."""
    split: list[str] = []
    for arg in args:
        if arg.startswith("--") and "=" in arg:
            split.extend(arg.split("=", 1))
        elif arg[:2] in _SHORT_VALUE_OPTIONS and len(arg) > 2:
            split.extend((arg[:2], arg[2:]))
        else:
            split.append(arg)
    return split


_LEARNING_MODES = {"ONLINE": "online", "APPRENTICE": "apprentice", "LOGGINGONLY": "logging_only"}
_HTTP_SOURCES = ("HTTP_MODEL_DATA", "AZURE_STORAGE_BLOB")


@dataclass(frozen=True)
class RlclientConfig:
    """The config sections a client.json gives, and its keys rlclientlib knows that have no equivalent here."""

    config: dict[str, Any]
    ignored: list[str]

    def warning(self) -> str | None:
        """One message naming every ignored key, with what to do about it; ``None`` when nothing was ignored."""
        if not self.ignored:
            return None
        shipping = SHIPPING | BATCHING_NAMES
        hint = (" The decisions and rewards stay in the data directory's events/ log: pass log_sinks=[...] to ship them "
                "(the send.* and queue.mode keys then apply)." if any(canonical_name(k) in shipping for k in self.ignored) else "")
        return f"client.json keys with no equivalent here, ignored: {', '.join(self.ignored)}.{hint}"


class _Keys:
    """The client.json's values by canonical name, remembering each one's name in the file and which were used."""

    def __init__(self, raw: Mapping[str, Any], source: str) -> None:
        self.source = source
        self.values: dict[str, str] = {}
        self.written: dict[str, str] = {}
        for key, value in raw.items():
            name = canonical_name(key)
            if not is_rlclient_name(name):
                close = difflib.get_close_matches(name, sorted(MAPPED | UNMAPPED | set(LEGACY)), 1, 0.6)
                raise ConfigError(f"{source}: {key}: not a key rlclientlib knows{f' (e.g. {close[0]})' if close else ''}; "
                                  "remove it or check its spelling")
            self.values[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
            self.written[name] = key
        self.used: set[str] = set()

    def get(self, name: str) -> str | None:
        """The value of ``name``, which is used from now on (not reported as ignored)."""
        if name in self.values:
            self.used.add(name)
        return self.values.get(name)

    def mark(self, *names: str) -> None:
        """``names`` are used (read through :attr:`values`)."""
        self.used.update(name for name in names if name in self.values)

    def number(self, name: str, scale: float = 1.0) -> float | None:
        return self._number(name, self.get(name), scale)

    def _number(self, name: str, text: str | None, scale: float) -> float | None:
        if text is None:
            return None
        try:
            return float(text) * scale
        except ValueError:
            raise ConfigError(f"{self.source}: {self.written[name]}: {text!r} is not a number; give one") from None

    def batching(self, name: str) -> tuple[str, str | None]:
        """A batching key's name and value: a section's (``interaction.`` or ``observation.``) before the global one,
        as rlclientlib reads it; decisions and rewards ship together here, so the two sections must agree."""
        overall = self.get(name)
        given = {f"{section}.{name}": value for section in SECTIONS if (value := self.get(f"{section}.{name}")) is not None}
        if len(set(given.values())) > 1:
            raise ConfigError(f"{self.source}: {' and '.join(f'{self.written[k]} ({v})' for k, v in given.items())} differ, "
                              f"and decisions and rewards ship together here: give one {name}")
        return next(iter(given.items()), (name, overall))

    def batching_number(self, name: str, scale: float) -> float | None:
        return self._number(*self.batching(name), scale)


def config_from_rlclient(raw: Mapping[str, Any], actions: Sequence[str], log_sinks: Sequence[Mapping[str, Any]] = (),
                         source: str = "client.json") -> RlclientConfig:
    """The config sections for ``actions`` from an rlclientlib configuration; ``log_sinks``: sinks of this appliance's
    kinds to ship to (rlclientlib's batching keys apply to them, and to the HTTP sender's URL it names); ``source``:
    the file's name, which its errors start with."""
    keys = _Keys(raw, source)
    config: dict[str, Any] = {"policy": _policy(keys, actions)}
    mode = keys.get("rank.learning.mode")
    if mode is not None:
        if mode.upper() not in _LEARNING_MODES:
            raise ConfigError(f"{keys.source}: {keys.written['rank.learning.mode']}: {mode!r} is not ONLINE, APPRENTICE or LOGGINGONLY")
        config["learning"] = {"mode": _LEARNING_MODES[mode.upper()]}
        if mode.upper() == "APPRENTICE" and actions:  # rlclientlib's apprentice acts by the first action, the baseline
            config["learning"]["baseline_action"] = actions[0]
    model_source = _model_source(keys)
    if model_source is not None:
        config["model_source"] = model_source
    sinks = _log_sinks(keys, log_sinks)
    if sinks:
        config["log_sinks"] = sinks
    ignored = sorted(keys.written[name] for name in keys.values if name not in keys.used)
    return RlclientConfig(config, ignored)


def _policy(keys: _Keys, actions: Sequence[str]) -> dict[str, Any]:
    policy: dict[str, Any] = {"type": "vw", "actions": [{"id": a} for a in actions]}
    for name in COMMAND_LINE_KEYS:
        command_line = keys.get(name)
        if command_line is not None:
            policy.update(vw_policy_from_command_line(command_line))
    epsilon = keys.number("initial_exploration.epsilon")
    if epsilon is not None and "exploration" not in policy:
        policy["exploration"] = {"type": "epsilon", "epsilon": epsilon}
    if (keys.get("IsExplorationEnabled") or "true").lower() == "false":
        policy["exploration"] = {"type": "epsilon", "epsilon": 0.0}
    return policy


def _headers(keys: _Keys) -> dict[str, str]:
    """rlclientlib's API key header (``http.api.key``, sent as ``http.api.header.key.name``)."""
    key = keys.get("http.api.key")
    return {} if key is None else {keys.get("http.api.header.key.name") or "Ocp-Apim-Subscription-Key": key}


def _model_source(keys: _Keys) -> dict[str, Any] | None:
    kind = keys.get("model.source")
    url = keys.values.get("model.http.api.host") or keys.values.get("model.blob.uri")
    if kind is None:  # rlclientlib's default transport is the blob URL's, when one is given
        kind = "HTTP_MODEL_DATA" if url else "FILE_MODEL_DATA" if "model_file_loader.file_name" in keys.values else "NO_MODEL_DATA"
    if kind == "NO_MODEL_DATA":
        return None
    if kind == "FILE_MODEL_DATA":
        path = keys.get("model_file_loader.file_name")
        if path is None:
            raise ConfigError(f"{keys.source}: model.source is FILE_MODEL_DATA: give model_file_loader.file_name, the model file")
        source: dict[str, Any] = {"type": "file", "path": path}
    elif kind in _HTTP_SOURCES:
        keys.mark("model.http.api.host", "model.blob.uri")
        if not url:
            raise ConfigError(f"{keys.source}: model.source is {kind}: give model.blob.uri (or model.http.api.host), the model's URL")
        source = {"type": "http", "url": url, **({"headers": headers} if (headers := _headers(keys)) else {})}
        timeout = keys.number("http.timeout")
        if timeout is not None:
            source["timeout_s"] = timeout
    else:
        raise ConfigError(f"{keys.source}: model.source: {kind!r} is not NO_MODEL_DATA, FILE_MODEL_DATA, HTTP_MODEL_DATA or "
                          "AZURE_STORAGE_BLOB")
    interval = keys.number("model.refreshintervalms", 0.001)
    if interval is not None:
        source["interval_s"] = interval
    return source


def _log_sinks(keys: _Keys, given: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``given``, and an ``http`` sink of the raw decisions and rewards when the client.json names an HTTP sender's
    URL; rlclientlib's batching keys fill what a sink does not set itself."""
    sinks = [dict(sink) for sink in given]
    urls = {section: keys.values.get(f"{section}.http.api.host") for section in SECTIONS}
    if urls["interaction"]:
        keys.mark("interaction.http.api.host", *(f"{s}.sender.implementation" for s in SECTIONS
                                                   if "HTTP_API" in (keys.values.get(f"{s}.sender.implementation") or "")))
        if urls["observation"] in (None, urls["interaction"]):  # the rewards go with the decisions
            keys.mark("observation.http.api.host")
        sinks.append({"type": "http", "url": urls["interaction"], "stream": "raw", **({"headers": h} if (h := _headers(keys)) else {})})
    if not sinks:
        return []
    batching: dict[str, Any] = {}
    for field, name, scale in (("batch_bytes", "send.highwatermark", 1.0), ("batch_interval_s", "send.batchintervalms", 0.001),
                               ("max_backlog_mb", "send.queue.maxcapacity.kb", 1 / 1024)):
        value = keys.batching_number(name, scale)
        if value is not None:
            batching[field] = int(value) if field == "batch_bytes" else value
    queue_mode = keys.batching("queue.mode")[1]
    if queue_mode is not None:  # rlclientlib: BLOCK (any case), anything else is DROP
        batching["mode"] = "block" if queue_mode.upper() == "BLOCK" else "drop"
    timeout = keys.number("http.timeout") if any(sink.get("type") == "http" for sink in sinks) else None
    for sink in sinks:
        for field, value in {**batching, **({"timeout_s": timeout} if timeout is not None and sink.get("type") == "http" else {})}.items():
            sink.setdefault(field, value)
    return sinks
