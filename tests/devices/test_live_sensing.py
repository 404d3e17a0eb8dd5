"""Live sensing in the daemon, with real parts: the featurizers package's synthetic and file sources, the
trigger classes on a fake clock, gpiozero's MockFactory for the button, the real daemon in-process (a mock
press decides) and `wabbit run` with live sources on 127.0.0.1 (status, trigger decisions, SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from devices_support import free_port, wait_until

from appliance.clock import FakeClock
from appliance.config import AppConfig, load_config, load_config_text
from appliance.config.triggers import ButtonTriggerConfig, MotionTriggerConfig, SoundOnsetTriggerConfig
from appliance.errors import ConfigError
from appliance.triggers import PeriodicTrigger, Triggers
from appliance.triggers.button import ButtonTrigger
from appliance.triggers.motion import MotionTrigger
from appliance.triggers.sound_onset import SoundOnsetTrigger

DEMO = Path(__file__).resolve().parents[2] / "demos" / "live-sensing.yaml"
POLICY = {"actions": [{"id": "light"}, {"id": "dark"}]}


class Scripted:
    """A context that the test changes between checks, and the decisions taken from it."""

    def __init__(self) -> None:
        self.context: dict[str, dict[str, float]] = {}
        self.decided: list[dict[str, dict[str, float]]] = []


def run_script(triggers: list[Any], steps: list[tuple[float, dict[str, dict[str, float]]]]) -> tuple[Scripted, Triggers, list[list[str]]]:
    """Check ``triggers`` once per (seconds to advance, context) step on a fake clock."""
    clock, scripted = FakeClock(0.0), Scripted()
    engine = Triggers(triggers, lambda: scripted.context, scripted.decided.append, clock)
    fired = []
    for advance, context in steps:
        clock.advance(advance)
        scripted.context = context
        fired.append(engine.step())
    return scripted, engine, fired


# -- the trigger classes on a fake clock ----------------------------------------------------------
def test_sound_onset_fires_on_each_rise_unless_within_its_refractory_time() -> None:
    clap = SoundOnsetTrigger(SoundOnsetTriggerConfig(threshold=0.1, min_interval_s=4.0), "clap")
    levels = [0.01, 0.3, 0.35, 0.02, 0.4, 0.01, 0.01, 0.5]  # rises at 2 s, 5 s (too soon), 8 s
    scripted, engine, fired = run_script([clap], [(1.0, {"audio": {"rms": v}}) for v in levels])
    assert fired == [[], ["clap"], [], [], [], [], [], ["clap"]]
    assert [c["audio"]["rms"] for c in scripted.decided] == [0.3, 0.5]  # decided from the context that fired
    assert (clap.count, clap.suppressed, engine.decisions) == (2, 1, 2)
    assert engine.stats()["fired"] == {"clap": 2} and engine.stats()["last"]["triggers"] == ["clap"]


def test_motion_fires_while_moving_at_most_once_per_interval_and_not_without_the_feature() -> None:
    door = MotionTrigger(MotionTriggerConfig(threshold=0.02, min_interval_s=5.0), "door")
    steps = [(1.0, {})] + [(1.0, {"video": {"motion": 0.05}})] * 7 + [(1.0, {"video": {"motion": 0.0}})]
    _, engine, fired = run_script([door], steps)
    assert [i for i, names in enumerate(fired) if names] == [1, 6]  # t=2 s and t=7 s: 5 s apart while moving
    assert door.suppressed == 0  # staying above is no new onset
    assert engine.stats()["each"]["door"]["above"] is False


def test_triggers_firing_together_make_one_decision_and_each_counts() -> None:
    clap = SoundOnsetTrigger(SoundOnsetTriggerConfig(threshold=0.1, min_interval_s=0.0), "clap")
    door = MotionTrigger(MotionTriggerConfig(threshold=0.02, min_interval_s=0.0), "door")
    periodic = PeriodicTrigger(10.0)
    loud_and_moving = {"audio": {"rms": 0.5}, "video": {"motion": 0.1}}
    scripted, engine, fired = run_script([periodic, clap, door], [(1.0, loud_and_moving), (1.0, {"audio": {"rms": 0.0}, "video": {"motion": 0.1}})])
    assert fired == [["periodic", "clap", "door"], ["door"]]
    assert len(scripted.decided) == engine.decisions == 2
    assert engine.stats()["fired"] == {"periodic": 1, "clap": 1, "door": 2}


def test_button_press_on_mock_pins_decides_once_per_check_and_releases_its_pin() -> None:
    from gpiozero import Button
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    button = ButtonTrigger(ButtonTriggerConfig(pin=5, bounce_s=None, min_interval_s=1.0), "go", factory)
    clock, decided = FakeClock(0.0), []
    engine = Triggers([button], lambda: {"audio": {"rms": 0.2}}, decided.append, clock)
    engine.start()
    pin = factory.pin(5)
    assert engine.step() == []
    for _ in range(2):  # two presses between checks: one decision
        pin.drive_low(); pin.drive_high()
    assert engine.step() == ["go"] and len(decided) == 1
    clock.advance(0.5)
    pin.drive_low(); pin.drive_high()
    assert engine.step() == []  # within min_interval_s: suppressed
    clock.advance(1.0)
    pin.drive_low(); pin.drive_high()
    assert engine.step() == ["go"]
    assert button.stats() | {"last_fired": None} == {"type": "button", "fired": 2, "suppressed": 1, "last_fired": None,
                                                      "pin": "5", "presses": 4}
    engine.stop()
    Button(5, pin_factory=factory).close()  # the pin is free again


# -- config -----------------------------------------------------------------------------------------
LIVE = ("policy:\n  actions: [{id: light}, {id: dark}]\n"
        "sources:\n  - {type: synthetic_audio, id: mic}\n"
        "featurizers:\n  - {type: audio, source: mic}\n")


@pytest.mark.parametrize("text, expected", [
    ("sources:\n  - {type: synthetic_audio, id: mic}\nfeaturizers:\n  - {type: audio, source: mic}\n",
     "live.yaml:1: sources: Value error, sources are configured, so the actions must come from the config: add a `policy:`"),
    (LIVE.replace("source: mic}", "source: cam}"),
     "live.yaml:5: featurizers: Value error, featurizers[0]: source 'cam' is not defined; defined sources: mic. Set `source:`"),
    (LIVE + "triggers:\n  events:\n    - {type: motion}\n",
     "live.yaml:7: triggers: Value error, triggers.events[0] (motion-0): namespace 'video' is produced by no featurizer"),
    (LIVE + "triggers:\n  events:\n    - {type: sound_onset, feature: loudness}\n",
     "the audio featurizer 'audio' emits no feature 'loudness'; pick one of rms, dbfs, zcr"),
    ("triggers:\n  events:\n    - {type: sound_onset}\n",
     "add a audio featurizer under `featurizers:`"),
])
def test_config_errors_name_the_line_and_the_fix(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "live.yaml")
    assert expected in str(err.value)


def test_the_demo_validates_and_has_live_sources_and_event_triggers() -> None:
    done = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", str(DEMO)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr
    config = load_config(DEMO)
    assert [s.type for s in config.sources] == ["synthetic_audio", "synthetic_video"]
    assert [e.type for e in config.triggers.events] == ["sound_onset", "motion", "button"]


# -- sensing on a real video file ---------------------------------------------------------------------
def write_still_then_moving(path: Path, still: int = 10, moving: int = 10) -> Path:
    """MPEG-4, 160x120 at 15 fps: ``still`` identical frames, then a white square moving 12 px a frame."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=15)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(still + moving):
            img = np.full((120, 160, 3), 40, dtype=np.uint8)
            x = 10 + 12 * max(0, n - still + 1)
            img[40:80, x:x + 30] = 250
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_sensing_featurizes_a_video_file_and_motion_fires_when_the_square_starts_moving(tmp_path: Path) -> None:
    from appliance.sensing import Sensing

    config = AppConfig.model_validate({
        "policy": POLICY, "featurizers": [{"type": "video", "source": "clip", "downscale": 4}],
        "sources": [{"type": "video_file", "id": "clip", "path": str(write_still_then_moving(tmp_path / "clip.mp4")), "realtime": False}],
        "triggers": {"events": [{"type": "motion", "threshold": 0.01, "edge": True, "min_interval_s": 0}]}})
    sensing = Sensing(config.sources, config.featurizers)
    motion = MotionTrigger(config.triggers.events[0], "movement")  # type: ignore[arg-type]
    clock, decided = FakeClock(0.0), []
    engine = Triggers([motion], sensing.context, decided.append, clock)
    sensing.start()
    try:
        frames, fired_at = 0, []
        while not sensing.pipeline.ended and frames < 100:
            if sensing.step():
                frames += 1
                clock.advance(1 / 15)
                if engine.step():
                    fired_at.append(frames)
        stats = sensing.stats()
    finally:
        sensing.stop()
    assert frames == 20 and fired_at == [11]  # the first moving frame, once (edge: motion goes on after it)
    assert decided[0]["video"]["motion"] > 0.01 and decided[0]["video"]["brightness"] > 0
    assert stats["featurizers"]["video"]["calls"] == 20 and stats["featurizers"]["video"]["ms_mean"] > 0
    assert stats["sources"]["clip"]["fps"] > 0 and stats["sources"]["clip"]["dropped"] == 0
    assert sensing.stats()["sources"]["clip"]["state"] in ("ended", "stopped")


