"""``wabbit.v1.Management``: list, get, create, delete, download, upload, save, versions and roll back models.

An upload is written to a private file while it arrives (at most ``MAX_UPLOAD_BYTES``), its SHA-256 checked
against the one its first chunk declares, then loaded by :func:`~appliance.models.upload.load_upload` (as HTTP's
upload is): a model file into the named model, or a bundle (the first chunk's ``bundle``) as a named model,
checked in a child process and swapped in atomically. An upload that fails any step changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import orjson

from appliance.errors import UsageError
from appliance.grpc.calls import Calls
from appliance.grpc.status import Oversized, streaming, unary
from appliance.models.base import ModelVersion, ServedModel
from appliance.models.upload import load_upload

CHUNK_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


class ManagementServicer:
    def __init__(self, calls: Calls, pb: Any, upload_dir: Path, on_change: Callable[[], None] = lambda: None) -> None:
        """``upload_dir``: where uploads are written while they arrive (private); ``on_change``: called when a
        model is created or deleted (the health service follows)."""
        self._calls, self._pb, self._dir, self._on_change = calls, pb, upload_dir, on_change

    def _version(self, v: ModelVersion) -> Any:
        return self._pb.ModelVersion(version=v.version, created=v.created, sha256=v.sha256, size=v.size, origin=v.origin,
                                     source_version=v.source_version)

    def _info(self, m: ServedModel) -> Any:
        return self._pb.ModelInfo(name=m.name, kind=m.kind, ready=m.ready(), status_json=orjson.dumps(m.status(), default=str).decode())

    @unary
    async def ListModels(self, request: Any, context: Any) -> Any:
        host = self._calls.host
        return self._pb.ListModelsResponse(models=await self._calls.blocking(lambda: [self._info(host.get(n)) for n in host.names()]))

    @unary
    async def GetModel(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        return await self._calls.run(model, "GetModel", lambda: self._info(model))

    @unary
    async def CreateModel(self, request: Any, context: Any) -> Any:
        host = self._calls.host
        model = await self._calls.blocking(lambda: host.create(request.name, vw_arguments=request.vw_arguments or None,
                                                               config_text=request.config_yaml or None))
        self._on_change()
        return self._info(model)

    @unary
    async def DeleteModel(self, request: Any, context: Any) -> Any:
        await self._calls.blocking(lambda: self._calls.host.delete(request.name))
        self._calls.stats.forget(request.name)
        self._on_change()
        return self._pb.DeleteModelResponse()

    @streaming
    async def Download(self, request: Any, context: Any) -> AsyncIterator[Any]:
        model = self._calls.model(request.model)

        def read() -> tuple[bytes, ModelVersion]:
            path, version = model.export()
            return path.read_bytes(), version

        data, version = await self._calls.run(model, "Download", read)
        first = self._version(version)
        for offset in range(0, max(len(data), 1), CHUNK_BYTES):
            yield self._pb.ModelChunk(data=data[offset:offset + CHUNK_BYTES], model=model.name, version=first if offset == 0 else None,
                                      sha256=version.sha256 if offset == 0 else "")

    @unary
    async def Upload(self, chunks: AsyncIterator[Any], context: Any) -> Any:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(dir=self._dir, suffix=".upload")
        path = Path(name)
        try:
            first, size, digest = None, 0, hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    if first is None:
                        first = chunk
                        if not chunk.bundle:
                            self._calls.model(chunk.model)  # an unknown model is NOT_FOUND before its file arrives
                    size += len(chunk.data)
                    if size > MAX_UPLOAD_BYTES:
                        raise Oversized(f"the upload is larger than {MAX_UPLOAD_BYTES} bytes; this server takes no larger one")
                    digest.update(chunk.data)
                    out.write(chunk.data)
            if first is None or size == 0:
                raise UsageError("the upload held no model: send the file in chunks, the first naming the model and its SHA-256")
            check_sha256(digest.hexdigest(), first.sha256, size)
            version = first.version.version if first.set_version else None
            if version is not None and not 0 <= version <= 2**62:
                raise UsageError(f"model version {version}: use 0 to 2**62")
            host, target, bundle = self._calls.host, first.model, first.bundle

            def load() -> ModelVersion:
                return load_upload(host, target, path, bundle=bundle, model_version=version)

            if bundle:
                loaded = await self._calls.blocking(load)
                self._on_change()
            else:
                loaded = await self._calls.run(self._calls.model(target), "Upload", load)
            return self._pb.UploadResponse(version=self._version(loaded), bytes=size)
        finally:
            path.unlink(missing_ok=True)

    @unary
    async def Save(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        _, version = await self._calls.run(model, "Save", model.export)
        return self._version(version)

    @unary
    async def Versions(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        return self._pb.VersionsResponse(versions=[self._version(v) for v in await self._calls.run(model, "Versions", model.versions)])

    @unary
    async def Rollback(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        return self._version(await self._calls.run(model, "Rollback", lambda: model.rollback(request.version)))


def check_sha256(actual: str, declared: str, size: int) -> None:
    """Nothing if an upload's SHA-256 is the one its first chunk declared; else UsageError saying what to send.

    >>> check_sha256("ab12", "AB12", 10)
    >>> check_sha256("ab12", "", 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: declare the model's SHA-256 in the first chunk's sha256 field (Download sends it; ...
    """
    if not declared:
        raise UsageError("declare the model's SHA-256 in the first chunk's sha256 field (Download sends it; or `sha256sum MODEL`), "
                         "so that a file cut short on its way is refused instead of swapped in")
    if declared.strip().lower() != actual:
        raise UsageError(f"the model's SHA-256 is {actual}, not {declared.strip()[:80]!r} as declared: the file changed or was cut "
                         f"short on its way ({size} bytes arrived); upload it again")
