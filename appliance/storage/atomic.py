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


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new temp file beside ``path``, open (the directory is created when it is missing)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    return fd, Path(name)


@contextmanager
def _renamed_over(path: Path, mode: int, sync_dir: bool = True) -> Iterator[tuple[int, Path]]:
    """A new temp file beside ``path`` (open, with ``mode``) for the body to write and fsync; on a clean exit it is
    closed, renamed over ``path`` and (``sync_dir``) the directory fsynced; on an error it is removed and ``path`` left
    as it was. The directory is created when it is missing."""
    fd, temp = _temp_beside(path)
    try:
        try:
            os.fchmod(fd, mode)
            yield fd, temp
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)


@contextmanager
def replacing(path: Path, mode: int = 0o600) -> Iterator[Path]:
    """A temp path beside ``path`` to write in full; on a clean exit it is fsynced and renamed over ``path``.

    On an error the temp file is removed and ``path`` is left as it was. ``mode`` is the new file's
    permission bits (private by default: the data directory holds models, logs and the token).
    """
    temp = staged(path, mode)
    try:
        yield temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    install(temp, path)


def staged(path: Path, mode: int = 0o600) -> Path:
    """The first half of :func:`replacing`: a new empty temp file beside ``path``, with ``mode``, to write in full now
    and :func:`install` later (or remove), for a writer that must not hold its lock through the second half (a
    checkpoint's model, saved under the loop's lock and made durable outside it)."""
    fd, temp = _temp_beside(path)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return temp


def install(temp: Path, path: Path) -> None:
    """The second half of :func:`replacing`: fsync ``temp`` (what was written under that name, perhaps as a file of
    its own), rename it over ``path``, fsync the directory; on an error ``temp`` is removed and ``path`` left as it
    was."""
    try:
        with open(temp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomically(path: Path, data: bytes, mode: int = 0o600, sync_dir: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically and durably (see the module docstring), in as few system calls as
    that takes: a log sink's worker writes a batch and its cursor this way, and every call hands the interpreter's
    lock to the loop's thread and waits to get it back. ``sync_dir=False`` leaves the rename to be made durable by
    the caller's own :func:`fsync_dir`, once for several files (a directory sink's batches, before its cursor moves)."""
    with _renamed_over(path, mode, sync_dir) as (fd, _):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
