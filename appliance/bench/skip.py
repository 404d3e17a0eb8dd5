"""Benchmarks whose backend is missing are skipped, with the reason, and the others run.

:func:`run_benchmark` runs one benchmark. When it fails because an optional package is not installed (a
``ModuleNotFoundError`` for a module outside this project, anywhere in the error's chain), because an
inference runtime cannot be loaded (``featurizers``' ``BackendUnavailableError``) or because a program it starts
is not installed (:class:`ProgramMissing`, e.g. the MQTT broker a sink ships to), its result is
``{"skipped": reason}``; any other error is a bug and goes through. The reports' readers (history, compare,
trend) tell such a result by :func:`skip_reason`.

>>> def needs_litert(quick: bool) -> dict[str, Any]:
...     import ai_edge_litert_is_not_here
...     return {}
>>> run_benchmark(needs_litert, quick=True)
{'skipped': "ai_edge_litert_is_not_here is not installed: pip install 'ai_edge_litert_is_not_here'"}
>>> skip_reason({"skipped": "no TFLite runtime"}), skip_reason({"unit": "ms", "median": 1.0})
('no TFLite runtime', None)
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any, Callable, Iterator

from featurizers.errors import BackendUnavailableError

OURS = ("appliance", "featurizers")  # a module of ours that cannot be imported is a bug, not a missing backend
DISTRIBUTION = "raspberry-wabbit"
DISTRIBUTIONS = {"sklearn": "scikit_learn"}
"""Modules imported by another name than their distribution's."""


class ProgramMissing(RuntimeError):
    """A program a benchmark starts (a server on loopback) is not installed; the message says how to install it."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def install_hint(module: str) -> str:
    """The command that installs ``module``: the extra of ours that brings it, else the package itself.

    >>> install_hint("ai_edge_litert"), install_hint("paho.mqtt.client"), install_hint("sklearn.linear_model")
    ("pip install -e '.[devices]'", "pip install -e '.[net]'", "pip install -e '.[sklearn]'")
    """
    top = _normal(module.partition(".")[0])
    top = DISTRIBUTIONS.get(top, top)
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        name, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        package = _normal(re.split(r"[\s<>=!~\[(]", name.strip(), maxsplit=1)[0])
        if extra and (package == top or package.startswith(top + "_")):
            return f"pip install -e '.[{extra.group(1)}]'"
    return f"pip install '{module.partition('.')[0]}'"


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err`` and what caused it, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def missing_backend(err: BaseException) -> str | None:
    """Why ``err`` means a backend is missing on this machine, with what to install; ``None`` for any other error."""
    for cause in _chain(err):
        if isinstance(cause, (BackendUnavailableError, ProgramMissing)):
            return str(cause)
        if isinstance(cause, ModuleNotFoundError) and cause.name and cause.name.partition(".")[0] not in OURS:
            return f"{cause.name} is not installed: {install_hint(cause.name)}"
    return None


def run_benchmark(benchmark: Callable[[bool], dict[str, Any]], quick: bool) -> dict[str, Any]:
    """The benchmark's result, or ``{"skipped": reason}`` when its backend is missing."""
    try:
        return benchmark(quick)
    except Exception as err:
        reason = missing_backend(err)
        if reason is None:
            raise
        return {"skipped": reason}


def skip_reason(result: Any) -> str | None:
    """Why a report's result was skipped, or ``None`` when it was measured."""
    reason = result.get("skipped") if isinstance(result, dict) else None
    return reason if isinstance(reason, str) else None
