"""`wabbit run --config demos/hello-world.yaml` on gpiozero's MockFactory: the LED lights, SIGTERM turns it off, and the
log says what demos/README.md quotes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import free_port

DEMO = Path(__file__).parents[2] / "demos" / "hello-world.yaml"


def test_sigterm_puts_the_demo_lamp_in_its_safe_state(tmp_path: Path) -> None:
    config = yaml.safe_load(DEMO.read_text())
    config["simulation"] = {"decision_every_s": 0.2}  # a colour every 0.2 s instead of 30 s
    path = tmp_path / "hello.yaml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--config", str(path), "--port", str(port),
                             "--data-dir", str(tmp_path / "data")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        lamp = None
        while time.monotonic() < deadline:
            try:
                token = (tmp_path / "data" / "token").read_text().strip()
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"Bearer {token}"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    status = json.loads(response.read())
                lamp = status["devices"]["actuators"]["lamp"]
                if lamp["acted"] >= 3 and any(lamp["state"]):
                    break
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.2)
        assert lamp is not None and lamp["acted"] >= 3 and any(lamp["state"]), lamp
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    final = json.loads(re.search(r"actuators in their safe state: (.*)", out).group(1))  # type: ignore[union-attr]
    assert final == {"lamp": [0.0, 0.0, 0.0]}, out
    said = re.search(r"(?i)the log says `([^`]+)`", (DEMO.parent / "README.md").read_text())
    assert said is not None and said.group(1) in out, f"demos/README.md's hello world on a laptop quotes a line the log lacks:\n{out}"