# -- the real daemon, in-process: a mock button press decides -----------------------------------------
def test_daemon_decides_on_a_mock_button_press(tmp_path: Path) -> None:
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from appliance.daemon import Daemon

    config = AppConfig.model_validate({
        "policy": POLICY, "sources": [{"type": "synthetic_video", "id": "cam", "width": 64, "height": 48, "fps": 10}],
        "featurizers": [{"type": "video", "source": "cam"}],
        "triggers": {"events": [{"type": "button", "name": "decide-now", "pin": 3}]},
        "actuators": [{"type": "led", "name": "lamp", "pin": 17, "on": ["light", "dark"]}]})
    factory = MockFactory(pin_class=MockPWMPin)
    port = free_port()
    daemon = Daemon(config, tmp_path / "data", "127.0.0.1", port, pin_factory=factory)
    seen: dict[str, Any] = {}

    def press_then_stop() -> None:
        try:
            wait_until(lambda: _answers(f"http://127.0.0.1:{port}"), 20, "the API")
            token = (tmp_path / "data" / "token").read_text().strip()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, headers={"Authorization": f"Bearer {token}"}) as client:
                seen["before"] = client.get("/api/status").json()
                wait_until(lambda: "video" in client.get("/api/status").json()["sensing"]["context"], 10, "a video frame")
                pressed = time.monotonic()
                factory.pin(3).drive_low(); factory.pin(3).drive_high()
                seen["after"] = wait_until(lambda: _decided(client), 5, "a decision after the press")
                seen["latency_s"] = time.monotonic() - pressed
                seen["workers"] = daemon.supervisor.workers
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the daemon's own shutdown path

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=press_then_stop, daemon=True)
    thread.start()
    try:
        code = daemon.run()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        thread.join(10)
    assert code == 0
    before, after = seen["before"], seen["after"]
    assert before["mode"] == "live" and before["loop"]["join"]["decisions"] == 0  # nothing decides but the button
    assert after["triggers"]["fired"] == {"decide-now": 1} and after["loop"]["join"]["decisions"] == 1
    assert after["devices"]["actuators"]["lamp"]["acted"] == 1 and after["devices"]["actuators"]["lamp"]["state"] == 1
    assert seen["latency_s"] < 2.0
    print(f"button press to decision seen in /api/status: {seen['latency_s'] * 1000:.0f} ms "
          f"(deciding took {after['triggers']['last']['decide_ms']} ms)")
    assert factory.pin(17).state == 0  # SIGTERM: the LED went to its safe state
    assert daemon.sensing is None and seen["workers"] and all(not w.alive for w in seen["workers"])


