"""Where ``wabbit introspect`` finds a model and its data: a file, a checkpoint (its SHA-256 checked), the newest
checkpoint and the event log of a data directory, or the running daemon's API. A checkpoint's sidecar is read as the
checkpoint store reads it: one that names no policy kind (written before kinds were recorded) is of unknown kind,
introspected when it is a VW model.

>>> import tempfile
>>> newest_checkpoint(Path(tempfile.mkdtemp()))
Traceback (most recent call last):
...
appliance.errors.UsageError: no checkpoint in .../checkpoints: run the appliance until it checkpoints, or pass a model file
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from appliance.errors import UsageError
from appliance.storage.checkpoints import CheckpointMeta, file_sha256, read_checkpoints, read_meta


def _maybe_vw(meta: CheckpointMeta) -> bool:
    """Whether VW may have saved the checkpoint: its sidecar says so, or names no kind."""
    return meta.policy in ("", "vw")


def newest_checkpoint(data_dir: Path) -> Path:
    """The newest checkpoint's model file in ``data_dir/checkpoints`` (by when it was taken, as a restart picks it); a
    UsageError when another policy kind saved it (a ``linucb`` or ``sklearn`` model has no VW weights to read)."""
    directory = data_dir / "checkpoints"
    found = read_checkpoints(directory)
    if not found:
        raise UsageError(f"no checkpoint in {directory}: run the appliance until it checkpoints, or pass a model file")
    meta, model = found[0]
    if not _maybe_vw(meta):
        older = [path for other, path in found if _maybe_vw(other)]
        raise UsageError(f"the newest checkpoint in {directory} was saved by the {meta.policy} policy (policy.type: "
                         f"{meta.policy}), which has no Vowpal Wabbit model to introspect; "
                         + (f"pass an older VW checkpoint, e.g. {older[0]}" if older else "introspection needs policy.type: vw"))
    return model


def check_checkpoint(model: Path) -> bool:
    """A checkpoint's model must match the SHA-256 its sidecar recorded (a model file without one is left to VW).
    Whether ``model`` is a checkpoint: the appliance's policy, a contextual bandit whatever VW reduction it runs."""
    from appliance.introspect.layout import vw_version

    sidecar = model.with_suffix(".json")
    if not sidecar.exists():
        return False
    try:
        meta = read_meta(sidecar)
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(f"{model}: cannot read its checkpoint sidecar {sidecar.name} ({err}); use another checkpoint") from None
    if not _maybe_vw(meta):
        raise UsageError(f"{model} is a checkpoint of the {meta.policy} policy (policy.type: {meta.policy}), which has no "
                         "Vowpal Wabbit model to introspect; pass a checkpoint taken while policy.type was vw")
    try:
        actual = file_sha256(model)
    except OSError as err:
        raise UsageError(f"{model}: cannot read the model to check it against its sidecar ({err.strerror})") from None
    if actual != meta.sha256:
        raise UsageError(f"{model} does not match the SHA-256 its checkpoint recorded: it is truncated or altered; "
                         "use another checkpoint")
    if not meta.policy and not vw_version(model):
        raise UsageError(f"{model} is a checkpoint whose sidecar does not name the policy kind that saved it (written before "
                         "kinds were recorded), and it is not a Vowpal Wabbit model: another policy.type saved it; pass a "
                         "checkpoint taken while policy.type was vw")
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
