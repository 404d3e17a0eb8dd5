"""rlclientlib's JSON configuration (a ``client.json``) read as this appliance's config, key by key.

Keys with an equivalent here are translated; the others are returned, so the caller can say which were
ignored. The VW command line (``model.vw.initial_command_line``, ``InitialCommandLine`` or ``vw.commandline``)
becomes the VW policy's exploration, interactions and options:

>>> raw = {"ApplicationID": "shop", "model.vw.initial_command_line": "--cb_explore_adf --epsilon 0.2 --power_t 0 "
...        "-l 0.001 --cb_type ips -q ::", "protocol.version": 2}
>>> policy, ignored = policy_from_rlclient(raw, actions=["a", "b"])
>>> policy["exploration"], policy["learning_rate"], policy["cb_type"], policy["interactions"], ignored
({'type': 'epsilon', 'epsilon': 0.2}, 0.001, 'ips', ['::'], ['ApplicationID', 'protocol.version'])
>>> vw_policy_from_command_line("--cb_explore_adf --bag 5 --epsilon 0.05 --l2 1e-6")
{'exploration': {'type': 'bag', 'size': 5, 'epsilon': 0.05}, 'vw_args': ['--l2', '1e-6']}
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping, Sequence

from appliance.errors import ConfigError

COMMAND_LINE_KEYS = ("model.vw.initial_command_line", "InitialCommandLine", "vw.commandline")
_VALUE_OPTIONS = {"-l": "learning_rate", "--learning_rate": "learning_rate", "--power_t": "power_t", "--cb_type": "cb_type",
                  "-b": "bits", "--bit_precision": "bits"}
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
    args = shlex.split(command_line)
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


def policy_from_rlclient(raw: Mapping[str, Any], actions: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """The ``policy:`` section for ``actions`` from an rlclientlib configuration, and the keys with no equivalent."""
    policy: dict[str, Any] = {"type": "vw", "actions": [{"id": a} for a in actions]}
    used = set()
    for key in COMMAND_LINE_KEYS:
        if key in raw:
            policy.update(vw_policy_from_command_line(str(raw[key])))
            used.add(key)
    if "InitialExplorationEpsilon" in raw and "exploration" not in policy:
        policy["exploration"] = {"type": "epsilon", "epsilon": float(raw["InitialExplorationEpsilon"])}
        used.add("InitialExplorationEpsilon")
    if str(raw.get("IsExplorationEnabled", "true")).lower() == "false":
        policy["exploration"] = {"type": "epsilon", "epsilon": 0.0}
    used.add("IsExplorationEnabled")
    return policy, sorted(k for k in raw if k not in used)
