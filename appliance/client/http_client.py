"""The HTTP transport of the client (``http://HOST:PORT`` or ``https://``): the JSON API, ``/api/models/{name}/...``.

Cheap per call: JSON written and read by orjson, each path built once, each request sent in one write on a
keep-alive connection and its answer read by llhttp (:mod:`appliance.client.http_connection`);
docs/client-benchmarks.md has the costs. A call that cannot reach the server fails with ``UNAVAILABLE`` (nothing sent),
one whose connection breaks before the answer with ``UNAVAILABLE`` too (its outcome unknown), one that runs past
``timeout_s`` with ``DEADLINE_EXCEEDED``: the gRPC transport's codes and messages (:mod:`appliance.client.base`).
A call is never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import ssl
import tarfile
from typing import Any, AsyncIterator, Sequence
from urllib.parse import quote, urlencode, urlsplit

import orjson

from appliance.client.base import HTTP_CODES, AsyncClosing, ClientError, Decide, Decided, Format, ModelInfo, Rewarded, Statistics
from appliance.client.failures import closed_client, closed_during_call, connection_lost, timed_out, unreachable
from appliance.client.http_connection import ConnectFailed, Connection, Pool, Response
from appliance.features import Features
from appliance.models.base import DEFAULT_MODEL, ModelStatistics, ModelVersion, Prediction

JSON = b"Content-Type: application/json\r\n"


class AsyncHttpClient(AsyncClosing):
    def __init__(self, base_url: str, token: str | None = None, *, tls_ca: str | None = None, timeout_s: float = 30.0,
                 connection: type[Connection] = Connection) -> None:
        """``tls_ca``: a PEM file to verify an ``https`` server against (``None``: the system's roots); ``connection``:
        the protocol each connection runs (the tests count its writes)."""
        super().__init__()
        parts = urlsplit(base_url)
        tls = None
        if parts.scheme == "https":
            tls = ssl.create_default_context(cafile=tls_ca)
            tls.set_alpn_protocols(["http/1.1"])
        self._pool = Pool(parts.hostname or "", parts.port or (443 if tls else 80), tls, timeout_s, connection)
        self._root = parts.path.rstrip("/") + "/"
        authorization = f"Authorization: Bearer {token}\r\n" if token else ""
        self._head = f" HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\n{authorization}".encode("latin-1")
        self._paths: dict[tuple[str, str], str] = {}

    def _path(self, model: str, tail: str = "") -> str:
        """The path of ``api/models/{model}{tail}`` under the base URL's (built once)."""
        path = self._paths.get((model, tail))
        if path is None:
            path = self._paths[model, tail] = f"{self._root}api/models/{quote(model or DEFAULT_MODEL, safe='')}{tail}"
        return path

    async def _send(self, method: str, path: str, conflict: str = "FAILED_PRECONDITION", *, json: Any = None, content: bytes = b"",
                    params: dict[str, Any] | None = None, headers: bytes = b"") -> Response:
        if json is not None:
            content, headers = orjson.dumps(json), JSON
        target = f"{path}?{urlencode(params)}" if params else path
        request = b"".join((method.encode(), b" ", target.encode(), self._head, headers, b"Content-Length: %d\r\n\r\n" % len(content),
                            content))
        if self._pool.closed:
            raise closed_client()
        self._in_its_loop()
        target = f"{self._pool.host}:{self._pool.port}"
        try:
            response = await self._pool.request(request)
        except TimeoutError:
            raise timed_out(target, self._pool.timeout_s) from None
        except ConnectFailed as err:
            raise unreachable(target, str(err), err.tls) from None
        except OSError as err:
            raise (closed_during_call() if self._pool.closed else connection_lost(target, str(err))) from None
        if response.status >= 400:
            text = response.content.decode(errors="replace")
            try:
                detail = orjson.loads(response.content).get("detail", text)
            except (ValueError, AttributeError):
                detail = text
            status = response.status
            code = conflict if status == 409 else HTTP_CODES.get(status, "UNKNOWN" if status < 500 else "INTERNAL")
            raise ClientError(code, detail if isinstance(detail, str) else str(detail))
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return orjson.loads((await self._send(method, path, **kwargs)).content)

    # -- the loop --------------------------------------------------------------------------------
    async def decide(self, context: Features | None = None, actions: Sequence[str] | None = None, event_id: str | None = None,
                     model: str = "") -> Decided:
        body = {"context": context, "actions": list(actions) if actions is not None else None, "event_id": event_id}
        r = await self._json("POST", self._path(model, "/decide"), json=body)
        return Decided(r["event_id"], r["action"], r["probability"], {p["action"]: p["probability"] for p in r["pmf"]}, r["model_version"],
                       r["timestamp"])

    async def decide_many(self, requests: Sequence[Decide], model: str = "") -> list[Decided]:
        """One decide after another, all within ``timeout_s`` as gRPC's one stream is; a failure says how many were
        answered before it, as over gRPC (those were made)."""
        out: list[Decided] = []
        try:
            async with self._whole():
                for d in requests:
                    out.append(await self.decide(d.context, d.actions, d.event_id, model))
        except ClientError as err:
            raise ClientError(err.code, f"{err.message} (after {len(out)} of {len(requests)} decisions)") from None
        return out

    @contextlib.asynccontextmanager
    async def _whole(self) -> AsyncIterator[None]:
        """A call of several requests, all of them within ``timeout_s`` as gRPC's one call is."""
        try:
            async with asyncio.timeout(self._pool.timeout_s):
                yield
        except TimeoutError:
            raise timed_out(f"{self._pool.host}:{self._pool.port}", self._pool.timeout_s) from None

    async def reward(self, event_id: str, value: float, reward_id: str | None = None, model: str = "") -> Rewarded:
        r = await self._json("POST", self._path(model, "/reward"), json={"event_id": event_id, "reward": value, "reward_id": reward_id})
        return Rewarded(r["event_id"], r["status"])

    # -- raw examples ----------------------------------------------------------------------------
    async def predict(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> list[Prediction]:
        r = await self._json("POST", self._path(model, "/predict"), json={"format": fmt, "examples": list(examples)})
        return [Prediction(p["type"], p["value"]) for p in r["predictions"]]

    async def learn(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> int:
        return int((await self._json("POST", self._path(model, "/learn"), json={"format": fmt, "examples": list(examples)}))["learned"])

    async def statistics(self, model: str = "") -> Statistics:
        return Statistics(ModelStatistics(**await self._json("GET", self._path(model, "/statistics"))))

    # -- management ------------------------------------------------------------------------------
    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(**m) for m in await self._json("GET", f"{self._root}api/models")]

    async def get_model(self, model: str = "") -> ModelInfo:
        return ModelInfo(**await self._json("GET", self._path(model)))

    async def create_model(self, name: str, vw_arguments: str | None = None, config_yaml: str | None = None) -> ModelInfo:
        body = {"name": name, "vw_arguments": vw_arguments, "config_yaml": config_yaml}
        return ModelInfo(**orjson.loads((await self._send("POST", f"{self._root}api/models", conflict="ALREADY_EXISTS", json=body)).content))

    async def delete_model(self, name: str) -> None:
        await self._send("DELETE", self._path(name))

    async def download(self, model: str = "") -> tuple[bytes, ModelVersion]:
        async with self._whole():
            r = await self._send("GET", self._path(model, "/model"))
            digest = hashlib.sha256(r.content).hexdigest()
            if digest != r.headers.get("x-model-sha256"):
                raise ClientError("DATA_LOSS", f"the model arrived cut short or changed ({len(r.content)} bytes); download it again")
            version = next((v for v in await self.versions(model) if v.sha256 == digest), None)
        return r.content, version or ModelVersion(int(r.headers["x-model-version"]), 0.0, digest, len(r.content))

    async def upload(self, data: bytes, model: str = "", model_version: int | None = None, bundle: bool = False) -> ModelVersion:
        params: dict[str, Any] = {"model_version": model_version} if model_version is not None else {}
        if bundle and not model:  # the bundle's own name, as over gRPC (the path names a model)
            model = bundle_name(data)
        if bundle:  # 409: a model of that name runs other VW arguments (gRPC's ALREADY_EXISTS)
            params["bundle"] = "true"
        async with self._whole():
            r = await self._json("PUT", self._path(model, "/model"), content=data, params=params,
                                 conflict="ALREADY_EXISTS" if bundle else "FAILED_PRECONDITION",
                                 headers=f"X-Model-SHA256: {hashlib.sha256(data).hexdigest()}\r\nContent-Type: application/octet-stream\r\n".encode())
            return next((v for v in await self.versions(model) if v.version == r["model_version"]),
                        ModelVersion(r["model_version"], 0.0, r["sha256"], r["bytes"]))

    async def save(self, model: str = "") -> ModelVersion:
        return (await self.download(model))[1]

    async def versions(self, model: str = "") -> list[ModelVersion]:
        return [ModelVersion(**v) for v in await self._json("GET", self._path(model, "/versions"))]

    async def rollback(self, version: int, model: str = "") -> ModelVersion:
        return ModelVersion(**await self._json("POST", self._path(model, "/rollback"), json={"version": version}))

    async def close(self) -> None:
        await self._pool.close()


def bundle_name(data: bytes) -> str:
    """The name in a bundle's manifest; ``""`` (the default model) when it has none that reads: the daemon reads the bundle
    first, and its refusal says what is wrong with it."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            manifest = tar.extractfile("manifest.json")
            name = orjson.loads(manifest.read()).get("name") if manifest is not None else None
    except (tarfile.TarError, KeyError, ValueError, AttributeError, OSError):
        return ""
    return name if isinstance(name, str) else ""
