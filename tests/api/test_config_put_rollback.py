"""A config PUT that is valid but fails to start is rolled back: 422, the old config runs on, and the file on
disk is byte for byte the old one, so a restart of ``wabbit run`` comes up with it too."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from tests.api.conftest import FAST, Running, daemon_running, start_daemon

LAMP = 'actuators:\n  - {type: led, name: lamp, pin: 17, "on": [warm]}\n'
# the lamp moves to GPIO18 and a button trigger wants GPIO18 too: the devices start, the trigger cannot
PIN_TAKEN = ('actuators:\n  - {type: led, name: lamp, pin: 18, "on": [warm]}\n'
             "triggers:\n  events:\n    - {type: button, name: go, pin: 18}\n")
LIVE = ("join:\n  reward_wait_s: 1\npolicy:\n  actions: [{id: light}, {id: dark}]\n"
        "featurizers:\n  - {type: video, source: cam, downscale: 4}\ntriggers:\n  periodic_s: 0.2\n")
CAMERA = LIVE + "sources:\n  - {type: synthetic_video, id: cam, width: 64, height: 48, fps: 15}\n"
# same namespaces, so it applies live; the file is only looked for when the source is built
MISSING_FILE = LIVE + "sources:\n  - {type: video_file, id: cam, path: /nonexistent/clip.mp4}\n"


def lamp_on_17(status: dict[str, Any]) -> bool:
    lamp = status["devices"]["actuators"]["lamp"]
    return set(lamp["pins"]) == {"GPIO17"} and status["triggers"]["each"] == {}


def camera_running(status: dict[str, Any]) -> bool:
    cam = status["sensing"]["sources"]["cam"]
    return cam["state"] == "running" and cam["fps"] > 0 and "brightness" in status["sensing"]["context"].get("video", {})


CASES = {
    "button trigger on the new lamp's pin": (FAST + LAMP, FAST + PIN_TAKEN, "pin 18: cannot open the input", lamp_on_17),
    "video file that is not there": (CAMERA, MISSING_FILE, "'/nonexistent/clip.mp4' not found; check the path", camera_running),
}


def wait_for(client: httpx.Client, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        status: dict[str, Any] = client.get("/api/status").json()
        if status.get("loop") and check(status):
            return status
        assert time.monotonic() < deadline, f"{what}: {status}"
        time.sleep(0.1)


def decisions(client: httpx.Client) -> int:
    return int(client.get("/api/status").json()["loop"]["join"]["decisions"])


@pytest.mark.parametrize("case", list(CASES))
def test_a_config_that_fails_to_start_is_rolled_back_in_memory_and_on_disk(tmp_path: Path, case: str) -> None:
    old, new, cause, runs_old = CASES[case]
    running = start_daemon(tmp_path, old)
    path = tmp_path / "config.yaml"
    on_disk = path.read_bytes()
    restarted: Running | None = None
    try:
        with running.client() as c:
            wait_for(c, runs_old, "the old config running before the PUT")
            r = c.put("/api/config", json={"yaml": new})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"]
            assert cause in detail, detail  # what failed ...
            # ... and what to do
            assert "previous config still runs and the file is unchanged; fix the config and send it again" in detail
            assert path.read_bytes() == on_disk and sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "data"]
            assert c.get("/api/config").json()["yaml"] == old
            seen = decisions(c)
            status = wait_for(c, lambda s: runs_old(s) and s["loop"]["join"]["decisions"] > seen + 2, "old config deciding")
            assert all(w["alive"] for w in status["workers"].values()), status["workers"]
        out = running.stop()
        assert running.proc.returncode == 0, out
        restarted = start_daemon(tmp_path, None, data_dir=running.data_dir, extra=["--config", str(path)])
        with restarted.client() as c:
            status = wait_for(c, runs_old, "the old config after a restart")
            assert status["config_error"] is None and c.get("/api/config").json()["yaml"] == old
            # a config that starts is written, and the one it replaced is kept next to it
            r = c.put("/api/config", json={"yaml": old + "# applied\n"})
            assert r.status_code == 200, r.text
            assert path.read_text() == old + "# applied\n" and (tmp_path / "config.yaml.previous").read_bytes() == on_disk
        out = restarted.stop()
        assert restarted.proc.returncode == 0, out
    finally:
        for daemon in (running, restarted):
            if daemon is not None and daemon.proc.poll() is None:
                daemon.stop()


def test_a_policy_that_cannot_start_is_refused_before_it_is_written(tmp_path: Path) -> None:
    """A policy section is built only at the next restart: one VW refuses is refused now (422, the file unchanged), not
    written to leave the daemon in safe mode when it restarts, and the editor's Check says so first; a policy of
    another kind that starts is checked valid and written."""
    with daemon_running(tmp_path) as running, running.client() as c:
        path = tmp_path / "config.yaml"
        checked = c.post("/api/config/validate", json={"yaml": FAST + "policy:\n  vw_args: ['--l2', 'abc']\n"}).json()
        assert not checked["valid"] and len(checked["errors"]) == 1, checked  # the editor's Check says what Apply will
        assert "its policy could not start (Vowpal Wabbit refused the options" in checked["errors"][0]["text"], checked
        assert "not applied" not in checked["errors"][0]["text"] and "fix the policy section" in checked["errors"][0]["text"]
        unstarted = c.post("/api/config/validate", json={"yaml": FAST + "policy:\n  vw_args: ['--l2', 'abc']\n", "start_policy": False})
        assert unstarted.json()["valid"], unstarted.text  # Apply's own check: its PUT tries the policy (once, not twice)
        r = c.put("/api/config", json={"yaml": FAST + "policy:\n  vw_args: ['--l2', 'abc']\n"})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "its policy could not start (Vowpal Wabbit refused the options" in detail and "--l2 abc" in detail, detail
        assert "The previous config still runs and the file is unchanged; fix the policy section" in detail, detail
        assert path.read_text() == FAST and c.get("/api/status").json()["config_error"] is None
        assert c.post("/api/config/validate", json={"yaml": FAST + "policy:\n  type: linucb\n"}).json()["valid"]
        r = c.put("/api/config", json={"yaml": FAST + "policy:\n  type: linucb\n"})
        assert r.status_code == 200 and r.json()["restart_required"] == ["policy"], r.text
        assert path.read_text() == FAST + "policy:\n  type: linucb\n"


def test_a_config_edited_from_one_no_longer_in_force_is_not_applied(tmp_path: Path) -> None:
    """Two editors load the config; the first applies a change; the second's, edited from the old config (its ``base``),
    gets a 409 and the first one's change stays, in force and on disk. Without ``base`` a PUT applies as before. A
    config file the daemon cannot write is another answer, 507, so that a client tells the two apart by status."""
    with daemon_running(tmp_path) as running, running.client() as c:
        path, loaded = tmp_path / "config.yaml", c.get("/api/config").json()
        first = c.put("/api/config", json={"yaml": FAST + "# the first editor's\n", "base": loaded["version"]})
        assert first.status_code == 200 and first.json()["version"] == c.get("/api/config").json()["version"], first.text
        second = c.put("/api/config", json={"yaml": FAST + "# the second editor's\n", "base": loaded["version"]})
        assert second.status_code == 409 and "the config changed since this one was edited from it" in second.json()["detail"]
        assert path.read_text() == FAST + "# the first editor's\n"
        again = c.put("/api/config", json={"yaml": FAST + "# the second editor's\n", "base": first.json()["version"]})
        assert again.status_code == 200 and path.read_text() == FAST + "# the second editor's\n", again.text
        assert c.put("/api/config", json={"yaml": FAST}).status_code == 200 and path.read_text() == FAST
        (tmp_path / "config.yaml.previous").unlink()
        (tmp_path / "config.yaml.previous").mkdir()  # where the replaced config goes: a file the daemon cannot write
        unwritable = c.put("/api/config", json={"yaml": FAST + "# kept?\n", "base": c.get("/api/config").json()["version"]})
        assert unwritable.status_code == 507, unwritable.text  # not a conflict: no reload helps, the host must be fixed
        assert "cannot write the config file" in unwritable.json()["detail"] and path.read_text() == FAST
