"""``wabbit devices`` probes on a fake /dev + /sys tree, and the benchmarks' contract and goals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from featurizers.bench import BENCHMARKS
from featurizers.devices import list_gpio_chips, list_libcamera, list_npus, list_v4l2
from featurizers.sources.fake_picamera2 import FakePicamera2Module


def fake_root(tmp_path: Path) -> Path:
    def touch(rel: str, text: str = "") -> None:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    touch("dev/video0"), touch("sys/class/video4linux/video0/name", "UVC Camera (046d:0825)\n")
    touch("dev/gpiochip0"), touch("sys/bus/gpio/devices/gpiochip0/label", "pinctrl-rp1\n")
    touch("sys/bus/gpio/devices/gpiochip0/ngpio", "54\n")
    touch("sys/bus/usb/devices/2-1/idVendor", "18d1\n"), touch("sys/bus/usb/devices/2-1/idProduct", "9302\n")
    touch("sys/bus/usb/devices/1-1/idVendor", "046d\n"), touch("sys/bus/usb/devices/1-1/idProduct", "0825\n")
    touch("dev/apex_0"), touch("dev/hailo0")
    return tmp_path


def test_probes_on_fake_tree(tmp_path: Path) -> None:
    root = str(fake_root(tmp_path))
    assert list_v4l2(root) == [{"path": "/dev/video0", "name": "UVC Camera (046d:0825)"}]
    assert list_gpio_chips(root) == [{"path": "/dev/gpiochip0", "label": "pinctrl-rp1", "lines": 54}]
    cams = list_libcamera(FakePicamera2Module(cameras=[{"Model": "imx500", "Id": "x"}]))
    npus = list_npus(root, edgetpu_library=None, cameras=cams)
    assert [(n["kind"], n["device"]) for n in npus] == [
        ("edgetpu", "usb:18d1:9302"), ("edgetpu", "/dev/apex_0"), ("hailo", "/dev/hailo0"), ("imx500", "picamera2:0")]


def test_devices_cli_json_and_table(cli: Any) -> None:
    code, out, _ = cli("devices", ["--json"])
    data = json.loads(out)
    assert code == 0 and set(data) == {"audio_inputs", "audio_error", "cameras", "gpio_chips", "npus"}
    code, out, _ = cli("devices", [])
    assert code == 0 and "audio inputs" in out and "NPUs:" in out


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, Any]]:
    return {name: bench(True) for name, bench in BENCHMARKS.items()}


def test_bench_contract(figures: dict[str, dict[str, Any]]) -> None:
    assert set(figures) == {"audio_featurizer_vs_librosa", "video_featurizer_640x480", "tflite_blazeface_vs_invoke"}
    for result in figures.values():
        json.dumps(result)
        assert {"figure", "unit", "median", "p95", "repeats", "reference", "ratio"} <= set(result)
        assert result["median"] > 0 and result["p95"] >= result["median"] and result["repeats"] >= 10
        assert result["reference"]["median"] > 0 and result["reference"]["name"]
    # The goals (audio >= 3x librosa, video >= 30 fps) are figures of `wabbit bench`, not asserted here: a quick run
    # on a loaded machine is no measure of them.
    assert figures["tflite_blazeface_vs_invoke"]["backend"].startswith("cpu:")
