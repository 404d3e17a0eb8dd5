"""The model routes with a policy kind other than VW (linucb, uniform), over real HTTP: downloads named with the kind's
suffix, a refused upload said in words, an upload without a version on either route, a rollback to another kind's
version."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.api.conftest import Running, daemon_running


def config(kind: str) -> str:
    return f"simulation: null\njoin: {{reward_wait_s: 30}}\npolicy:\n  type: {kind}\n  actions: [{{id: sports}}, {{id: politics}}]\n"


def put_model(c: httpx.Client, path: str, data: bytes, **params: int) -> httpx.Response:
    return c.put(path, params=params, content=data, headers={"X-Model-SHA256": hashlib.sha256(data).hexdigest()})


@pytest.fixture(scope="module", params=["linucb", "uniform"])
def kind_daemon(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Running]]:
    with daemon_running(tmp_path_factory.mktemp(request.param), config(request.param)) as running:
        yield request.param, running


def test_downloads_are_named_with_the_policy_kinds_suffix(kind_daemon: tuple[str, Running]) -> None:
    kind, daemon = kind_daemon
    suffix = {"linucb": ".npz", "uniform": ".json"}[kind]
    with daemon.client() as c:
        r = c.get("/api/model")
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"] == f'attachment; filename="wabbit-model-v{r.headers["x-model-version"]}{suffix}"'
        r = c.get("/api/models/default/model")
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"].endswith(f'-v{r.headers["x-model-version"]}{suffix}"'), r.headers


def test_a_refused_upload_says_what_is_wrong_in_words(kind_daemon: tuple[str, Running]) -> None:
    kind, daemon = kind_daemon
    with daemon.client() as c:
        r = put_model(c, "/api/model", bytes(range(128, 256)) * 4)  # not UTF-8, not an archive
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert f"not a {kind} model" in detail and "Error:" not in detail and "codec" not in detail, detail
        assert ".vw" not in detail, detail  # the upload is not called a VW model's file


def test_an_upload_without_a_version_runs_as_the_next_one_on_both_routes(kind_daemon: tuple[str, Running]) -> None:
    _, daemon = kind_daemon
    with daemon.client() as c:
        model = c.get("/api/model").content
        asked = c.get("/api/status").json()["loop"]["model_version"] + 100
        assert put_model(c, "/api/model", model, model_version=asked).json()["model_version"] == asked
        for step, route in enumerate(("/api/model", "/api/models/default/model"), 1):
            r = put_model(c, route, model)
            assert r.status_code == 200 and r.json()["model_version"] == asked + step, (route, r.text)
            assert c.get("/api/status").json()["loop"]["model_version"] == asked + step, route
        r = put_model(c, "/api/model", model, model_version=asked)  # asked for again: a new version above it
        assert r.status_code == 200 and r.json()["model_version"] == asked + 3, r.text


def test_a_rollback_to_a_version_another_kind_saved_says_to_switch_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "linucb").mkdir()
    (tmp_path / "uniform").mkdir()
    with daemon_running(tmp_path / "linucb", config("linucb"), data_dir=data) as daemon, daemon.client() as c:
        model = c.get("/api/model").content
        assert put_model(c, "/api/model", model, model_version=5).status_code == 200
    with daemon_running(tmp_path / "uniform", config("uniform"), data_dir=data) as daemon, daemon.client() as c:
        r = c.post("/api/models/default/rollback", json={"version": 5})
        assert r.status_code == 422, r.text
        assert "version 5 was saved by the linucb policy and policy.type is now uniform" in r.json()["detail"], r.text
        assert "set policy.type back to linucb" in r.json()["detail"], r.text
