"""``GET /api/preview/{source_id}``: a video source's latest frame as a small JPEG (``server.camera_preview``).

Off by default: a camera picture is private and the appliance may serve a LAN. Every answer that is not a
picture says why (preview off, unknown source, no frame yet) with a 4xx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response

from appliance.config import AppConfig
from appliance.server.preview import Previews
from appliance.server.routes_decisions import ERRORS
from appliance.server.schemas import message
from featurizers.config.sources import ID_PATTERN
from featurizers.errors import BackendUnavailableError

if TYPE_CHECKING:
    from appliance.sensing import Sensing

router = APIRouter(prefix="/api", tags=["preview"])
RETRY_S = 1


class PreviewRuntime(Protocol):
    """What this route reads from the daemon (besides the ``Runtime``): its config and live sensing."""

    config: AppConfig
    sensing: Sensing | None


async def previews(request: Request) -> Previews:
    """FastAPI dependency: this app's encoder, made on first use (on the event loop, so only once)."""
    state = request.app.state
    if getattr(state, "previews", None) is None:
        settings = state.runtime.config.server.camera_preview
        state.previews = Previews(settings.width, settings.max_fps)
    value: Previews = state.previews
    return value


@router.get("/preview/{source_id}", response_class=Response, summary="A camera's latest frame (JPEG)", responses={
    **ERRORS, 200: {"content": {"image/jpeg": {}}, "description": "The newest frame, downscaled to the preview width."},
    404: message("The preview is off, or no video source has this id."),
    409: message("The source has no frame to show yet (see Retry-After), or PyAV is missing.")})
def preview(request: Request, source_id: str = Path(pattern=ID_PATTERN, description="A video source's id."),
            encoder: Previews = Depends(previews)) -> Response:
    """The newest frame the featurizers read from a video source, as a JPEG ``server.camera_preview.width`` wide."""
    rt: PreviewRuntime = request.app.state.runtime
    if not rt.config.server.camera_preview.enabled:
        raise HTTPException(404, "the camera preview is off (the default, for privacy): set `server: {camera_preview: "
                                 "{enabled: true}}` in the config and restart `wabbit run`")
    sensing = rt.sensing
    if sensing is None or source_id not in sensing.preview_sources:
        ids = ", ".join(sensing.preview_sources if sensing is not None else [])
        raise HTTPException(404, f"no video source {source_id!r}; sources with a preview: "
                                 f"{ids or 'none (add a video source under `sources:`)'}")
    frame = sensing.frame(source_id)
    stats = sensing.pipeline.sources[source_id].stats()
    state, error = stats.get("state"), stats.get("last_error")
    if frame is None or state != "running":
        why = f"state: {state}, last error: {error}" if error else f"state: {state}"
        raise HTTPException(409, f"source {source_id!r} has no frame to show ({why}); try again in {RETRY_S} s",
                            headers={"Retry-After": str(RETRY_S)})
    try:
        jpeg = encoder.jpeg(source_id, frame)
    except BackendUnavailableError as err:
        raise HTTPException(409, f"{err}: the camera preview encodes with PyAV (the `devices` extra)") from None
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
