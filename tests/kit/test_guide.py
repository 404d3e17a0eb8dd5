"""kit/README.md tried as a newcomer would: its commands run, its config blocks are the demos' and apply to the
daemon its commands started, its wiring drives the hello-world demo on gpiozero's MockFactory pins, and what it
cannot run here (a Pi, an SD card) is checked for form.

The sandbox a newcomer's shell stands in for: a fresh directory with a copy of demos/, HOME there, the test venv's
`wabbit` on PATH, simulated GPIO (GPIOZERO_PIN_FACTORY=mock), and the daemon on a free port instead of 8080.
Applying the demos swaps their microphone and camera for the synthetic ones the appliance ships (nothing else).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import yaml

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import load_config
from appliance.devices import Devices
from appliance.kit.files import CHECKOUT, demo_path
from appliance.kit.header import resolve
from tests.conftest import free_port
from tests.kit.guide import ADDITION, EXCERPT, GUIDE, KEEPS_RUNNING, Block, blocks, check_form

SYNTHETIC = {"audio_device": {"type": "synthetic_audio", "window_seconds": 0.2, "hop_seconds": 0.1},
             "picamera2": {"type": "synthetic_video", "width": 160, "height": 120, "fps": 10},
             "v4l2": {"type": "synthetic_video", "width": 160, "height": 120, "fps": 10}}


def test_every_block_is_one_the_tests_know() -> None:
    found = blocks()
    assert {b.lang for b in found} == {"bash", "yaml"}
    for b in found:
        if b.lang == "yaml":
            assert EXCERPT.match(b.first) or b.first == ADDITION, f"{b.where()}: a yaml block is a demo's excerpt or an addition"
    kinds = [("form" if b.form_only else "run") if b.lang == "bash" else "yaml" for b in found]
    assert kinds.count("run") >= 6 and kinds.count("form") >= 5 and kinds.count("yaml") >= 5, kinds


@pytest.mark.parametrize("block", [b for b in blocks() if b.form_only], ids=lambda b: b.where())
def test_what_needs_a_pi_has_the_right_form(block: Block) -> None:
    check_form(block)


def test_the_pin_numbers_and_links_in_the_prose_are_right() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    mentions = re.findall(r"GPIO(\d+),? (?:\(|physical )pin (\d+)\)?", text)
    assert len(mentions) >= 6
    for bcm, physical in mentions:
        assert resolve(int(bcm)).physical == int(physical), f"GPIO{bcm} is physical pin {resolve(int(bcm)).physical}, not {physical}"
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if target.startswith("http"):
            assert re.match(r"https://(www\.raspberrypi\.com|coral\.ai|thepihut\.com|www\.adafruit\.com|www\.sparkfun\.com|"
                            r"shop\.pimoroni\.com|www\.seeedstudio\.com|www\.mouser\.com|www\.berrybase\.de|www\.amazon\.com|"
                            r"www\.logitech\.com)/", target), target
        else:
            assert (GUIDE.parent / target).exists(), f"kit/README.md links {target}, which does not exist"
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}
        assert anchor in headings, f"no heading for #{anchor}"


def test_the_error_the_guide_shows_is_the_one_the_editor_gives() -> None:
    from appliance.config import load_config_text
    from appliance.errors import ConfigError

    shown = re.search(r"`(hello-world\.yaml:\d+: join\.reward_wait_s: [^`]+)`", GUIDE.read_text(encoding="utf-8"))
    assert shown is not None
    with pytest.raises(ConfigError) as err:
        load_config_text(demo_path("hello-world").read_text().replace("reward_wait_s: 30", "reward_wait_s: -1"), "hello-world.yaml")
    assert str(err.value).startswith(shown[1]), (shown[1], str(err.value))


def test_the_guides_wiring_drives_the_demo_on_mock_pins(tmp_path: Path) -> None:
    """The physical pins the guide's table names, driven on MockFactory: the LED's legs light in the colour decided,
    and a press on the button's pin rewards it."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("<!-- generated: wiring hello-world -->"):]
    table = table[:table.index("<!-- end -->")]
    pins = {(device.split(" ")[0], terminal): int(physical)
            for device, terminal, physical in re.findall(r"^\| (.+?) \| (.+?) \| \w+ \(pin (\d+)\) \|", table, re.M)}
    config = load_config(demo_path("hello-world"))
    factory, clock = MockFactory(pin_class=MockPWMPin), FakeClock(1_700_000_000.0)
    loop = open_loop(config, clock, tmp_path / "data")
    loop.recover()
    devices = Devices.from_config(config.actuators, config.feedback, factory)
    devices.start(loop)
    try:
        decision, ticket = loop.decide({"room": {"hour": 0.5}})
        ticket.wait()
        loop.bus.flush()
        colour = dict(zip(("red", "green", "blue"), getattr(config.actuators[0], "colours")[decision.action]))
        for leg, value in colour.items():
            assert factory.pin(f"BOARD{pins[('lamp', f'{leg} leg')]}").state == pytest.approx(value), leg
        button = factory.pin(f"BOARD{pins[('like', 'one leg')]}")
        button.drive_low(); button.drive_high()
        clock.advance(31)
        assert [e.reward for e in loop.tick()] == [1.0]
        assert pins[("lamp", "common (longest) leg")] in (6, 9, 14, 20, 25, 30, 34, 39)  # a GND pin
    finally:
        devices.stop()
        loop.close()


