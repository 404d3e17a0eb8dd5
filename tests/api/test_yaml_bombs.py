"""Hostile YAML is a line-numbered config error: a 422 from ``PUT /api/config``, safe mode from ``wabbit run``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import Running, start_daemon

BOMBS = {
    "a 5000-digit integer": "join:\n  reward_wait_s: " + "9" * 5000 + "\n",
    "a 50000-digit binary integer": "join:\n  reward_wait_s: 0b" + "1" * 50_000 + "\n",
    "[ nested 5000 deep": "join:\n  reward_wait_s: " + "[" * 5000 + "]" * 5000 + "\n",
    "mappings nested 400 deep": "join:\n" + "".join("  " * i + "  a:\n" for i in range(400)),
    "a billion laughs": "".join(f"k{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" if i else "k0: &a0 [lol]\n" for i in range(10)),
    "an alias inside its own anchor": "actuators:\n  - &a [*a]\n",
    "an impossible date": "join:\n  reward_wait_s: 2001-13-45\n",
    "a NUL character": "join:\n  reward_wait_s: 1\x00\n",
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_put_config_answers_422_with_the_line(shared_daemon: Running, text: str) -> None:
    with shared_daemon.client() as c:
        r = c.put("/api/config", json={"yaml": text})
        assert r.status_code == 422, r.text
        assert re.match(r"config:\d+: ", r.json()["detail"]), r.json()["detail"]
        assert c.get("/healthz").status_code == 200
        assert c.get("/api/status").json()["mode"] == "simulated"  # the config in force is unchanged


@pytest.mark.parametrize("data", [BOMBS["a 5000-digit integer"].encode(), BOMBS["[ nested 5000 deep"].encode(),
                                  b"join:\n  reward_wait_s: \xff\n"], ids=["huge integer", "deep nesting", "not UTF-8"])
def test_wabbit_run_starts_in_safe_mode_showing_the_line(tmp_path: Path, data: bytes) -> None:
    config = tmp_path / "bomb.yaml"
    config.write_bytes(data)
    running = start_daemon(tmp_path, config_text=None, extra=["--config", str(config)])
    try:
        with running.client() as c:
            status = c.get("/api/status").json()
            assert status["mode"] == "safe" and status["config_error"].startswith(f"{config}:2: "), status["config_error"]
    finally:
        out = running.stop()
    assert running.proc.returncode == 0 and "starting in safe mode" in out, out


def test_a_section_given_twice_is_refused_not_silently_the_last(shared_daemon: Running) -> None:
    """A user who switches kinds by adding a second ``policy:`` section would otherwise run whichever came last."""
    with shared_daemon.client() as c:
        r = c.put("/api/config", json={"yaml": "policy: {type: linucb}\njoin: {reward_wait_s: 1}\npolicy: {type: uniform}\n"})
        detail = r.json()["detail"]
        assert r.status_code == 422 and detail.startswith("config:3: not valid YAML: the key 'policy' is given twice (first on line 1)"), detail
        assert c.get("/api/status").json()["loop"]["policy"]["type"] == "vw"
