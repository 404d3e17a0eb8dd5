"""The data directory: private to the service user, and used by one daemon at a time.

Two daemons on one directory would each recover and learn the other's pending decisions, and log events
twice. So the first one holds an exclusive lock on ``DATA_DIR/lock`` (``flock``: the kernel releases it when
the process ends, ``kill -9`` included) and writes its pid there; a second one is refused, naming the first.
The directory is ``0700`` and what the daemon writes there ``0600`` (its umask): models, logs and the token
are nobody else's business.

>>> import tempfile
>>> directory = Path(tempfile.mkdtemp()) / "wabbit"
>>> first = DataDir.claim(directory)
>>> DataDir.claim(directory)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.errors.StorageError: ... is used by another wabbit process (pid ...); stop it first, or give this one its own --data-dir
>>> oct(directory.stat().st_mode & 0o777)
'0o700'
>>> first.release(); DataDir.claim(directory).release()
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from appliance.errors import StorageError
from appliance.storage.writable import hint

PRIVATE_UMASK = 0o077


class DataDir:
    def __init__(self, path: Path, lock_fd: int, umask: int) -> None:
        self.path, self._fd, self._umask = path, lock_fd, umask

    @classmethod
    def claim(cls, path: Path, set_by: str = "--data-dir") -> DataDir:
        """Create (0700) or tighten ``path``, make what this process writes private, and lock it for this process.
        ``set_by`` is how the caller chooses the directory, which a refusal tells it to change: the command line's
        ``--data-dir``, or an argument (``LiveModel``'s ``data_dir=``)."""
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            for inside in (path, *path.rglob("*")):  # what an older version left readable
                if inside.stat().st_mode & 0o077:
                    os.chmod(inside, 0o700 if inside.is_dir() else 0o600)
            fd = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            what = hint(err) if err.errno in (errno.EROFS, errno.EIO) else "check it is writable by this user"
            raise StorageError(f"{path}: cannot use it as the data directory ({err.strerror}); {what}, or pass another "
                               f"{set_by}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StorageError(f"{path} is used by another wabbit process (pid {holder}); stop it first, or give this one "
                               f"its own {set_by}") from None
        # the pid only names the holder to a second daemon; the lock is what keeps it out, so a full disk that
        # cannot take the pid does not keep this daemon from starting (and saying on its dashboard that it is full)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd, os.umask(PRIVATE_UMASK))

    def release(self) -> None:
        """Unlock (the kernel does it too when the process ends) and put the umask back."""
        if self._fd >= 0:
            os.close(self._fd)
            os.umask(self._umask)
            self._fd = -1
