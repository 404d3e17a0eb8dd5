"""The config file the daemon runs: replaced atomically, the content it replaces kept beside it.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as directory:
...     path = Path(directory) / "config.yaml"
...     replace_config_file(path, "join: {reward_wait_s: 5}")
...     replace_config_file(path, "join: {reward_wait_s: 9}\\n")
...     path.read_text(), backup_path(path).read_text()
('join: {reward_wait_s: 9}\\n', 'join: {reward_wait_s: 5}\\n')
"""

from __future__ import annotations

from pathlib import Path

from appliance.storage.atomic import write_atomically


def replace_config_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; the content it replaces stays in ``path.previous``."""
    data = (text if text.endswith("\n") or not text else text + "\n").encode("utf-8")
    try:
        previous: bytes | None = path.read_bytes()
    except FileNotFoundError:
        previous = None
    if previous is not None and previous != data:
        write_atomically(backup_path(path), previous)
    write_atomically(path, data)


def backup_path(path: Path) -> Path:
    """Where :func:`replace_config_file` keeps the config it replaced."""
    return path.with_name(path.name + ".previous")
