"""``GET /api/model`` (download) and ``PUT /api/model`` (upload: size-capped, checked, swapped atomically)."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from appliance.errors import UsageError
from appliance.loop import Loop
from appliance.models.loop_versions import version_after
from appliance.policy.base import model_suffix
from appliance.policy.model_check import DIGEST_HEADER, check_digest
from appliance.server.routes_decisions import ERRORS
from appliance.server.runtime import Runtime, running_loop, runtime
from appliance.server.schemas import ModelUploadResponse, message
from appliance.storage.writable import hint

MAX_MODEL_BYTES = 64 * 1024 * 1024
router = APIRouter(prefix="/api", tags=["model"])


@router.get("/model", summary="Download the model", response_class=Response, responses={
    **ERRORS, 200: {"content": {"application/octet-stream": {}},
                    "description": "The model: a VW model, or the policy kind's own file (`.npz`, `.skops`, `.json`)."}})
def download(if_none_match: str | None = Header(None, description="An ETag this server sent: 304 if the model is the same."),
             loop: Loop = Depends(running_loop), rt: Runtime = Depends(runtime)) -> Response:
    """The current model (named ``wabbit-model-vN`` with its policy kind's suffix: ``.vw``, ``.npz``, ...); its version
    is in the ``X-Model-Version`` header, its SHA-256 (what an upload must declare) in ``X-Model-SHA256`` and, quoted,
    in the ``ETag`` (another appliance's model source sends it back as ``If-None-Match`` and gets a 304 while the model
    is the same)."""
    with tempfile.TemporaryDirectory(dir=rt.data_dir) as tmp:
        path = Path(tmp) / "model.vw"
        version = loop.policy.model_version
        loop.policy.save(path)
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    headers = {"X-Model-Version": str(version), DIGEST_HEADER: digest, "ETag": f'"{digest}"'}
    if if_none_match == f'"{digest}"':
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/octet-stream",
                    headers={**headers, "Content-Disposition": f'attachment; filename="wabbit-model-v{version}{model_suffix(loop.policy)}"'})


UNKEPT = message("The data directory's disk cannot hold the upload (full or read-only): nothing changed.")


@router.put(
    "/model", response_model=ModelUploadResponse, summary="Upload a model",
    responses={**ERRORS, 413: message(f"Larger than {MAX_MODEL_BYTES} bytes."), 507: UNKEPT},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def upload(request: Request, model_version: int | None = Query(
        None, ge=0, le=2**62, description="The version the model runs as from now on if it is above every version the model "
                                          "has had; else, or omitted, the next one above them (as PUT /api/models/default/model)."),
        sha256: str | None = Header(None, alias=DIGEST_HEADER, max_length=128,
                                    description="The model file's SHA-256 (hex), as GET /api/model sends it: a file cut short is refused."),
        loop: Loop = Depends(running_loop), rt: Runtime = Depends(runtime)) -> ModelUploadResponse:
    """Replace the model. Its SHA-256 must match the declared one; it is then checked in a child process (loads,
    decides over the declared actions, decides the same after a save and load); a bad file changes nothing. The
    model is checkpointed at once, so a restart comes back with it."""
    async with received_model(request, rt.data_dir, sha256) as (path, digest, size):
        version = await run_in_threadpool(_install, rt, loop, path, model_version)
    return ModelUploadResponse(model_version=version, bytes=size, sha256=digest)


@asynccontextmanager
async def received_model(request: Request, directory: Path, declared: str | None) -> AsyncIterator[tuple[Path, str, int]]:
    """The request body in a temporary file of ``directory`` (deleted after), with its SHA-256 and size, once it is
    within the size limit, not empty, and matches the SHA-256 it declared (413 or 422 otherwise)."""
    digest, size = hashlib.sha256(), 0
    try:
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".upload", dir=directory)  # of any kind: not named as VW's
    except OSError as err:
        raise cannot_keep(directory, err) from None
    path = Path(name)
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_MODEL_BYTES:
                        raise HTTPException(413, f"the model is larger than {MAX_MODEL_BYTES} bytes; this appliance takes smaller ones")
                    digest.update(chunk)
                    f.write(chunk)
        except OSError as err:
            raise cannot_keep(directory, err) from None
        if size == 0:
            raise HTTPException(422, "the request body is empty; send the model file as application/octet-stream")
        try:
            check_digest(digest.hexdigest(), declared, size)
        except UsageError as err:
            raise HTTPException(422, str(err)) from None
        yield path, digest.hexdigest(), size
    finally:
        path.unlink(missing_ok=True)


def cannot_keep(directory: Path, err: OSError) -> HTTPException:
    """507 for an upload the data directory's disk cannot hold (full, or read-only)."""
    what = "free space on that disk" if err.errno in (errno.ENOSPC, errno.EDQUOT) else hint(err)
    return HTTPException(507, f"cannot keep the uploaded model in the data directory {directory} ({err.strerror}): nothing "
                              f"changed; {what}, and upload it again")


def _install(rt: Runtime, loop: Loop, path: Path, asked: int | None) -> int:
    """Check the model file and swap it in; the version it runs as (:func:`~appliance.models.base.version_above`)."""
    try:
        rt.check_model(path)
        return loop.load_model(path, lambda: version_after(loop, asked), named=asked)
    except UsageError as err:
        raise HTTPException(422, str(err)) from None
