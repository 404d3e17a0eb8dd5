"""Where ``wabbit introspect`` finds a model and its data: a file, a checkpoint (its SHA-256 checked), the newest
checkpoint and the event log of a data directory, or the running daemon's API.

>>> import tempfile
>>> newest_checkpoint(Path(tempfile.mkdtemp()))
Traceback (most recent call last):
...
appliance.errors.UsageError: no checkpoint in .../checkpoints: run the appliance until it checkpoints, or pass a model file
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from appliance.errors import UsageError


def _sidecar(sidecar: Path) -> dict[str, Any]:
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _taken(sidecar: Path) -> float:
    try:
        return float(_sidecar(sidecar)["created"])
    except (KeyError, TypeError, ValueError):
        return float("-inf")


def _policy(sidecar: Path) -> str:
    """The ``policy.type`` that saved a checkpoint ("vw" for one written before kinds were recorded: only VW's were)."""
    return str(_sidecar(sidecar).get("policy") or "vw")


def newest_checkpoint(data_dir: Path) -> Path:
    """The newest checkpoint's model file in ``data_dir/checkpoints`` (by when it was taken, as a restart picks it); a
    UsageError when another policy kind saved it (a ``linucb`` or ``sklearn`` model has no VW weights to read)."""
    directory = data_dir / "checkpoints"
    sidecars = sorted(directory.glob("model-*.json"), key=_taken)
    if not sidecars:
        raise UsageError(f"no checkpoint in {directory}: run the appliance until it checkpoints, or pass a model file")
    kind = _policy(sidecars[-1])
    if kind != "vw":
        older = [s.with_suffix(".vw") for s in sidecars if _policy(s) == "vw"]
        raise UsageError(f"the newest checkpoint in {directory} was saved by the {kind} policy (policy.type: {kind}), which "
                         "has no Vowpal Wabbit model to introspect; " + (f"pass an older VW checkpoint, e.g. {older[-1]}" if older
                                                                         else "introspection needs policy.type: vw"))
    return sidecars[-1].with_suffix(".vw")


def check_checkpoint(model: Path) -> bool:
    """A checkpoint's model must match the SHA-256 its sidecar recorded (a model file without one is left to VW).
    Whether ``model`` is a checkpoint: the appliance's policy, a contextual bandit whatever VW reduction it runs."""
    sidecar = model.with_suffix(".json")
    if not sidecar.exists():
        return False
    if (kind := _policy(sidecar)) != "vw":
        raise UsageError(f"{model} is a checkpoint of the {kind} policy (policy.type: {kind}), which has no Vowpal Wabbit "
                         "model to introspect; pass a checkpoint taken while policy.type was vw")
    try:
        expected = json.loads(sidecar.read_text())["sha256"]
        actual = hashlib.sha256(model.read_bytes()).hexdigest()
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UsageError(f"{model}: cannot check it against its sidecar {sidecar.name} ({err})") from None
    if actual != expected:
        raise UsageError(f"{model} does not match the SHA-256 its checkpoint recorded: it is truncated or altered; "
                         "use another checkpoint")
    return True


def event_log(model: Path, data_dir: Path | None) -> Path | None:
    """The event log that goes with a model: ``DATA_DIR/events`` (a checkpoint's data directory by default)."""
    for candidate in ([data_dir] if data_dir else []) + [model.parent.parent]:
        if (candidate / "events").is_dir():
            return candidate / "events"
    return None


def fetch_features(base: str, token: str, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/model/features`` of a running daemon, every page up to ``params["limit"]`` rows (0: all)."""
    wanted = int(params.pop("limit"))
    rows: list[dict[str, Any]] = []
    body: dict[str, Any] = {}
    while True:
        page = min(1000, wanted - len(rows)) if wanted else 1000
        query = urllib.parse.urlencode({k: v for k, v in {**params, "offset": len(rows), "limit": page}.items() if v is not None})
        request = urllib.request.Request(f"{base.rstrip('/')}/api/model/features?{query}",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = json.load(response)
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise UsageError(f"{base} answered {err.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as err:
            raise UsageError(f"cannot reach the daemon at {base} ({err}); is `wabbit run` running there?") from None
        rows += body["rows"]
        if not body["rows"] or len(rows) >= body["total"] or (wanted and len(rows) >= wanted):
            return {**body, "rows": rows}
