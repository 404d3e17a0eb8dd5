"""A run's hyperparameters, read from the policy's Vowpal Wabbit command line, and the exploration it implies.

>>> h = vw_hparams(["--cb_explore_adf", "--quiet", "-b", "18", "--learning_rate", "0.5", "--interactions", ":c",
...                 "--interactions", ":A", "--squarecb", "--gamma_scale", "10"])
>>> h["exploration"], h["bits"], h["learning_rate"], h["interactions"], h["gamma_scale"]
('squarecb', 18, 0.5, ':c :A', 10)
>>> exploration_scalars(h, learned=100)
{'explore/gamma': 100.0}
>>> exploration_scalars(vw_hparams(["--cb_explore_adf", "--epsilon", "0.1", "--l2", "-1e-6"]), learned=100)
{'explore/epsilon': 0.1}
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from appliance.watch.writers.base import HParam

EXPLORATIONS = ("squarecb", "first", "bag", "cover", "softmax", "regcbopt", "regcb", "rnd", "synthcover")
"""VW's exploration flags; none of them means epsilon-greedy."""
_SHORT = {"-b": "bits", "-l": "learning_rate", "-q": "quadratic", "--random_seed": "seed"}
_LEFT_OUT = {"quiet", "cb_explore_adf", *EXPLORATIONS}  # an exploration's flag is said by `exploration`


def _value(text: str) -> HParam:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def vw_hparams(arguments: Sequence[str]) -> dict[str, HParam]:
    """Each option's value (a flag: True; a repeated option: its values joined), and ``exploration`` by name."""
    found: dict[str, HParam] = {}
    i = 0
    while i < len(arguments):
        option = arguments[i]
        name = _SHORT.get(option, option.lstrip("-"))
        value: HParam = True
        if i + 1 < len(arguments) and (not arguments[i + 1].startswith("-") or not isinstance(_value(arguments[i + 1]), str)):
            value, i = _value(arguments[i + 1]), i + 1  # the option's value (a negative number too)
        if name not in _LEFT_OUT:
            found[name] = f"{found[name]} {value}" if name in found and value is not True else value
        i += 1
    flags = set(arguments)
    found["exploration"] = next((e for e in EXPLORATIONS if f"--{e}" in flags), "epsilon")
    return found


def policy_hparams(policy: Any) -> dict[str, HParam]:
    """The hyperparameters of a policy object: its VW command line if it has one, else its kind."""
    arguments = getattr(policy, "arguments", None)
    if isinstance(arguments, list):
        return {"policy": "vw", **vw_hparams(arguments)}
    return {"policy": str(policy.stats().get("type", type(policy).__name__))}


def exploration_scalars(hparams: Mapping[str, HParam], learned: int) -> dict[str, float]:
    """SquareCB's gamma after ``learned`` events (VW's defaults: scale 10, exponent 0.5), or epsilon (VW's default 0.05)."""
    exploration = hparams.get("exploration")
    if exploration == "squarecb":
        scale, exponent = hparams.get("gamma_scale", 10.0), hparams.get("gamma_exponent", 0.5)
        return {"explore/gamma": float(scale) * float(learned) ** float(exponent)}
    epsilon = hparams.get("epsilon", 0.05 if exploration == "epsilon" else None)  # VW's default epsilon
    return {"explore/epsilon": float(epsilon)} if isinstance(epsilon, (int, float)) and not isinstance(epsilon, bool) else {}
