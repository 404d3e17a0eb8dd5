"""Child process of test_devices_sigterm: the loop and the hello-world devices on simulated pins
(GPIOZERO_PIN_FACTORY=mock, resolved the way the daemon resolves it). Prints JSON lines; SIGTERM -> safe state."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from appliance.assemble import open_loop
from appliance.clock import SystemClock
from appliance.config import AppConfig, VWPolicyConfig
from appliance.config.actuators import ActuatorConfig
from appliance.config.feedback import FeedbackConfig
from appliance.devices import Devices


def main() -> int:
    demo, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    raw = yaml.safe_load(demo.read_text())
    actuators = TypeAdapter(list[ActuatorConfig]).validate_python(raw["actuators"])
    feedback = TypeAdapter(list[FeedbackConfig]).validate_python(raw["feedback"])
    loop = open_loop(AppConfig(policy=VWPolicyConfig.model_validate(raw["policy"])), SystemClock(), data_dir)
    loop.recover()
    devices = Devices.from_config(actuators, feedback)  # no factory passed: the env picks it
    stopped = threading.Event()

    def on_sigterm(number: int, frame: object) -> None:
        devices.stop()
        loop.close()
        stopped.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    devices.start(loop)
    lamp_pins = devices.actuators[0].pins()  # type: ignore[attr-defined]
    decision, ticket = loop.decide({"sensors": {"loud": 0.5}})
    ticket.wait()
    loop.bus.flush()  # the lamp acts on the bus's thread
    print(json.dumps({"ready": True, "action": decision.action, "stats": devices.stats()}), flush=True)
    while not stopped.wait(0.05):
        pass
    pins = [pin.state for pin in lamp_pins]
    print(json.dumps({"stopped": True, "pins": pins, "stats": devices.stats()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
