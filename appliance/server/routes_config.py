"""``GET /api/config`` and ``PUT /api/config``: the config as YAML, validated like ``wabbit config validate``."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException

from appliance.config import AppConfig, load_config_text
from appliance.errors import ConfigError
from appliance.server.routes_decisions import ERRORS
from appliance.server.runtime import Runtime, runtime
from appliance.server.schemas import ConfigApplied, ConfigBody, ConfigResponse, message

router = APIRouter(prefix="/api", tags=["config"])
_applying = threading.Lock()
"""One PUT at a time, so that a ``base`` checked is still the config in force when its config is applied."""


def config_yaml(rt: Runtime) -> str:
    """The config file's text when there is one (comments kept), else the config in force as YAML."""
    if rt.config_path is not None:
        try:
            return rt.config_path.read_text(encoding="utf-8")
        except OSError:
            pass
    data = rt.config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False) if data else ""


def config_version(text: str) -> str:
    """The ``version`` of a config's text: its SHA-256, shortened."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@router.get("/config", response_model=ConfigResponse, responses=ERRORS, summary="The config in force")
def get_config(rt: Runtime = Depends(runtime)) -> ConfigResponse:
    text = config_yaml(rt)
    return ConfigResponse(yaml=text, path=str(rt.config_path) if rt.config_path else None, error=rt.error, version=config_version(text))


PUT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: message("Edited from a config no longer in force (`base` is not its `version`): reload it and edit again."),
    422: message("Invalid, or valid but it could not start; the message says what to fix. Nothing changed."),
    507: message("The config file cannot be written (permissions, a full or read-only disk): nothing changed; fix the "
                 "host, not the request."),
}


@router.put("/config", response_model=ConfigApplied, responses=PUT_ERRORS, summary="Replace the config")
def put_config(body: ConfigBody, rt: Runtime = Depends(runtime)) -> Any:
    """Validate the YAML (422 names the line and the fix), restart the workers it affects, then write it.

    A config that fails to start (422), was edited from a config no longer in force (409: ``base`` is not its
    ``version``) or cannot be written (507, Insufficient Storage: the host is at fault, not the request) leaves the
    previous one running and on disk.
    """
    try:
        config = load_config_text(body.yaml, "config")
    except ConfigError as err:
        raise HTTPException(422, str(err)) from None
    with _applying:
        return _apply(body, config, rt)


def _apply(body: ConfigBody, config: AppConfig, rt: Runtime) -> ConfigApplied:
    if body.base is not None and body.base != config_version(config_yaml(rt)):
        raise HTTPException(409, "the config changed since this one was edited from it (another editor applied one, or the file "
                                 "was edited), so it was not applied and the config in force runs on: reload the config "
                                 "(GET /api/config), make the change again and send it with its new version as base")
    try:
        applied = rt.apply_config(config, body.yaml)
    except ConfigError as err:  # valid on its own, but its devices, triggers or sources could not start
        raise HTTPException(422, str(err)) from None
    except OSError as err:
        raise HTTPException(507, f"cannot write the config file ({err}), so the config in force is unchanged; give "
                                 "the daemon write access to it, or edit it by hand and restart `wabbit run`") from None
    return ConfigApplied(**applied, version=config_version(config_yaml(rt)))
