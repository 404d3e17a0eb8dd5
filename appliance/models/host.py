"""Every model one daemon serves: ``default`` (the daemon's own loop) and the models in ``DATA_DIR/models/<name>/``.

Each model directory holds ``model.json`` (its kind, and a ``vw`` model's arguments), a ``loop`` model's
``config.yaml``, and its own data: write-ahead log, event or learn log, checkpoints. Models are opened again
when the daemon starts, so a created model is served until it is deleted. Only the default model drives
devices: another loop model decides for the API (its config may not name sources, actuators, feedback or
pinned triggers), with no simulated world unless its config asks for one.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.config import AppConfig, load_config_text
from appliance.errors import ConfigError, UsageError
from appliance.models.base import DEFAULT_MODEL, ModelExistsError, ModelVersion, ServedModel, UnknownModelError, check_name
from appliance.models.loop_model import LoopModel
from appliance.models.vw_model import SPEC, VWModel
from appliance.storage.atomic import write_atomically
from appliance.supervisor import Supervisor

log = logging.getLogger("wabbit")
MAX_MODELS = 32
BESIDE = "a model beside the default one runs no simulated world unless its config has a `simulation:` section, so none supplies the actions"


def service_config(text: str, name: str) -> AppConfig:
    """A config for a model beside the default one: no devices, and no simulated world unless it names one."""
    config = load_config_text(text, f"model {name} config")
    if "simulation" not in (load_yaml_keys(text)):
        try:
            config = config.in_world(None, BESIDE)
        except ConfigError as err:
            raise ConfigError(f"model {name} config: {err}") from None
    problems = [what for what, present in (("sources", config.sources), ("actuators", config.actuators), ("feedback", config.feedback),
                                           ("triggers.events", config.triggers.events)) if present]
    if problems:
        raise ConfigError(f"model {name} config: {', '.join(problems)}: only the default model drives devices; a model beside "
                          "it decides through the API (remove these keys)")
    if config.policy is None and config.simulation is None:
        raise ConfigError(f"model {name} config: name its policy and actions (policy: {{actions: [{{id: ...}}, ...]}})")
    return config


def load_yaml_keys(text: str) -> set[str]:
    import yaml

    data = yaml.safe_load(text) or {}
    return set(data) if isinstance(data, dict) else set()


class DaemonModels:
    """The ModelHost of a running daemon. ``durable``: fsync the models' logs (the daemon's storage setting)."""

    def __init__(self, default: Supervisor | None, data_dir: Path, clock: Clock, durable: bool = True) -> None:
        """``default``: the daemon's supervisor (``None``: the models beside it only, as ``wabbit model serve``
        installs a bundle before the daemon runs)."""
        self._default = LoopModel(DEFAULT_MODEL, default) if default is not None else None
        self._directory = data_dir / "models"
        self._clock, self._durable = clock, durable
        self._models: dict[str, ServedModel] = {}
        self.broken: dict[str, str] = {}
        """Models whose directory could not be opened at start, with why (listed, not served)."""
        self._lock = threading.Lock()

    def start(self) -> None:
        """Open every model directory; one that fails is logged and listed in :attr:`broken`."""
        for spec in sorted(self._directory.glob(f"*/{SPEC}")):
            name = spec.parent.name
            try:
                self._models[name] = self._open(name, spec.parent)
            except Exception as err:
                self.broken[name] = str(err)
                log.error("model %s in %s cannot be opened and is not served: %s", name, spec.parent, err)

    def _open(self, name: str, directory: Path) -> ServedModel:
        spec = json.loads((directory / SPEC).read_text())
        if spec.get("kind") == "vw":
            return VWModel(name, directory, str(spec["arguments"]), self._durable)
        text = (directory / "config.yaml").read_text(encoding="utf-8")
        supervisor = Supervisor(service_config(text, name), directory, directory / "config.yaml", None, EventBus(), self._clock,
                                lambda config: None)
        supervisor.start()
        return LoopModel(name, supervisor)

    # -- ModelHost -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [*([DEFAULT_MODEL] if self._default is not None else []), *sorted(self._models)]

    def get(self, name: str) -> ServedModel:
        if name in ("", DEFAULT_MODEL) and self._default is not None:
            return self._default
        model = self._models.get(name)
        if model is None:
            why = f" (it could not be opened at start: {self.broken[name]})" if name in self.broken else ""
            raise UnknownModelError(f"no model {name[:80]!r}{why}; models: {', '.join(self.names())}")
        return model

    def create(self, name: str, *, vw_arguments: str | None = None, config_text: str | None = None) -> ServedModel:
        check_name(name)
        if (vw_arguments is None) == (config_text is None):
            raise UsageError("create a model from VW arguments (a vw model) or from a config (a loop model): give exactly one")
        with self._lock:
            if name == DEFAULT_MODEL or name in self._models or name in self.broken:
                raise ModelExistsError(f"a model named {name!r} exists already; delete it first or choose another name")
            if len(self._models) >= MAX_MODELS:
                raise UsageError(f"this daemon serves {MAX_MODELS} models at most; delete one first")
            if config_text is not None:
                service_config(config_text, name)  # refused before anything is written
            directory = self._directory / name
            shutil.rmtree(directory, ignore_errors=True)  # what a create that crashed half-way left
            try:
                if vw_arguments is not None:
                    model: ServedModel = VWModel.create(name, directory, vw_arguments, self._durable)
                else:
                    assert config_text is not None
                    directory.mkdir(parents=True, mode=0o700)
                    write_atomically(directory / "config.yaml", config_text.encode())
                    write_atomically(directory / SPEC, json.dumps({"kind": "loop", "created": time.time()}).encode())
                    model = self._open(name, directory)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
            self._models[name] = model
        log.info("model %s created (%s)", name, model.kind)
        return model

    def install(self, bundle: Path, name: str | None = None, *, update: bool = False,
                shown: str | None = None) -> tuple[ServedModel, ModelVersion]:
        """Serve the model of a bundle (:mod:`appliance.models.bundle`) as ``name`` (default: the bundle's), its model
        checked in a child process and loaded as the bundle's version when that is above every version the model has
        had, else as the next one (:func:`~appliance.models.base.version_above`); nothing stays of a bundle that fails.
        ``update``: a model of that name that runs the bundle's VW arguments (or config) loads the bundle's model as a
        new version, swapped in atomically (a failed load keeps the one it serves); else a model of that name is an
        error. ``shown``: how errors name the bundle (default: its path)."""
        import tempfile

        from appliance.models.bundle import read_bundle

        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=self._directory) as temp:
            manifest = read_bundle(bundle, Path(temp), shown)
            target, model_file = name or manifest.name, Path(temp) / "model.vw"
            if update and target in self.names():
                model = self.get(target)
                self._check_runs(target, manifest.vw_arguments, manifest.config_yaml)
                version = model.load_file(model_file, manifest.model_version, how="bundle")
            else:
                model = self.create(target, vw_arguments=manifest.vw_arguments, config_text=manifest.config_yaml)
                try:
                    version = model.load_file(model_file, manifest.model_version, how="bundle")
                except BaseException:
                    self.delete(model.name)
                    raise
        log.info("model %s installed from %s as version %d (packed as version %d, made with VW %s)", model.name, shown or bundle,
                 version.version, manifest.model_version, manifest.vw_version)
        return model, version

    def _check_runs(self, name: str, vw_arguments: str | None, config_text: str | None) -> None:
        """Nothing if the model ``name`` runs these VW arguments (or this config); else ModelExistsError saying what differs."""
        if name == DEFAULT_MODEL:
            raise ModelExistsError("the default model runs the daemon's own config: upload a model file to it (not a bundle), "
                                   "or serve the bundle under a name of its own")
        directory = self._directory / name
        spec = json.loads((directory / SPEC).read_text())
        runs = spec["arguments"] if spec.get("kind") == "vw" else None
        config = (directory / "config.yaml").read_text(encoding="utf-8") if runs is None else None
        if (runs, config) != (vw_arguments, config_text):
            ours, theirs = (f"VW arguments {a!r}" if a is not None else "a loop config" for a in (runs, vw_arguments))
            differ = "runs another config than the bundle's" if ours == theirs else f"runs {ours}; the bundle's model needs {theirs}"
            raise ModelExistsError(f"model {name!r} {differ}: delete the model first, or serve the bundle under another name")

    def delete(self, name: str) -> None:
        if name in ("", DEFAULT_MODEL):
            raise UsageError("the default model is the daemon's own; it cannot be deleted")
        with self._lock:
            model = self._models.pop(name, None)
            if model is None and name not in self.broken:
                raise UnknownModelError(f"no model {name[:80]!r}; models: {', '.join(self.names())}")
            self.broken.pop(name, None)
        if model is not None:
            model.close()
        shutil.rmtree(self._directory / name, ignore_errors=True)
        log.info("model %s deleted", name)

    def supervisors(self) -> list[Supervisor]:
        """The loop models' supervisors besides the default one (for the watchdog)."""
        return [m.supervisor for m in self._models.values() if isinstance(m, LoopModel)]

    def close(self) -> None:
        """Stop every model beside the default one (the daemon stops that one itself)."""
        with self._lock:
            models, self._models = list(self._models.values()), {}
        for model in models:
            try:
                model.close()
            except Exception as err:
                log.error("model %s did not close cleanly: %s", model.name, err)
