"""Where the kit's files are: the bill of materials and the demo configs.

In a source checkout (an editable install) they are read where they are edited; an installed wheel carries them
as data files under ``sys.prefix/share/raspberry-wabbit`` (pyproject's ``data-files``), which the SD image and the
Docker image use.

>>> share_file("kit/bom.yaml").name
'bom.yaml'
>>> "hello-world" in demo_names()
True
>>> demo_path("../etc/passwd")
Traceback (most recent call last):
...
appliance.kit.errors.KitError: no demo '../etc/passwd'; the demos are: hello-camera, hello-npu, hello-sound, hello-world, live-sensing, mqtt-loop
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from appliance.kit.errors import KitError

CHECKOUT = Path(__file__).resolve().parents[2]
SHARE = Path(sys.prefix) / "share" / "raspberry-wabbit"
DEMO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def share_file(relative: str, roots: tuple[Path, ...] = (CHECKOUT, SHARE)) -> Path:
    """``relative`` (e.g. ``kit/bom.yaml``) in the source checkout, else in the installed data files."""
    for root in roots:
        if (root / relative).is_file():
            return root / relative
    raise KitError(f"{relative} is missing from {' and '.join(map(str, roots))}: reinstall the appliance (pip install raspberry-wabbit) "
                   "or run it from a clone of the repository")


def _demos_dir() -> Path:
    return share_file("demos/hello-world.yaml").parent


def demo_names() -> list[str]:
    """The demo configs' names (``demos/NAME.yaml``), sorted."""
    return sorted(p.stem for p in _demos_dir().glob("*.yaml") if DEMO_NAME.match(p.stem))


def demo_path(name: str) -> Path:
    """The demo called ``name``; :class:`KitError` listing the demos if there is none."""
    names = demo_names()
    if name not in names:
        raise KitError(f"no demo {name!r}; the demos are: {', '.join(names)}")
    return _demos_dir() / f"{name}.yaml"


def demo_title(text: str) -> str:
    """A demo's one-line description: its first comment line.

    >>> demo_title("# Hello world: one RGB LED.\\n#\\npolicy: {}\\n")
    'Hello world: one RGB LED.'
    """
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return first.lstrip("#").strip() if first.startswith("#") else ""
