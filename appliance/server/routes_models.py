"""``/api/models``: every model the daemon serves, by name (``default`` is the one today's paths address).

A ``loop`` model decides and takes rewards; any model predicts and learns raw examples (VW text or DSJSON),
reports VW's statistics, exports and loads its model file, lists its saved versions and rolls back to one.
Decide and reward take the lean path of ``POST /api/decide`` (:mod:`appliance.server.fast_path`); the other blocking
calls run in FastAPI's thread pool (plain ``def`` endpoints). What is acknowledged is durable.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from appliance.models.base import ModelHost, ServedModel
from appliance.models.upload import load_upload
from appliance.policy.model_check import DIGEST_HEADER
from appliance.server.fast_path import authorised_body, body_of, decide_answer, durably, parsed, reward_answer
from appliance.server.routes_decisions import ERRORS
from appliance.server.routes_model import MAX_MODEL_BYTES, received_model
from appliance.server.runtime import Runtime, runtime
from appliance.server.schemas import DecideRequest, DecideResponse, ModelUploadResponse, RewardRequest, RewardResponse, message
from appliance.server.schemas_models import (
    ModelCreate,
    ModelExamples,
    ModelInfo,
    ModelLearned,
    ModelPredictions,
    ModelRollback,
    ModelStatisticsResponse,
    ModelVersionInfo,
)

router = APIRouter(prefix="/api/models", tags=["models"])
"""The models and each model itself; :data:`lean_router`: decide and reward, on the lean path (they check the token
themselves, see :mod:`appliance.server.fast_path`); :data:`calls_router`: the other calls on a model. Three routers
in the order of their paths in the OpenAPI document, because the app adds its token dependency per router."""
lean_router = APIRouter(prefix="/api/models", tags=["models"])
calls_router = APIRouter(prefix="/api/models", tags=["models"])
NAMED = {**ERRORS, 404: message("No model has this name.")}


def host(rt: Runtime = Depends(runtime)) -> ModelHost:
    return rt.models


def model(name: str, models: ModelHost = Depends(host)) -> ServedModel:
    """The model the path names (UnknownModelError: 404)."""
    return models.get(name)


def _info(m: ServedModel) -> ModelInfo:
    return ModelInfo(name=m.name, kind=m.kind, ready=m.ready(), status=m.status())


@router.get("", response_model=list[ModelInfo], responses=ERRORS, summary="Every model served")
def list_models(models: ModelHost = Depends(host)) -> list[ModelInfo]:
    return [_info(models.get(name)) for name in models.names()]


@router.post("", status_code=201, response_model=ModelInfo, summary="Create a model",
             responses={**ERRORS, 409: message("A model with this name exists.")})
def create(body: ModelCreate, models: ModelHost = Depends(host)) -> ModelInfo:
    """A ``vw`` model from VW arguments, or a ``loop`` model from a config (YAML); served until deleted, restarts included."""
    return _info(models.create(body.name, vw_arguments=body.vw_arguments, config_text=body.config_yaml))


@router.get("/{name}", response_model=ModelInfo, responses=NAMED, summary="One model")
def get(m: ServedModel = Depends(model)) -> ModelInfo:
    return _info(m)


@router.delete("/{name}", status_code=204, response_class=Response, responses=NAMED, summary="Delete a model and its data")
def delete(name: str, models: ModelHost = Depends(host)) -> Response:
    models.delete(name)
    return Response(status_code=204)


@lean_router.post("/{name}/decide", response_model=DecideResponse, responses=NAMED, summary="Choose an action (loop models)",
                  openapi_extra=body_of(DecideRequest))
async def decide(request: Request, name: str) -> Response:
    raw = await authorised_body(request)
    m = await _named(request, name)
    body = parsed(DecideRequest, raw)
    if body.explain:
        raise HTTPException(422, "explanations are served for the default model (POST /api/decide with explain: true)")
    return decide_answer(await durably(lambda wait: m.begin_decide(body.context or {}, body.actions, body.event_id, wait=wait)))


@lean_router.post("/{name}/reward", status_code=202, response_model=RewardResponse, responses=NAMED,
                  summary="Give a decision its reward", openapi_extra=body_of(RewardRequest))
async def reward(request: Request, name: str) -> Response:
    raw = await authorised_body(request)
    m = await _named(request, name)
    body = parsed(RewardRequest, raw)
    result = await durably(lambda wait: m.begin_reward(body.event_id, body.reward, body.reward_id, wait=wait))
    if result.status == "unknown":
        raise HTTPException(404, f"model {m.name!r}: unknown event id {body.event_id!r}; check the id decide returned")
    return reward_answer(result.event_id or body.event_id, result.status, 202)


async def _named(request: Request, name: str) -> ServedModel:
    """The model ``name`` (UnknownModelError: 404), looked up before the body is validated, as a dependency is."""
    return (await runtime(request)).models.get(name)


@calls_router.post("/{name}/predict", response_model=ModelPredictions, responses=NAMED, summary="Predict raw examples")
def predict(body: ModelExamples, m: ServedModel = Depends(model)) -> ModelPredictions:
    """VW text or DSJSON examples predicted, learning nothing."""
    return ModelPredictions.of(m.predict(body.examples, body.format))


@calls_router.post("/{name}/learn", response_model=ModelLearned, responses=NAMED, summary="Learn labelled examples")
def learn(body: ModelExamples, m: ServedModel = Depends(model)) -> ModelLearned:
    """Answered once the examples are durable (in the model's log) and learned."""
    return ModelLearned(learned=m.learn(body.examples, body.format))


@calls_router.get("/{name}/statistics", response_model=ModelStatisticsResponse, responses=NAMED, summary="VW's counters")
def statistics(m: ServedModel = Depends(model)) -> ModelStatisticsResponse:
    return ModelStatisticsResponse(**m.statistics().__dict__)


@calls_router.get("/{name}/versions", response_model=list[ModelVersionInfo], responses=NAMED, summary="Saved versions, newest first")
def versions(m: ServedModel = Depends(model)) -> list[ModelVersionInfo]:
    return [ModelVersionInfo(**v.__dict__) for v in m.versions()]


@calls_router.post("/{name}/rollback", response_model=ModelVersionInfo, responses=NAMED, summary="Load a saved version again")
def rollback(body: ModelRollback, m: ServedModel = Depends(model)) -> ModelVersionInfo:
    return ModelVersionInfo(**m.rollback(body.version).__dict__)


@calls_router.get("/{name}/model", response_class=FileResponse, summary="Download the model (saved now)", responses={
    **NAMED, 200: {"content": {"application/octet-stream": {}},
                   "description": "The model file (a VW model, or the policy kind's own: `.npz`, `.skops`, `.json`)."}})
def download(m: ServedModel = Depends(model)) -> FileResponse:
    """The model saved now (a new version, unless nothing was learned since the newest: that one); its version and
    SHA-256 in ``X-Model-Version`` and ``X-Model-SHA256``."""
    path, version = m.export()
    return FileResponse(path, media_type="application/octet-stream", filename=f"{m.name}-v{version.version}{m.model_suffix()}",
                        headers={"X-Model-Version": str(version.version), DIGEST_HEADER: version.sha256})


@calls_router.put("/{name}/model", response_model=ModelUploadResponse, summary="Upload a model file or a bundle", responses={
    **NAMED, 409: message("A bundle for a model of this name that runs other VW arguments or config."),
    413: message(f"Larger than {MAX_MODEL_BYTES} bytes.")},
    openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload(request: Request, name: str,
                 model_version: int | None = Query(None, ge=0, le=2**62, description="The version it runs as if it is above every "
                                                   "version the model has had; else, or omitted, the next one above them (a "
                                                   "bundle asks for the version packed in it)."),
                 bundle: bool = Query(False, description="The body is a bundle (`wabbit model pack`): served as this model, a new "
                                                         "one or a new version of one that runs the bundle's VW arguments or config."),
                 sha256: str | None = Header(None, alias=DIGEST_HEADER, max_length=128, description="The file's SHA-256 (hex)."),
                 rt: Runtime = Depends(runtime)) -> ModelUploadResponse:
    """Checked in a child process, then swapped in atomically and saved as a version; a bad file changes nothing."""
    if not bundle:
        rt.models.get(name)  # an unknown model is 404 before its file arrives
    async with received_model(request, rt.data_dir, sha256) as (path, digest, size):
        version = await run_in_threadpool(lambda: load_upload(rt.models, name, path, bundle=bundle, model_version=model_version))
    return ModelUploadResponse(model_version=version.version, bytes=size, sha256=digest)
