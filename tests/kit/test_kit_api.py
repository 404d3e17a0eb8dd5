"""The routes behind the config editor and the Kit page, on a real `wabbit run`: the demos, a dry run that answers as
`wabbit config validate` does, the parts, the wiring of the config in force, and a restart that brings the whole
config into force."""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from appliance.kit.bom import load_bom
from appliance.kit.files import demo_path
from tests.api.conftest import Running, daemon_running


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with daemon_running(tmp_path_factory.mktemp("kit-api"), None) as daemon:  # no config: the simulated room, as on first boot
        yield daemon


def test_every_new_route_needs_the_token(running: Running) -> None:
    with running.client(auth=False) as c:
        for method, path in (("GET", "/api/demos"), ("GET", "/api/demos/hello-world"), ("POST", "/api/config/validate"),
                             ("GET", "/api/kit/parts"), ("GET", "/api/kit/wiring"), ("GET", "/api/kit/wiring.svg"), ("POST", "/api/restart")):
            assert c.request(method, path).status_code == 401, path


def test_the_demos_are_served_as_written(running: Running) -> None:
    with running.client() as c:
        demos = {d["name"]: d["title"] for d in c.get("/api/demos").json()["demos"]}
        assert demos["hello-world"].startswith("Hello world: one RGB LED") and {"hello-sound", "hello-camera", "hello-npu"} <= set(demos)
        assert c.get("/api/demos/hello-world").json()["yaml"] == demo_path("hello-world").read_text()
        missing = c.get("/api/demos/nope")
        assert missing.status_code == 404 and "the demos are: hello-camera" in missing.json()["detail"]
        assert c.get("/api/demos/..%2Fpyproject").status_code == 404


def test_a_dry_run_answers_as_wabbit_config_validate_does(running: Running, tmp_path: Path) -> None:
    text = demo_path("hello-world").read_text().replace("reward_wait_s: 30", "reward_wait_s: -1").replace("pin: 2", "pin: 2\n    colour: red")
    path = tmp_path / "hello-world.yaml"
    path.write_text(text)
    cli = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", str(path)], capture_output=True, text=True, timeout=60)
    expected = [line.replace(str(path), "hello-world.yaml") for line in cli.stderr.removeprefix("wabbit config: ").splitlines()]
    with running.client() as c:
        answer = c.post("/api/config/validate", json={"yaml": text, "name": "hello-world.yaml"}).json()
        assert not answer["valid"] and [p["text"] for p in answer["errors"]] == expected
        assert [p["line"] for p in answer["errors"]] == [text.splitlines().index(line) + 1 for line in text.splitlines()
                                                         if "reward_wait_s: -1" in line or "colour: red" in line]
        good = c.post("/api/config/validate", json={"yaml": demo_path("hello-world").read_text()}).json()
        assert good["valid"] and good["restart_required"] == ["join", "policy"] and "actuators" in good["applies_live"]
        twice = c.post("/api/config/validate", json={"yaml": demo_path("hello-world").read_text().replace("pin: 2", "pin: 17")}).json()
        assert twice["valid"] and "GPIO17 (pin 11) is used by both lamp (actuators) and like (feedback)" in twice["warnings"][0]
        assert c.post("/api/config/validate", json={"yaml": "x", "name": "../etc"}).status_code == 422


def test_parts_and_the_wiring_of_the_config_in_force(running: Running) -> None:
    with running.client() as c:
        parts = c.get("/api/kit/parts").json()
        assert [k["total"] for k in parts["kits"]] == [load_bom().total(k) for k in ("hello-world", "camera", "npu")]
        first = parts["kits"][0]["items"][0]["parts"][0]
        assert first["id"] == "pi5" and first["links"][0] == {"vendor": "Raspberry Pi", "url": first["links"][0]["url"], "maker": True}
        nothing = c.get("/api/kit/wiring").json()
        assert nothing["rows"] == [] and nothing["error"] is None
        assert c.get("/api/kit/wiring.svg", params={"view": "perspective"}).status_code == 422
        svg = c.get("/api/kit/wiring.svg", params={"view": "schematic"})
        assert svg.headers["content-type"].startswith("image/svg+xml") and "nothing to wire" in svg.text
        ET.fromstring(svg.text)


def test_apply_then_restart_puts_the_whole_config_in_force(running: Running) -> None:
    with running.client() as c:
        applied = c.put("/api/config", json={"yaml": demo_path("hello-world").read_text()}).json()
        assert applied["restart_required"] == ["join", "policy"]
        assert "--epsilon" not in c.get("/api/status").json()["loop"]["policy"]["arguments"]
        pid, asked = running.proc.pid, time.time()
        assert c.post("/api/restart").status_code == 202
        deadline = time.monotonic() + 30
        while True:
            try:
                status = c.get("/api/status").json()
                if time.time() - status["uptime_s"] > asked:  # a daemon that started after the request
                    break
            except Exception:
                pass  # down for a moment
            assert time.monotonic() < deadline and running.proc.poll() is None, "the daemon did not come back"
            time.sleep(0.1)
        assert running.proc.pid == pid and "--epsilon 0.2" in status["loop"]["policy"]["arguments"]
        rows = c.get("/api/kit/wiring").json()["rows"]
        assert rows[0] == {"device": "lamp (RGB LED, common cathode)", "terminal": "red leg", "pin": "GPIO17 (pin 11)", "through": "220 Ω resistor"}
        drawing = c.get("/api/kit/wiring.svg", params={"view": "breadboard"}).text
        assert "GPIO2 · pin 3" in drawing and "config.yaml" in drawing
