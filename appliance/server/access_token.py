"""The access token: made at first start, stored 0600 in the data directory, never a default password."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_token(data_dir: Path) -> tuple[str, bool]:
    """The token and whether it was just created (then the caller prints it once)."""
    path = data_dir / "token"
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, True
