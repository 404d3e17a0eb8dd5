"""What the API needs from the daemon: the ``Runtime`` protocol, and the dependency that hands it over.

The daemon implements it; a test may build a small one. In safe mode (a config invalid, or valid but could not start)
``loop`` is ``None`` and ``error`` says why: the endpoints that need the loop answer 409 with that reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from fastapi import HTTPException, Request

from appliance.config import AppConfig
from appliance.features import Features
from appliance.loop import Loop
from appliance.models.base import ModelHost
from appliance.server.hub import EventHub
from appliance.storage.diskspace import DiskWatch
from appliance.supervisor.plan import Plan


class Runtime(Protocol):
    token: str
    hub: EventHub
    data_dir: Path
    disk: DiskWatch

    @property
    def models(self) -> ModelHost:
        """Every model served, by name (``default`` is the one the paths without a model name address)."""
        ...

    @property
    def loop(self) -> Loop | None:
        """The running loop; ``None`` in safe mode."""
        ...

    @property
    def error(self) -> str | None:
        """Why the daemon is in safe mode (``None`` when it runs)."""
        ...

    @property
    def safe_reason(self) -> str | None:
        """``error`` to follow "safe mode because": its config is invalid, or valid but it could not start."""
        ...

    @property
    def config(self) -> AppConfig:
        """The config in force."""
        ...

    @property
    def config_path(self) -> Path | None:
        """The file the config is read from and written to."""
        ...

    def status(self) -> dict[str, Any]:
        """One stats snapshot (the API, /metrics and the dashboard all read this)."""
        ...

    def current_context(self) -> Features:
        """The sensors' latest context (what a decision without context uses)."""
        ...

    def check_model(self, path: Path) -> None:
        """Raise UsageError unless ``path`` is a model this daemon's policy can load and decide with."""
        ...

    def check_config(self, config: AppConfig, name: str, start_policy: bool = True) -> Plan | None:
        """What applying ``config`` would change (``None`` in safe mode: everything starts), or the ConfigError that
        ``apply_config`` would raise before starting anything (a changed policy that cannot start, tried in a child
        unless not ``start_policy``), naming ``name``."""
        ...

    def apply_config(self, config: AppConfig, text: str) -> dict[str, Any]:
        """Restart the workers ``config`` affects, then write ``text`` to the config file (rolled back if they fail)."""
        ...

    def request_restart(self) -> None:
        """Stop cleanly, then start again in the same process, reading the config file (what a restart-only section needs)."""
        ...


def _runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


# The dependencies are ``async`` because they never block: FastAPI runs a plain ``def`` dependency in its
# thread pool, and those hops (three per decide with require_auth) cost ~0.2 ms of CPU per request.
async def runtime(request: Request) -> Runtime:
    """FastAPI dependency: the daemon behind this app."""
    return _runtime(request)


async def running_loop(request: Request) -> Loop:
    """FastAPI dependency: the loop, or 409 in safe mode."""
    rt = _runtime(request)
    if rt.loop is None:
        raise HTTPException(409, f"the daemon is in safe mode because {rt.safe_reason} "
                                 "Fix it with PUT /api/config (or edit the file and restart `wabbit run`).")
    return rt.loop
