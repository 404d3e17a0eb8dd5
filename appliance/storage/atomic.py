"""Atomic file replacement, the one way the appliance writes a whole file: a crash or a power cut leaves the
old file or the new one, never half of each.

Write a temp file beside the target, fsync it, rename it over the target, fsync the directory (so the rename
itself survives a power cut).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as directory:
...     path = Path(directory) / "token"
...     write_atomically(path, b"secret\\n", mode=0o600)
...     path.read_bytes(), oct(path.stat().st_mode & 0o777)
(b'secret\\n', '0o600')
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def fsync_dir(directory: Path) -> None:
    """Make the entries of ``directory`` (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path, mode: int = 0o600) -> Iterator[Path]:
    """A temp path beside ``path`` to write in full; on a clean exit it is fsynced and renamed over ``path``.

    On an error the temp file is removed and ``path`` is left as it was. ``mode`` is the new file's
    permission bits (private by default: the data directory holds models, logs and the token).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        os.chmod(temp, mode)
        yield temp
        with open(temp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably (see the module docstring)."""
    with replacing(path, mode) as temp:
        temp.write_bytes(data)
