"""Model bundles: one file that carries a model and everything needed to serve it again elsewhere.

A bundle is a tar archive of ``manifest.json`` (format, name, kind, the VW arguments or the config, the model's
version, SHA-256 and size, the VW and appliance versions that made it, when and where), ``model.vw``, and for a
loop model ``config.yaml``. :func:`read_bundle` refuses a bundle that is not one, whose model does not match its
checksum, or that needs a newer Vowpal Wabbit than this one (VW reads models of its own and older releases of the
same major version), each with an error that says which.

>>> import tempfile, vowpalwabbit
>>> work = Path(tempfile.mkdtemp())
>>> ws = vowpalwabbit.Workspace("--oaa 3 --quiet"); ws.save(str(work / "m.vw")); ws.finish()
>>> manifest = pack_bundle(work / "ratings.wabbit", work / "m.vw", "ratings", vw_arguments="--oaa 3", model_version=12)
>>> read_bundle(work / "ratings.wabbit", work / "out").vw_arguments, (work / "out" / "model.vw").exists()
('--oaa 3', True)
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import tarfile
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from appliance.errors import UsageError
from appliance.models.base import ModelKind, check_name
from appliance.storage.atomic import replacing

FORMAT = "wabbit-bundle/1"
MAX_BYTES = 256 * 1024 * 1024
MEMBERS = ("manifest.json", "model.vw", "config.yaml")


@dataclass(frozen=True)
class Manifest:
    format: str
    name: str
    kind: ModelKind
    vw_arguments: str | None
    config_yaml: str | None
    model_version: int
    sha256: str
    size: int
    vw_version: str
    wabbit_version: str
    created: float
    host: str


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pack_bundle(out: Path, model_file: Path, name: str, *, vw_arguments: str | None = None, config_yaml: str | None = None,
                model_version: int = 0) -> Manifest:
    """Write a bundle of ``model_file`` to ``out``: a ``vw`` model with its VW arguments, or a ``loop`` one with its config."""
    if (vw_arguments is None) == (config_yaml is None):
        raise UsageError("a bundle holds a vw model (give its VW arguments) or a loop model (give its config): exactly one")
    _check_packable(out, model_file, name, vw_arguments is not None, model_version)
    manifest = Manifest(FORMAT, name, "vw" if vw_arguments is not None else "loop", vw_arguments, config_yaml, model_version,
                        _digest(model_file), model_file.stat().st_size, _version("vowpalwabbit"), _version("raspberry-wabbit"),
                        time.time(), platform.node())
    try:
        with replacing(out, 0o644) as temp, tarfile.open(temp, "w") as tar:
            _add(tar, "manifest.json", json.dumps(asdict(manifest), indent=2).encode())
            tar.add(model_file, arcname="model.vw")
            if config_yaml is not None:
                _add(tar, "config.yaml", config_yaml.encode())
    except OSError as err:
        raise UsageError(f"{out}: cannot write the bundle ({err.strerror or err}); check the path and the free space") from None
    return manifest


def _check_packable(out: Path, model_file: Path, name: str, vw: bool, model_version: int) -> None:
    """Refuse, before writing anything, what :func:`read_bundle` or serving the bundle would refuse (what is left to the
    other appliance: whether VW takes the arguments, and whether the policy loads the model)."""
    try:
        check_name(name)
    except UsageError as err:
        raise UsageError(f"{err}; give one with --name (by default the bundle's file name)") from None
    if not 0 <= model_version <= 2**62:
        raise UsageError(f"--model-version {model_version}: give a whole number from 0 to 2**62")
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give the bundle file to write, e.g. {out / 'model.wabbit'}")
    if not model_file.is_file():
        raise UsageError(f"{model_file}: {'is a directory' if model_file.is_dir() else 'no such file'}; give the model file to pack")
    if vw:
        from appliance.introspect.layout import check_model_file

        check_model_file(model_file)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def read_bundle(bundle: Path, into: Path, shown: str | None = None) -> Manifest:
    """The bundle's manifest, once its model is extracted to ``into/model.vw`` and checked against it. ``shown``: how
    errors name the bundle (default: its path; an upload's is a temporary file the user never named)."""
    where = shown or str(bundle)
    try:
        with tarfile.open(bundle, "r:*") as tar:
            manifest = _extract(tar, where, into)
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (tarfile.TarError, EOFError, OSError) as err:
        raise UsageError(f"{where}: not a model bundle, or one cut short ({err}); make one with `wabbit model pack`") from None
    actual = _digest(into / "model.vw")
    if actual != manifest.sha256:
        raise UsageError(f"{where}: its model's SHA-256 is {actual}, not {manifest.sha256} as its manifest says: the bundle is "
                         "corrupt or was cut short; copy it again")
    _check_vw_version(where, manifest.vw_version, _version("vowpalwabbit"))
    return manifest


def _extract(tar: tarfile.TarFile, where: str, into: Path) -> Manifest:
    members = {m.name: m for m in tar.getmembers()}
    strange = sorted(set(members) - set(MEMBERS))
    if strange or "manifest.json" not in members or "model.vw" not in members:
        raise UsageError(f"{where}: not a model bundle (it holds {', '.join(sorted(members)) or 'nothing'}; a bundle "
                         "holds manifest.json, model.vw and, for a loop model, config.yaml)")
    if any(not m.isfile() or m.size > MAX_BYTES for m in members.values()):
        raise UsageError(f"{where}: a member is not a plain file or is larger than {MAX_BYTES} bytes")
    manifest = _manifest(where, _read(tar, members["manifest.json"]))
    into.mkdir(parents=True, exist_ok=True)
    (into / "model.vw").write_bytes(_read(tar, members["model.vw"]))
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    assert f is not None  # a plain file, checked
    return f.read()


def _manifest(where: str, raw: bytes) -> Manifest:
    try:
        data = json.loads(raw)
        manifest = Manifest(**data)
    except (ValueError, TypeError) as err:
        raise UsageError(f"{where}: its manifest.json cannot be read ({err})") from None
    if manifest.format != FORMAT:
        raise UsageError(f"{where}: bundle format {manifest.format!r}; this appliance reads {FORMAT!r}")
    if manifest.kind not in ("vw", "loop") or (manifest.kind == "vw") != (manifest.vw_arguments is not None):
        raise UsageError(f"{where}: its manifest's kind {manifest.kind!r} does not match what it holds")
    wrong = [f"{field} ({what})" for field, (types, what) in _FIELD_TYPES.items() if type(getattr(manifest, field)) not in types]
    if wrong or not 0 <= manifest.model_version <= 2**62:
        raise UsageError(f"{where}: its manifest.json has a field of the wrong type: "
                         f"{', '.join(wrong) or 'model_version (a whole number from 0 to 2**62)'}; pack it again with `wabbit model pack`")
    return manifest


_FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "name": ((str,), "a string"), "vw_arguments": ((str, type(None)), "a string or null"),
    "config_yaml": ((str, type(None)), "a string or null"), "model_version": ((int,), "a whole number from 0 to 2**62"),
    "sha256": ((str,), "a string"), "size": ((int,), "a whole number"), "vw_version": ((str,), "a string"),
    "wabbit_version": ((str,), "a string"), "created": ((int, float), "a number"), "host": ((str,), "a string"),
}
"""Each manifest field's JSON types, by ``type()`` (a ``true`` is no number), and how an error names them."""


def _check_vw_version(where: str, made_with: str, here: str) -> None:
    """Refuse a model of another major VW version or a newer release than this one.

    >>> _check_vw_version("b", "9.8.0", "9.11.9")
    >>> _check_vw_version("b", "9.12.0", "9.11.9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: b: made with Vowpal Wabbit 9.12.0, newer than this appliance's 9.11.9, which cannot read ...
    """
    try:
        bundle_version = tuple(int(p) for p in made_with.split(".")[:3])
        local = tuple(int(p) for p in here.split(".")[:3])
    except ValueError:
        raise UsageError(f"{where}: made with Vowpal Wabbit {made_with!r}, a version this appliance cannot compare with its {here}") from None
    if bundle_version[0] != local[0]:
        raise UsageError(f"{where}: made with Vowpal Wabbit {made_with}, another major version than this appliance's {here}; "
                         "models do not carry across major versions")
    if bundle_version > local:
        raise UsageError(f"{where}: made with Vowpal Wabbit {made_with}, newer than this appliance's {here}, which cannot read "
                         f"its model; upgrade vowpalwabbit here or pack it with {here}")
