"""Namespaced features, the one shape every context and action takes: ``{namespace: {feature: value}}``.

Names must be safe in Vowpal Wabbit's text and JSON formats; values must be finite numbers that fit in 64
bits, so nothing can poison the model or the logs.

>>> check_context({"room": {"dark": 1.0, "people": 2}})
>>> check_context({"room": {"dark": float("nan")}})
Traceback (most recent call last):
...
appliance.errors.UsageError: context feature room.dark = nan is not a finite number
>>> check_features({"a b": {"x": 1.0}})
Traceback (most recent call last):
...
ValueError: namespace 'a b' is not VW-safe: use letters, digits, '-' or '.', no spaces, '|' or ':', not starting with '_'
"""

from __future__ import annotations

import math
import re
from typing import Mapping

from appliance.errors import UsageError

Features = dict[str, dict[str, float]]
"""Namespaced features: ``{namespace: {feature: value}}``."""

VW_NAME = re.compile(r"^[^\s|:_][^\s|:]*$")
"""A VW-safe name: no white space, '|' or ':', and no leading '_' (reserved by DSJSON)."""

_INT64 = 2**63


def check_vw_name(value: str, what: str) -> str:
    """``value`` if it is VW-safe, else a ``ValueError`` naming ``what`` it is."""
    if not VW_NAME.match(value):
        raise ValueError(f"{what} {value!r} is not VW-safe: use letters, digits, '-' or '.', no spaces, '|' or ':', not starting with '_'")
    return value


def check_features(features: Features) -> Features:
    """``features`` if every namespace and feature name is VW-safe (a config validator)."""
    for namespace, values in features.items():
        check_vw_name(namespace, "namespace")
        for name in values:
            check_vw_name(name, f"feature in namespace {namespace!r}")
    return features


def check_context(context: Features) -> None:
    """Refuse values that would poison the model or the log (NaN, infinities, non-numbers, huge integers).

    Plain finite floats pass a fast check; anything else is looked at closely.
    """
    if type(context) is not dict:
        return _check_values(context)
    for values in context.values():
        if type(values) is not dict:
            return _check_values(context)
        for value in values.values():
            if type(value) is not float or value - value != 0.0:
                return _check_values(context)


def _check_values(context: Features) -> None:
    if not isinstance(context, Mapping):
        raise UsageError(f"the context {context!r:.40} is a {type(context).__name__}, not a mapping; send {{namespace: "
                         "{feature: number}}, e.g. {'user': {'age': 0.3}}")
    for namespace, values in context.items():
        if not isinstance(values, Mapping):
            raise UsageError(f"context namespace {namespace!r} = {values!r:.40} is not a mapping of feature names to numbers; "
                             f"send {{namespace: {{feature: number}}}}, e.g. {{'user': {{{namespace!r}: {values!r:.40}}}}}")
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise UsageError(f"context feature {namespace}.{name} = {value!r} is not a finite number")
            if isinstance(value, int) and not -_INT64 <= value < _INT64:
                raise UsageError(f"context feature {namespace}.{name} = {value!r} is too large an integer; send it as a float")
