"""The dashboard's config editor and Kit page: the demo configs, a dry run of a config, the parts, and the wiring
of the config in force (a table, and the breadboard view and schematic as SVG).

``POST /api/config/validate`` answers as ``wabbit config validate`` does, line by line, and says what applying
the config would do (restart workers, or need ``wabbit run`` restarted); ``PUT /api/config`` applies it.

The kit's modules (parts, wiring, drawings) are imported by the routes that use them, not at the daemon's start.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from appliance.config import load_config_text
from appliance.errors import ConfigError
from appliance.server.routes_decisions import ERRORS
from appliance.server.runtime import Runtime, runtime
from appliance.server.schemas import Body, Message, message

router = APIRouter(prefix="/api", tags=["kit"])


class DemoInfo(BaseModel):
    name: str = Field(description="The demo's name: demos/NAME.yaml.")
    title: str = Field(description="What it shows (its first comment line).")


class DemosResponse(BaseModel):
    demos: list[DemoInfo] = Field(description="The demo configs, by name.")


class DemoResponse(DemoInfo):
    yaml: str = Field(description="The demo config, comments kept.")


class ValidateBody(Body):
    yaml: str = Field(max_length=262_144, description="The whole config as YAML.")
    name: str = Field("config.yaml", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="The file name errors name.")
    start_policy: bool = Field(True, description="Try a changed policy section in a child process, as `PUT /api/config` "
                               "does (a second or more); false where a PUT follows at once and tries it anyway.")


class Problem(BaseModel):
    line: int | None = Field(description="The YAML line it is on (1-based), when it has one.")
    text: str = Field(description="The message, as `wabbit config validate` prints it.")


class ValidateResponse(BaseModel):
    valid: bool = Field(description="Whether the config loads.")
    errors: list[Problem] = Field(description="What is wrong, one problem per entry, each with its line.")
    warnings: list[str] = Field(description="Valid, but applying it would fail or surprise (a GPIO used twice).")
    applies_live: list[str] = Field(description="Sections that applying it changes at once (their workers restart).")
    restart_required: list[str] = Field(description="Sections that would take effect only after `wabbit run` restarts.")


class WiringRow(BaseModel):
    device: str = Field(description="The device, and what part it is.")
    terminal: str = Field(description="Which of its legs or terminals.")
    pin: str = Field(description="The Pi's pin: BCM name and physical pin number.")
    through: str = Field(description="A resistor (with its value) or a plain jumper wire.")


class WiringResponse(BaseModel):
    config: str = Field(description="The config file these wires are for (or `the config in force`).")
    rows: list[WiringRow] = Field(description="One row per wire.")
    error: str | None = Field(description="Why the config cannot be wired as written (a pin used twice), else null.")


def _problems(err: ConfigError, name: str) -> list[Problem]:
    where = re.compile(rf"^{re.escape(name)}:(\d+): ")
    return [Problem(line=int(m[1]) if (m := where.match(text)) else None, text=text) for text in str(err).splitlines() if text.strip()]


def _title(rt: Runtime) -> str:
    return rt.config_path.name if rt.config_path is not None else "the config in force"


@router.get("/demos", response_model=DemosResponse, responses=ERRORS, summary="The demo configs")
def demos() -> DemosResponse:
    from appliance.kit.files import demo_names, demo_path, demo_title

    return DemosResponse(demos=[DemoInfo(name=n, title=demo_title(demo_path(n).read_text(encoding="utf-8"))) for n in demo_names()])


@router.get("/demos/{name}", response_model=DemoResponse, summary="One demo config, to load into the editor",
            responses={**ERRORS, 404: message("No demo of that name.")})
def demo(name: str = Path(max_length=64, description="The demo's name, e.g. hello-world.")) -> DemoResponse:
    from appliance.kit.errors import KitError
    from appliance.kit.files import demo_path, demo_title

    try:
        text = demo_path(name).read_text(encoding="utf-8")
    except KitError as err:
        raise HTTPException(404, str(err)) from None
    return DemoResponse(name=name, title=demo_title(text), yaml=text)


@router.post("/config/validate", response_model=ValidateResponse, responses=ERRORS, summary="Check a config without applying it")
def validate(body: ValidateBody, rt: Runtime = Depends(runtime)) -> ValidateResponse:
    """The errors `wabbit config validate` would print, each with its line, and what `PUT /api/config` would change."""
    from appliance.kit.errors import WiringError
    from appliance.kit.wiring import wiring_of

    try:
        config = load_config_text(body.yaml, body.name)
    except ConfigError as err:
        return ValidateResponse(valid=False, errors=_problems(err, body.name), warnings=[], applies_live=[], restart_required=[])
    warnings = []
    try:
        wiring_of(config)
    except WiringError as err:
        warnings.append(str(err))
    try:
        plan = rt.check_config(config, body.name, body.start_policy)  # what PUT /api/config refuses before it starts anything
    except ConfigError as err:
        return ValidateResponse(valid=False, errors=_problems(err, body.name), warnings=warnings, applies_live=[], restart_required=[])
    if plan is None:  # safe mode: a valid config starts everything
        return ValidateResponse(valid=True, errors=[], warnings=warnings, applies_live=["all"], restart_required=[])
    return ValidateResponse(valid=True, errors=[], warnings=warnings, applies_live=list(plan.live), restart_required=list(plan.needs_restart))


@router.post("/restart", status_code=202, response_model=Message, responses=ERRORS, tags=["config"], summary="Restart the daemon")
def restart(background: BackgroundTasks, rt: Runtime = Depends(runtime)) -> Message:
    """Stop cleanly (checkpoint, actuators safe) and start again in the same process with the config file as written:
    what sections such as policy and join need after `PUT /api/config`. The API is back within seconds."""
    background.add_task(rt.request_restart)  # after this answer is sent
    return Message(detail="restarting: the dashboard reconnects when the daemon is back")


@router.get("/kit/parts", responses=ERRORS, summary="The kits and their parts (kit/bom.yaml)")
def parts() -> dict[str, Any]:
    """Each kit with its parts (the first of a choice is the recommendation), what each is for, its typical price,
    the maker's and shops' links and what else is known to work."""
    from appliance.kit.bom import load_bom
    from appliance.kit.render import bom_data

    return bom_data(load_bom())


@router.get("/kit/wiring", response_model=WiringResponse, responses=ERRORS, summary="The wires the config in force needs")
def wiring(rt: Runtime = Depends(runtime)) -> WiringResponse:
    from appliance.kit.errors import KitError
    from appliance.kit.wiring import wiring_of

    try:
        rows = [WiringRow(**r) for r in wiring_of(rt.config).rows()]
    except KitError as err:
        return WiringResponse(config=_title(rt), rows=[], error=str(err))
    return WiringResponse(config=_title(rt), rows=rows, error=None)


@router.get("/kit/wiring.svg", response_class=Response, summary="The wiring of the config in force, drawn",
            responses={**ERRORS, 200: {"content": {"image/svg+xml": {}}, "description": "An SVG drawing."}})
def wiring_svg(view: Literal["breadboard", "schematic"] = Query("breadboard", description="Which drawing."),
               rt: Runtime = Depends(runtime)) -> Response:
    """The breadboard view or the schematic, drawn from the same pin definitions the running devices use."""
    from appliance.kit.breadboard import breadboard
    from appliance.kit.errors import KitError
    from appliance.kit.schematic import schematic
    from appliance.kit.wiring import wiring_of

    try:
        drawing = wiring_of(rt.config)
    except KitError as err:
        raise HTTPException(422, str(err)) from None
    svg = (breadboard if view == "breadboard" else schematic)(drawing, _title(rt))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})
