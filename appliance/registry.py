"""The one registry of kinds: for every role, a config ``type`` names a config class and an implementation.

Built-in kinds (:mod:`appliance.roles`) are ``module:Class`` strings, imported only when used (paho loads only for MQTT, PyAV only
for a video file). A package installed beside the appliance adds kinds through Python entry points in the
group ``wabbit.<role>``: the entry point's name is the ``type``, its value the implementation class, whose
``Config`` attribute is its pydantic config (a ``StrictModel`` with ``type: Literal["<name>"]``)::

    [project.entry-points."wabbit.actuators"]
    blink = "wabbit_blink:BlinkActuator"

A role with a ``factory`` builds its kinds with that class method (estimators and intervals:
``from_config(config)``, which :class:`~appliance.estimators.base.Streaming` has), the others call the class.

>>> kind = REGISTRY.kind("actuators", "led")
>>> kind.config_class().__name__, kind.origin
('LEDConfig', 'built-in')
>>> REGISTRY.kind("actuators", "blinky")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.registry.UnknownKindError: unknown actuator type 'blinky'; built in: led, pwm_led, ... plug-ins: none. ...
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Iterable

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from appliance.errors import ConfigError
from appliance.roles import ROLES, Role

log = logging.getLogger(__name__)


class UnknownKindError(ConfigError):
    """A config names a ``type`` no built-in kind and no installed plug-in provides."""


@dataclass(frozen=True)
class Kind:
    """One kind of a role: its name (the config's ``type`` key), config class and implementation (``module:Class[.attr]``)."""

    role: str
    name: str
    config: str
    implementation: str
    origin: str = "built-in"

    def config_class(self) -> type[Any]:
        return load(self.config)  # type: ignore[no-any-return]

    def implementation_class(self) -> Callable[..., Any]:
        return load(self.implementation)  # type: ignore[no-any-return]


def load(target: str) -> Any:
    """The object ``module:Name[.attr...]`` names (imported now).

    >>> load("appliance.errors:ConfigError").__name__
    'ConfigError'
    """
    module, _, attributes = target.partition(":")
    found: Any = importlib.import_module(module)
    for attribute in attributes.split("."):
        found = getattr(found, attribute)
    return found


class Registry:
    """Every role's kinds: the built-in ones, then those installed plug-ins add (discovered once per role).

    A plug-in that cannot be loaded (an import error, no ``Config``, a ``type`` that differs from its entry
    point's name, a name a built-in kind already has) is skipped and remembered in :meth:`broken`, so an
    unknown-type error can say why.
    """

    def __init__(self, roles: Iterable[Role], discover: Callable[[str], Iterable[EntryPoint]] | None = None) -> None:
        self._roles = {r.name: r for r in roles}
        self._discover = discover or installed_entry_points
        self._kinds: dict[str, dict[str, Kind]] = {}
        self._broken: dict[str, dict[str, str]] = {}

    @property
    def roles(self) -> list[str]:
        return list(self._roles)

    def role(self, name: str) -> Role:
        return self._roles[name]

    def kinds(self, role: str) -> dict[str, Kind]:
        """``type`` -> kind, built-in kinds first."""
        found = self._kinds.get(role)
        if found is None:
            found = self._kinds[role] = self._load_kinds(role)
        return found

    def kind(self, role: str, type_: str) -> Kind:
        found = self.kinds(role).get(type_)
        if found is None:
            raise UnknownKindError(self.unknown(role, type_))
        return found

    def plugins(self, role: str) -> list[Kind]:
        return [k for k in self.kinds(role).values() if k.origin != "built-in"]

    def broken(self, role: str) -> dict[str, str]:
        """Plug-ins of ``role`` that were found but could not be loaded, with the reason."""
        self.kinds(role)
        return dict(self._broken.get(role, {}))

    def build(self, role: str, config: Any, **inject: Any) -> Any:
        """The implementation of ``config.type`` built from ``config`` (``inject``: the role's backends)."""
        implementation = self.kind(role, config.type).implementation_class()
        factory = self._roles[role].factory
        return (getattr(implementation, factory) if factory else implementation)(config, **inject)

    def unknown(self, role: str, type_: object) -> str:
        """What an unknown ``type`` gets told: the known kinds, the installed plug-ins, the broken ones."""
        kinds = self.kinds(role)
        builtin = [t for t, k in kinds.items() if k.origin == "built-in"]
        plugins = [f"{k.name} ({k.origin})" for k in kinds.values() if k.origin != "built-in"]
        broken = [f"{name} ({why})" for name, why in self.broken(role).items()]
        return (f"unknown {self._roles[role].noun} type {type_!r}; built in: {', '.join(builtin)}; installed plug-ins: "
                f"{', '.join(plugins) or 'none'}" + (f"; plug-ins that failed to load: {'; '.join(broken)}" if broken else "")
                + ". Check the spelling, or install the package that provides it (its entry point group is "
                f"wabbit.{role})")

    def _load_kinds(self, role: str) -> dict[str, Kind]:
        spec = self._roles[role]
        kinds = {t: Kind(role, t, config, impl) for t, (config, impl) in spec.builtins.items()}
        broken = self._broken.setdefault(role, {})
        for point in self._discover(f"wabbit.{role}"):
            origin = f"plug-in {point.dist.name} {point.dist.version}" if point.dist is not None else "plug-in"
            kind = Kind(role, point.name, f"{point.value}.Config", point.value, origin)
            problem = _plugin_problem(kind, kinds, spec.factory)
            if problem is None:
                kinds[point.name] = kind
            else:
                broken[point.name] = problem
                log.error("plug-in %s %r (%s) is skipped: %s", role, point.name, point.value, problem)
        return kinds


@cache
def _installed() -> Any:
    """Every installed package's entry points: one scan of the installed distributions (each
    ``entry_points(group=...)`` scans them all again: the 11 roles' groups took 0.2-0.4 s of the daemon's start)."""
    return entry_points()


def installed_entry_points(group: str) -> Iterable[EntryPoint]:
    """The installed entry points in ``group`` (the packages are scanned once per process)."""
    points: Iterable[EntryPoint] = _installed().select(group=group)
    return points


def _plugin_problem(kind: Kind, known: dict[str, Kind], factory: str) -> str | None:
    """Why a plug-in kind cannot be used, or ``None`` (``factory``: the class method its role builds it with)."""
    if kind.name in known:
        return f"{known[kind.name].origin} kind {kind.name!r} has this name already"
    try:
        config = kind.config_class()
    except Exception as err:  # a plug-in's import may fail in any way; it must not take the appliance down
        return f"cannot load {kind.implementation} or its Config: {type(err).__name__}: {err}"
    type_field = getattr(config, "model_fields", {}).get("type")
    if type_field is None or type_field.default != kind.name:
        return f"its Config must declare `type: Literal[{kind.name!r}] = {kind.name!r}`"
    if factory and not callable(getattr(kind.implementation_class(), factory, None)):
        return f"it must have the class method {factory}(config) that {kind.role} kinds are built with"
    return None


REGISTRY = Registry(ROLES)
"""The appliance's registry (plug-ins discovered from the installed packages)."""


class KindOf:
    """Pydantic annotation for one entry of a role's config: its ``type`` key picks the kind's config class,
    built-in or plug-in (``Annotated[ActuatorConfigBase, KindOf("actuators")]``).

    ``default`` is the kind of an entry without a ``type`` key. An unknown type is one error, at the entry,
    that names the known kinds and the installed plug-ins.

    >>> from typing import Annotated
    >>> from pydantic import TypeAdapter
    >>> from appliance.config.actuators import ActuatorConfigBase
    >>> adapter = TypeAdapter(Annotated[ActuatorConfigBase, KindOf("actuators")])
    >>> type(adapter.validate_python({"type": "led", "pin": 17})).__name__
    'LEDConfig'
    >>> adapter.validate_python({"type": "lamp"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for function-before[...]
      unknown actuator type 'lamp'; built in: led, pwm_led, ...
    """

    def __init__(self, role: str, default: str | None = None, registry: Registry | None = None) -> None:
        self.role, self.default = role, default
        self._registry = registry

    @property
    def registry(self) -> Registry:
        return self._registry or REGISTRY

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        kinds = self.registry.kinds(self.role)
        choices: dict[Any, core_schema.CoreSchema] = {t: handler.generate_schema(k.config_class()) for t, k in kinds.items()}
        union = core_schema.tagged_union_schema(choices, discriminator="type")
        return core_schema.no_info_before_validator_function(self._known_type, union)

    def _known_type(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # a config object, or something the union refuses with its own error
        if "type" not in value and self.default is not None:
            value = {**value, "type": self.default}
        type_ = value.get("type")
        if type_ is None:
            known = ", ".join(self.registry.kinds(self.role))
            raise PydanticCustomError("missing_type", "needs a `type` key naming its kind: one of {known}", {"known": known})
        if not isinstance(type_, str) or type_ not in self.registry.kinds(self.role):
            raise PydanticCustomError("unknown_kind", "{message}", {"message": self.registry.unknown(self.role, type_)})
        return value