def _decided(client: httpx.Client) -> dict[str, Any] | None:
    status: dict[str, Any] = client.get("/api/status").json()
    done = status["loop"]["join"]["decisions"] >= 1 and status["devices"]["decisions"] >= 1 and status["triggers"]["last"]
    return status if done else None


# -- `wabbit run` with live sources: status, trigger decisions, config PUT, SIGTERM ---------------------
def test_wabbit_run_senses_decides_on_onsets_and_motion_and_stops_capture_on_sigterm(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEMO.read_text())
    raw["triggers"]["events"] = [{"type": "sound_onset", "name": "clap", "threshold": 0.05, "min_interval_s": 1},
                                 {"type": "motion", "name": "movement", "threshold": 0.005, "min_interval_s": 1}]
    config = tmp_path / "live.yaml"
    config.write_text(yaml.safe_dump(raw))
    port, data = free_port(), tmp_path / "data"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--config", str(config), "--port", str(port), "--data-dir", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"})
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base), 20, "/healthz")
        startup = time.monotonic() - started
        token = (data / "token").read_text().strip()
        with httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:

            def busy() -> dict[str, Any] | None:
                s: dict[str, Any] = client.get("/api/status").json()
                fired = s["triggers"]["fired"]
                return s if fired["clap"] >= 2 and fired["movement"] >= 2 and s["loop"]["join"]["decisions"] >= 3 else None

            status = wait_until(busy, 20, "onset and motion decisions")
            sensing = status["sensing"]
            assert status["mode"] == "live" and {"sense", "triggers", "join-learn"} <= set(status["workers"])
            for source in ("mic", "cam"):
                assert sensing["sources"][source]["state"] == "running" and sensing["sources"][source]["fps"] > 0
            for namespace in ("audio", "video"):
                assert sensing["featurizers"][namespace]["calls"] > 0 and sensing["featurizers"][namespace]["ms_mean"] > 0
            assert sensing["context"]["audio"]["rms"] >= 0 and "motion" in sensing["context"]["video"]
            in_flight = status["loop"]["join"]["decisions"] - status["triggers"]["decisions"]
            assert in_flight in (0, 1)  # every decision came from a trigger (no periodic, no API call yet)
            print("live status:", json.dumps({"fps": {k: v["fps"] for k, v in sensing["sources"].items()},
                                              "ms": {k: v["ms_mean"] for k, v in sensing["featurizers"].items()},
                                              "last": status["triggers"]["last"], "startup_s": round(startup, 2)}))
            decided = client.post("/api/decide", json={})  # no context: the live one
            assert decided.status_code == 200 and decided.json()["action"] in ("light", "dark")
            metrics = client.get("/metrics").text
            assert 'wabbit_source_fps{source="cam"}' in metrics and 'wabbit_trigger_fired_total{trigger="clap"}' in metrics
            # a new source setting restarts capture; a trigger change alone keeps it
            raw["sources"][1]["fps"] = 10
            applied = client.put("/api/config", json={"yaml": yaml.safe_dump(raw)}).json()
            assert "sensing" in applied["restarted"] and applied["restart_required"] == [], applied
            raw["triggers"]["events"][1]["min_interval_s"] = 2
            applied = client.put("/api/config", json={"yaml": yaml.safe_dump(raw)}).json()
            assert "triggers" in applied["restarted"] and "sensing" not in applied["restarted"], applied
            wait_until(lambda: client.get("/api/status").json()["triggers"]["fired"]["movement"] >= 1, 10, "motion after the restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    lines = out.splitlines()
    stopped = next(i for i, line in enumerate(lines) if "sensing stopped: sources mic stopped, cam stopped" in line)
    assert stopped < next(i for i, line in enumerate(lines) if "devices stopped" in line)  # capture first
    assert "stopped cleanly" in out and startup < 10


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
