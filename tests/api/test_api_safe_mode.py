"""An invalid config: a line-numbered error, and a daemon in safe mode serving it until a valid config comes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.api.conftest import FAST, start_daemon

BAD = "join:\n  reward_wait_s: 1\n  reward_wiat: 3\n"


def test_invalid_config_starts_safe_mode_and_a_valid_put_starts_the_loop(tmp_path: Path) -> None:
    running = start_daemon(tmp_path, BAD)
    try:
        with running.client() as c:
            status = c.get("/api/status").json()
            assert status["mode"] == "safe" and "config.yaml:3: join.reward_wiat: unknown key" in status["config_error"]
            assert "wabbit_up 0" in c.get("/metrics").text
            assert c.get("/").status_code == 200
            assert status["config_valid"] is False  # the config itself is wrong, not its start
            r = c.post("/api/decide", json={})
            assert r.status_code == 409 and "safe mode because its config is invalid: " in r.json()["detail"]
            assert c.get("/api/config").json()["error"] == status["config_error"]
            r = c.put("/api/config", json={"yaml": FAST})
            assert r.status_code == 200, r.text
            deadline = time.monotonic() + 15
            while (s := c.get("/api/status").json()).get("loop", {}).get("learned", 0) < 3:
                assert time.monotonic() < deadline, s
                time.sleep(0.2)
            assert s["mode"] == "simulated" and s["config_error"] is None
            assert (tmp_path / "config.yaml").read_text() == FAST  # written back to the --config file
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out
    assert "starting in safe mode" in out


def test_config_validate_checks_without_starting(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    done = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and f"{path}:3: join.reward_wiat: unknown key" in done.stderr


def test_a_model_call_in_safe_mode_says_whether_the_config_is_invalid_or_could_not_start(tmp_path: Path) -> None:
    for name, config, reason in (("invalid", BAD, "its config is invalid: "),
                                 ("refused", FAST + "policy:\n  vw_args: ['--foo']\n", "its config is valid, but ")):
        (tmp_path / name).mkdir()
        running = start_daemon(tmp_path / name, config)
        try:
            with running.client() as c:
                r = c.get("/api/models/default/statistics")
                assert r.status_code == 409 and f"model 'default' is in safe mode because {reason}" in r.json()["detail"], r.text
        finally:
            running.stop()
