"""SIGTERM puts every actuator in its safe state: a real process, simulated pins chosen by the environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_switches_the_led_off(tmp_path: Path) -> None:
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONPATH": str(ROOT)}
    env.pop("GPIOZERO_MOCK_PIN_CLASS", None)
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("sigterm_child.py")), str(ROOT / "demos" / "hello-world.yaml"), str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline() or "{}")
        assert ready.get("ready"), child.stderr.read() if child.stderr else ""
        lamp = ready["stats"]["actuators"]["lamp"]
        assert ready["stats"]["simulated_gpio"] and lamp["last_action"] == ready["action"]
        assert any(v > 0 for v in lamp["pins"].values())  # the LED is on
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()  # closes the pipes too
    assert child.returncode == 0, err
    final = json.loads(out.splitlines()[-1])
    assert final["stopped"] and final["pins"] == [0.0, 0.0, 0.0]
    lamp = final["stats"]["actuators"]["lamp"]
    assert lamp["closed"] and lamp["safe_calls"] >= 1
