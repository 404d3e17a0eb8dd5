"""``wabbit devices``: list audio inputs, cameras, GPIO chips and NPUs this machine has."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "List audio inputs, cameras (libcamera, V4L2), GPIO chips and NPUs (Edge TPU, Hailo, AI Camera)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _table(data: dict[str, Any]) -> str:
    lines = ["audio inputs (use as --source audio:NAME or audio:INDEX):"]
    for d in data["audio_inputs"]:
        lines.append(f"  {d['index']:>3}  {d['name']}  ({d['channels']} ch, {d['default_rate']:g} Hz)")
    if not data["audio_inputs"]:
        lines.append(f"  (none{': ' + data['audio_error'] if data['audio_error'] else ''})")
    lines.append("cameras:")
    for c in data["cameras"]["libcamera"]:
        lines.append(f"  picamera2:{c['index']}  {c['model']}")
    for c in data["cameras"]["v4l2"]:
        lines.append(f"  v4l2:{c['path']}  {c['name']}")
    if not data["cameras"]["libcamera"] and not data["cameras"]["v4l2"]:
        lines.append("  (none)")
    lines.append("GPIO chips:")
    lines += [f"  {g['path']}  {g['label']}  ({g['lines']} lines)" for g in data["gpio_chips"]] or ["  (none)"]
    lines.append("NPUs:")
    lines += [f"  {n['kind']}  {n['device']}  {n['name']}  (library: {n['library'] or 'not found'})"
              for n in data["npus"]] or ["  (none)"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from featurizers.devices import list_devices

    data = list_devices()
    print(json.dumps(data, indent=2) if args.json else _table(data))
    return 0
