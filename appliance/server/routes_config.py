"""``GET /api/config`` and ``PUT /api/config``: the config as YAML, validated like ``wabbit config validate``."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException

from appliance.config import load_config_text
from appliance.errors import ConfigError
from appliance.server.routes_decisions import ERRORS
from appliance.server.runtime import Runtime, runtime
from appliance.server.schemas import ConfigApplied, ConfigBody, ConfigResponse

router = APIRouter(prefix="/api", tags=["config"])


def config_yaml(rt: Runtime) -> str:
    """The config file's text when there is one (comments kept), else the config in force as YAML."""
    if rt.config_path is not None:
        try:
            return rt.config_path.read_text(encoding="utf-8")
        except OSError:
            pass
    data = rt.config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False) if data else ""


@router.get("/config", response_model=ConfigResponse, responses=ERRORS, summary="The config in force")
def get_config(rt: Runtime = Depends(runtime)) -> ConfigResponse:
    return ConfigResponse(yaml=config_yaml(rt), path=str(rt.config_path) if rt.config_path else None, error=rt.error)


@router.put("/config", response_model=ConfigApplied, responses=ERRORS, summary="Replace the config")
def put_config(body: ConfigBody, rt: Runtime = Depends(runtime)) -> Any:
    """Validate the YAML (422 names the line and the fix), restart the workers it affects, then write it.

    A config that fails to start (422) or cannot be written (409) leaves the previous one running and on disk.
    """
    try:
        config = load_config_text(body.yaml, "config")
    except ConfigError as err:
        raise HTTPException(422, str(err)) from None
    try:
        return ConfigApplied(**rt.apply_config(config, body.yaml))
    except ConfigError as err:  # valid on its own, but its devices, triggers or sources could not start
        raise HTTPException(422, str(err)) from None
    except OSError as err:
        raise HTTPException(409, f"cannot write the config file ({err}), so the config in force is unchanged; give "
                                 "the daemon write access to it, or edit it by hand and restart `wabbit run`") from None
