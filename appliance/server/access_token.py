"""The access token: made at first start, stored 0600 in the data directory, never a default password.

A token file that is empty or too short (a torn write, a user's ``echo > token``) is never accepted as
"no password": it is replaced by a new token, which the caller prints.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> token, created = load_or_create_token(d)
>>> created, len(token) >= 16, load_or_create_token(d) == (token, False)
(True, True, True)
>>> _ = (d / "token").write_text("\\n")
>>> again, created = load_or_create_token(d)
>>> created, again != "" and again != token
(True, True)
"""

from __future__ import annotations

import secrets
from pathlib import Path

from appliance.errors import StorageError
from appliance.storage.atomic import write_atomically

MIN_LENGTH = 16


def load_or_create_token(data_dir: Path) -> tuple[str, bool]:
    """The token and whether it was just created (then the caller prints it once)."""
    path = data_dir / "token"
    try:
        token = path.read_text().strip()
        if len(token) >= MIN_LENGTH:
            return token, False
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(24)
    try:
        write_atomically(path, (token + "\n").encode(), mode=0o600)
    except OSError as err:  # never run with a token the next start would not know: nobody could log in again
        raise StorageError(f"{path}: cannot save the new access token ({err.strerror}), so the daemon does not start; "
                           f"free space on that disk (or make {data_dir} writable by this user), then start it again") from None
    return token, True
