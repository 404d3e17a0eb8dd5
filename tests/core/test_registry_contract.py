"""One contract for every registered kind of every role: a config class that declares its ``type``, a build
from its default (example) config, and a shipped fake per role that satisfies the role's protocol. Plug-ins
are found through entry points (a real distribution on ``sys.path``), and a broken one is reported, not fatal."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path
from typing import Annotated, Any

import av
import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from pydantic import BaseModel, TypeAdapter

from appliance.observers.base import ObserverHome
from appliance.registry import REGISTRY, KindOf, UnknownKindError, load
from featurizers.errors import DeviceNotFoundError

KINDS = [(role, name) for role in REGISTRY.roles for name in REGISTRY.kinds(role)]
DEVICE_ROLES = ("actuators", "feedback", "triggers")


def write_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(16000)
        f.writeframes((np.sin(np.arange(16000) * 0.1) * 8000).astype("<i2").tobytes())
    return path


def write_video(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            image = np.full((48, 64, 3), i * 40, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def example(role: str, name: str, tmp_path: Path) -> dict[str, Any]:
    raw = {"type": name, **REGISTRY.kind(role, name).config_class().example}
    if name == "audio_file":
        raw["path"] = str(write_wav(tmp_path / "speech.wav"))
    if name == "video_file":
        raw["path"] = str(write_video(tmp_path / "clip.mp4"))
    return raw


def inject(role: str, home: Path) -> dict[str, Any]:
    if role in DEVICE_ROLES:
        return {"name": "contract", "pin_factory": MockFactory(pin_class=MockPWMPin)}
    if role == "observers":
        return {"name": "contract", "home": ObserverHome(home, {"on": {"A": {"on": 1.0}}, "off": {"A": {"off": 1.0}}})}
    return {"name": "contract"} if role == "model_sources" else {}


def release(built: Any) -> None:
    for method in ("close", "stop"):
        if callable(getattr(built, method, None)):
            getattr(built, method)()
            return


@pytest.mark.parametrize(("role", "name"), KINDS, ids=[f"{r}:{n}" for r, n in KINDS])
def test_every_kind_has_a_config_and_builds_from_its_default(role: str, name: str, tmp_path: Path) -> None:
    config_class = REGISTRY.kind(role, name).config_class()
    assert issubclass(config_class, BaseModel)
    assert config_class.model_fields["type"].default == name
    assert config_class.model_config.get("extra") == "forbid"
    for field, info in config_class.model_fields.items():
        assert info.description, f"{config_class.__name__}.{field} has no description"
    config = TypeAdapter(Annotated[Any, KindOf(role)]).validate_python(example(role, name, tmp_path))
    assert type(config) is config_class
    protocol = load(REGISTRY.role(role).protocol)
    try:
        built = REGISTRY.build(role, config, **inject(role, tmp_path / "home"))
    except DeviceNotFoundError as err:  # a camera node this machine does not have: refused, naming it
        assert name == "v4l2" and "/dev/video0" in str(err)
        return
    try:
        if getattr(protocol, "_is_runtime_protocol", False):
            assert isinstance(built, protocol)
    finally:
        release(built)


@pytest.mark.parametrize("role", REGISTRY.roles)
def test_every_role_ships_a_fake_that_keeps_its_protocol(role: str) -> None:
    spec = REGISTRY.role(role)
    fake, protocol = load(spec.fake), load(spec.protocol)
    assert isinstance(fake, type)
    for member in (m for m in dir(protocol) if not m.startswith("_")):
        assert hasattr(fake, member) or member in getattr(fake, "__annotations__", {}) or member in ("name", "id", "kind", "namespace"), \
            f"{fake.__name__} lacks {member} of {protocol.__name__}"


def test_an_unknown_type_names_the_known_kinds_and_the_plug_ins() -> None:
    with pytest.raises(UnknownKindError, match="unknown actuator type 'lamp'; built in: led, .* installed plug-ins: none"):
        REGISTRY.kind("actuators", "lamp")


PLUGIN = '''
from typing import Any, Literal
from pydantic import Field
from appliance.actuators.fake import RecordingActuator
from appliance.config.actuators import ActuatorConfigBase


class BlinkConfig(ActuatorConfigBase):
    type: Literal["blink"] = Field("blink", description="Blinks in the terminal.")
    times: int = Field(3, ge=1, description="How often.")

    def mapped_actions(self) -> set[str]:
        return set()


class BlinkActuator(RecordingActuator):
    Config = BlinkConfig

    def __init__(self, config: BlinkConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, {"on": "blinking"})


class Broken:
    pass
'''


def install_plugin(site: Path) -> dict[str, str]:
    """A real distribution beside the appliance: the module and its ``.dist-info`` with entry points."""
    (site / "wabbit_blink.py").write_text(PLUGIN)
    info = site / "wabbit_blink-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wabbit-blink\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[wabbit.actuators]\nblink = wabbit_blink:BlinkActuator\n"
                                           "broken = wabbit_blink:Broken\nled = wabbit_blink:BlinkActuator\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(Path(__file__).parents[2])])}


def test_an_installed_plug_in_adds_a_kind_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    env = install_plugin(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text("actuators:\n  - {type: blink, times: 2}\n")
    done = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", str(good)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("actuators:\n  - {type: blinky}\n")
    done = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", str(bad)], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert "bad.yaml:2: actuators.0: unknown actuator type 'blinky'" in done.stderr
    assert "installed plug-ins: blink (plug-in wabbit-blink 0.1)" in done.stderr
    assert "broken (its Config must declare" in done.stderr or "broken (cannot load" in done.stderr
    assert "led (built-in kind 'led' has this name already)" in done.stderr
