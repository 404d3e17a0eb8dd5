"""Two appliances on loopback: one learns, the other runs logging-only and pulls the first's model through an
HTTP model source (its /api/model, with the token, ETags saving downloads while the model is the same)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.api.conftest import FAST, start_daemon


def test_a_logging_only_appliance_runs_the_model_another_one_learns(tmp_path: Path) -> None:
    (tmp_path / "teacher").mkdir()
    (tmp_path / "student").mkdir()
    teacher = start_daemon(tmp_path / "teacher")
    try:
        with teacher.client() as c:
            digest = c.get("/api/model").headers["x-model-sha256"]
            assert c.get("/api/model", headers={"If-None-Match": f'"{digest}"'}).status_code in (200, 304)
        config = FAST + (f"learning: {{mode: logging_only}}\nmodel_source:\n  type: http\n  url: {teacher.base}/api/model\n"
                         f"  interval_s: 0.3\n  headers: {{Authorization: 'Bearer {teacher.token}'}}\n")
        student = start_daemon(tmp_path / "student", config)
        try:
            with student.client() as s:
                deadline = time.monotonic() + 30
                while (source := s.get("/api/status").json()["model_source"])["installed"] < 2:
                    assert time.monotonic() < deadline, source
                    time.sleep(0.2)
                assert source["errors"] == 0 and source["refused"] == 0 and source["type"] == "http"
                assert source["last_installed"]["origin"].startswith(f"{teacher.base}/api/model (ETag")
                # it logs what it joins and learns nothing itself: each model it pulls runs as a new version, the
                # teacher's (its X-Model-Version) when above the student's others (a checkpoint may list one twice)
                listed = s.get("/api/models/default/versions").json()
                status = s.get("/api/status").json()
                assert status["loop"]["learning"] == {"mode": "logging_only"} and status["loop"]["learned"] > 0
                versions = sorted({v["version"] for v in listed}, reverse=True)
                assert status["loop"]["model_version"] >= versions[0] > 0 and [v["version"] for v in listed] == sorted(
                    (v["version"] for v in listed), reverse=True) and len(versions) >= 2  # two pulled
                newest = listed[0]
                assert newest["origin"] == "source model-source-http" and versions[0] == max(newest["source_version"], versions[1] + 1)
                with teacher.client() as c:
                    assert newest["source_version"] <= int(c.get("/api/model").headers["x-model-version"])
        finally:
            out = student.stop()
            assert student.proc.returncode == 0, out
    finally:
        out = teacher.stop()
    assert teacher.proc.returncode == 0, out
