"""What capture devices and NPUs this machine has: audio inputs, cameras, GPIO chips, NPUs.

Every probe reads files under ``root`` (``/`` normally; a fake tree in tests) or asks an optional
library, and reports problems as strings instead of raising, so ``wabbit devices`` always answers.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> usb = root / "sys/bus/usb/devices/1-1"; usb.mkdir(parents=True)
>>> _ = (usb / "idVendor").write_text("1a6e\\n"), (usb / "idProduct").write_text("089a\\n")
>>> [n["kind"] for n in list_npus(str(root), edgetpu_library=None)]
['edgetpu']
"""

from __future__ import annotations

import ctypes.util
import glob
import importlib.util
import os
from typing import Any

EDGETPU_USB_IDS = {("1a6e", "089a"): "Coral USB Accelerator (unconfigured)",
                   ("18d1", "9302"): "Coral USB Accelerator"}


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def list_audio_inputs() -> dict[str, Any]:
    """PortAudio inputs (``{inputs: [...], error}``)."""
    from featurizers.errors import FeaturizerError
    from featurizers.sources.audio_device import import_sounddevice, list_inputs

    try:
        return {"inputs": list_inputs(import_sounddevice()), "error": None}
    except (FeaturizerError, OSError) as err:
        return {"inputs": [], "error": str(err)}


def list_v4l2(root: str = "/") -> list[dict[str, Any]]:
    """``/dev/video*`` nodes with their driver names from sysfs."""
    out = []
    for path in sorted(glob.glob(os.path.join(root, "dev/video*"))):
        node = os.path.basename(path)
        name = _read(os.path.join(root, "sys/class/video4linux", node, "name"))
        out.append({"path": "/dev/" + node, "name": name or "?"})
    return out


def list_libcamera(picamera2_module: Any = None) -> list[dict[str, Any]]:
    """libcamera cameras through picamera2 (empty where picamera2 is not installed)."""
    from featurizers.sources.picamera2 import list_cameras

    module = picamera2_module
    if module is None:
        if importlib.util.find_spec("picamera2") is None:
            return []
        try:
            module = importlib.import_module("picamera2")
        except Exception:  # picamera2 present but libcamera broken: nothing usable
            return []
    try:
        return list_cameras(module)
    except Exception:
        return []


def list_gpio_chips(root: str = "/") -> list[dict[str, Any]]:
    """``/dev/gpiochip*`` with label and line count from sysfs."""
    out = []
    for path in sorted(glob.glob(os.path.join(root, "dev/gpiochip*"))):
        node = os.path.basename(path)
        base = os.path.join(root, "sys/bus/gpio/devices", node)
        lines = _read(os.path.join(base, "ngpio"))
        out.append({"path": "/dev/" + node, "label": _read(os.path.join(base, "label")) or "?",
                    "lines": int(lines) if lines.isdigit() else None})
    return out


def _usb_ids(root: str) -> list[tuple[str, str]]:
    ids = []
    for dev in sorted(glob.glob(os.path.join(root, "sys/bus/usb/devices/*"))):
        vendor, product = _read(os.path.join(dev, "idVendor")), _read(os.path.join(dev, "idProduct"))
        if vendor:
            ids.append((vendor.lower(), product.lower()))
    return ids


def list_npus(root: str = "/", edgetpu_library: str | None = "edgetpu",
              cameras: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Edge TPU (USB ids, /dev/apex_0, libedgetpu), Hailo (/dev/hailo*, HailoRT), AI Camera (IMX500)."""
    found: list[dict[str, Any]] = []
    lib = ctypes.util.find_library(edgetpu_library) if edgetpu_library else None
    for ids in _usb_ids(root):
        if ids in EDGETPU_USB_IDS:
            found.append({"kind": "edgetpu", "device": f"usb:{ids[0]}:{ids[1]}", "name": EDGETPU_USB_IDS[ids],
                          "library": lib})
    for path in sorted(glob.glob(os.path.join(root, "dev/apex_*"))):
        found.append({"kind": "edgetpu", "device": "/dev/" + os.path.basename(path), "name": "Coral PCIe/M.2",
                      "library": lib})
    hailort = importlib.util.find_spec("hailo_platform") is not None
    for path in sorted(glob.glob(os.path.join(root, "dev/hailo*"))):
        found.append({"kind": "hailo", "device": "/dev/" + os.path.basename(path), "name": "Hailo-8/8L",
                      "library": "hailo_platform" if hailort else None})
    for cam in cameras if cameras is not None else []:
        if "imx500" in str(cam.get("model", "")).lower():
            found.append({"kind": "imx500", "device": f"picamera2:{cam['index']}", "name": "Raspberry Pi AI Camera",
                          "library": "picamera2"})
    return found


def list_devices(root: str = "/", picamera2_module: Any = None) -> dict[str, Any]:
    """Everything :command:`wabbit devices` shows, JSON-able."""
    audio = list_audio_inputs()
    libcamera = list_libcamera(picamera2_module)
    return {"audio_inputs": audio["inputs"], "audio_error": audio["error"],
            "cameras": {"libcamera": libcamera, "v4l2": list_v4l2(root)},
            "gpio_chips": list_gpio_chips(root),
            "npus": list_npus(root, cameras=libcamera)}
