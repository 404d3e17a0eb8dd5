"""The HTTP transport of the client (``http://HOST:PORT`` or ``https://``): the JSON API, ``/api/models/{name}/...``.

Cheap per call: JSON written and read by orjson, each path's URL built once, each request sent in one write
(:mod:`appliance.client.http_transport`); docs/client-benchmarks.md has the costs.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

import orjson

from appliance.client.base import HTTP_CODES, ClientError, Decide, Decided, Format, ModelInfo, Rewarded, Statistics
from appliance.features import Features
from appliance.models.base import DEFAULT_MODEL, ModelStatistics, ModelVersion, Prediction

if TYPE_CHECKING:
    import httpx


class AsyncHttpClient:
    def __init__(self, base_url: str, token: str | None = None, *, tls_ca: str | None = None, timeout_s: float = 30.0) -> None:
        """``tls_ca``: a PEM file to verify an ``https`` server against (``None``: the system's roots)."""
        import httpx

        from appliance.client.http_transport import JoinedTransport

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout_s,
                                       transport=JoinedTransport(verify=tls_ca or True))
        self._urls: dict[tuple[str, str], httpx.URL] = {}

    def _path(self, model: str, tail: str = "") -> httpx.URL:
        """The URL of ``api/models/{model}{tail}`` under the base URL, as httpx merges a relative one (which it parses
        again on every call: this one is built once)."""
        url = self._urls.get((model, tail))
        if url is None:
            base = self._http.base_url
            path = f"api/models/{quote(model or DEFAULT_MODEL, safe='')}{tail}".encode()
            url = self._urls[model, tail] = base.copy_with(raw_path=base.raw_path + path)
        return url

    async def _send(self, method: str, path: str | httpx.URL, conflict: str = "FAILED_PRECONDITION", *, json: Any = None, **kwargs: Any) -> Any:
        if json is not None:
            kwargs["content"] = orjson.dumps(json)
            kwargs["headers"] = {"Content-Type": "application/json"}
        response = await self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = orjson.loads(response.content).get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text
            status = response.status_code
            code = conflict if status == 409 else HTTP_CODES.get(status, "UNKNOWN" if status < 500 else "INTERNAL")
            raise ClientError(code, detail if isinstance(detail, str) else str(detail))
        return response

    async def _json(self, method: str, path: str | httpx.URL, **kwargs: Any) -> Any:
        return orjson.loads((await self._send(method, path, **kwargs)).content)

    # -- the loop --------------------------------------------------------------------------------
    async def decide(self, context: Features | None = None, actions: Sequence[str] | None = None, event_id: str | None = None,
                     model: str = "") -> Decided:
        body = {"context": context, "actions": list(actions) if actions is not None else None, "event_id": event_id}
        r = await self._json("POST", self._path(model, "/decide"), json=body)
        return Decided(r["event_id"], r["action"], r["probability"], {p["action"]: p["probability"] for p in r["pmf"]}, r["model_version"],
                       r["timestamp"])

    async def decide_many(self, requests: Sequence[Decide], model: str = "") -> list[Decided]:
        return [await self.decide(d.context, d.actions, d.event_id, model) for d in requests]

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
        return [ModelInfo(**m) for m in await self._json("GET", "/api/models")]

    async def get_model(self, model: str = "") -> ModelInfo:
        return ModelInfo(**await self._json("GET", self._path(model)))

    async def create_model(self, name: str, vw_arguments: str | None = None, config_yaml: str | None = None) -> ModelInfo:
        body = {"name": name, "vw_arguments": vw_arguments, "config_yaml": config_yaml}
        return ModelInfo(**(await self._send("POST", "/api/models", conflict="ALREADY_EXISTS", json=body)).json())

    async def delete_model(self, name: str) -> None:
        await self._send("DELETE", self._path(name))

    async def download(self, model: str = "") -> tuple[bytes, ModelVersion]:
        r = await self._send("GET", self._path(model, "/model"))
        digest = hashlib.sha256(r.content).hexdigest()
        if digest != r.headers.get("X-Model-SHA256"):
            raise ClientError("DATA_LOSS", f"the model arrived cut short or changed ({len(r.content)} bytes); download it again")
        version = next((v for v in await self.versions(model) if v.sha256 == digest), None)
        return r.content, version or ModelVersion(int(r.headers["X-Model-Version"]), 0.0, digest, len(r.content))

    async def upload(self, data: bytes, model: str = "", model_version: int | None = None, bundle: bool = False) -> ModelVersion:
        params: dict[str, Any] = {"model_version": model_version} if model_version is not None else {}
        if bundle:  # 409: a model of that name runs other VW arguments (gRPC's ALREADY_EXISTS)
            params["bundle"] = "true"
        r = await self._json("PUT", self._path(model, "/model"), content=data, params=params,
                             conflict="ALREADY_EXISTS" if bundle else "FAILED_PRECONDITION",
                             headers={"X-Model-SHA256": hashlib.sha256(data).hexdigest(), "Content-Type": "application/octet-stream"})
        return next((v for v in await self.versions(model) if v.version == r["model_version"]),
                    ModelVersion(r["model_version"], 0.0, r["sha256"], r["bytes"]))

    async def save(self, model: str = "") -> ModelVersion:
        return (await self.download(model))[1]

    async def versions(self, model: str = "") -> list[ModelVersion]:
        return [ModelVersion(**v) for v in await self._json("GET", self._path(model, "/versions"))]

    async def rollback(self, version: int, model: str = "") -> ModelVersion:
        return ModelVersion(**await self._json("POST", self._path(model, "/rollback"), json={"version": version}))

    async def close(self) -> None:
        await self._http.aclose()