class Newcomer:
    """A shell in a fresh directory; the daemon the guide starts; the API as the dashboard uses it."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "newcomer"
        shutil.copytree(CHECKOUT / "demos", self.dir / "demos")
        self.port = free_port()
        venv = str(Path(sys.executable).parent)
        self.env = {**os.environ, "HOME": str(home), "PATH": f"{venv}:{os.environ['PATH']}", "GPIOZERO_PIN_FACTORY": "mock",
                    "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.daemon: subprocess.Popen[str] | None = None
        self.applied: dict[str, Any] = {}

    def local(self, text: str) -> str:
        return text.replace("127.0.0.1:8080", f"127.0.0.1:{self.port}")

    def run(self, block: Block) -> str:
        out = []
        script: list[str] = []
        for line in self.local(block.text).splitlines() + [""]:
            if KEEPS_RUNNING in line:
                out.append(self.shell("\n".join(script), block))
                script = []
                self.start(line.replace("wabbit run", f"wabbit run --port {self.port}"))
            else:
                script.append(line)
        return "".join(out) + self.shell("\n".join(script), block)

    def shell(self, script: str, block: Block) -> str:
        if not script.strip():
            return ""
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.dir, env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"{block.where()} failed:\n{script}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        return done.stdout

    def start(self, line: str) -> None:
        self.daemon = subprocess.Popen(["bash", "-c", line], cwd=self.dir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, start_new_session=True)
        self.wait_up(after=None)

    def wait_up(self, after: float | None) -> None:
        """Until /healthz answers (and, after a restart, from a daemon that started after the time ``after``)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.daemon is not None and self.daemon.poll() is None, self.stop()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    if after is None:
                        return
                    with self.api() as api:
                        if time.time() - api.get("/api/status").json()["uptime_s"] > after:
                            return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the daemon did not answer within 30 s:\n{self.stop()}")

    def api(self) -> httpx.Client:
        token = (self.dir / "wabbit-data" / "token").read_text().strip()
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def apply(self, config: dict[str, Any]) -> dict[str, Any]:
        """What the editor's Check and Apply do, with the config's microphones and cameras swapped for synthetic ones."""
        sources = [{**SYNTHETIC[s["type"]], "id": s["id"]} if s["type"] in SYNTHETIC else s for s in config.get("sources", [])]
        text = yaml.safe_dump({**config, "sources": sources} if sources else config, sort_keys=False)
        with self.api() as api:
            checked = api.post("/api/config/validate", json={"yaml": text}).json()
            assert checked["valid"] and not checked["warnings"], checked
            applied = api.put("/api/config", json={"yaml": text})
        assert applied.status_code == 200, applied.text
        assert applied.json()["restart_required"] == checked["restart_required"]
        self.applied = config
        return dict(applied.json())

    def stop(self) -> str:
        """Ctrl+C, as the guide says."""
        if self.daemon is None:
            return ""
        if self.daemon.poll() is None:
            os.killpg(self.daemon.pid, signal.SIGINT)
        out = self.daemon.communicate(timeout=30)[0]
        assert self.daemon.returncode == 0, out
        return out


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[Newcomer]:
    person = Newcomer(tmp_path)
    try:
        yield person
    finally:
        person.stop()


def test_the_guide_runs_as_a_newcomer_would(newcomer: Newcomer) -> None:
    outputs = {}
    for block in blocks():
        if block.form_only:
            continue
        if block.lang == "bash":
            outputs[block.line] = newcomer.run(block)
        elif (excerpt := EXCERPT.match(block.first)) is not None:
            demo = yaml.safe_load(demo_path(excerpt[1]).read_text())
            shown = yaml.safe_load(block.text)
            assert {key: demo[key] for key in shown} == shown, f"{block.where()} differs from demos/{excerpt[1]}.yaml"
            result = newcomer.apply(demo)
            if excerpt[1] == "hello-world":  # from the simulated default: the learning needs a restart, as the guide says
                assert result["restart_required"] == ["join", "policy"], result
                asked = time.time()
                with newcomer.api() as api:
                    assert api.post("/api/restart").status_code == 202
                newcomer.wait_up(after=asked)
            else:  # "it applies without a restart"
                assert result["restart_required"] == [], (excerpt[1], result)
        else:  # an addition to the config in force
            result = newcomer.apply({**newcomer.applied, **yaml.safe_load(block.text)})
            assert result["restart_required"] == ["server"], result
    text = "\n".join(outputs.values())
    assert "oracle_avg_reward" in text and "random_avg_reward" in text  # wabbit simulate
    assert '"explanation"' in text and '"rows"' in text  # the API calls
    assert "wrote wiring/hello-world-breadboard.svg" in text and (newcomer.dir / "wiring/hello-world-schematic.svg").is_file()
    with newcomer.api() as api:
        status = api.get("/api/status").json()
        assert "--epsilon 0.2" in status["loop"]["policy"]["arguments"]  # hello-world's learning, after the restart
        assert set(status["sensing"]["sources"]) == {"mic", "cam"}
        face = status["sensing"]["featurizers"]["face"]
        assert face["backend"].startswith("cpu") and "libedgetpu" in face["fallback_reason"]  # what section 10 says to look for
        assert api.get("/api/kit/wiring").json()["rows"][0]["pin"] == "GPIO17 (pin 11)"
    assert (newcomer.dir / "demos").is_dir() and not list((newcomer.dir / "demos").glob("*.previous"))  # the demos stay as shipped
