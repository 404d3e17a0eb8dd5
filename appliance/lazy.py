"""A package's names that load from their modules on first use, so that importing the package stays light."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_attributes(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: each name in ``modules`` from its module in ``package``, imported then.

    >>> attribute = lazy_attributes("appliance", {"ConfigError": "errors"})
    >>> attribute("ConfigError").__name__
    'ConfigError'
    >>> attribute("Nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'appliance' has no attribute 'Nothing'
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return __getattr__
