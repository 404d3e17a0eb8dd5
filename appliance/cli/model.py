"""``wabbit model pack | serve | inspect``: model bundles (a model with its VW arguments or config, checksum and
versions) made from a model file or a data directory, served by a daemon."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.models.bundle import Manifest
    from appliance.storage.checkpoints import CheckpointMeta

HELP = "Pack a model into a bundle, show a bundle, or serve one (it becomes a named model of the daemon)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    pack = sub.add_parser("pack", help="Write a bundle from a model file, or from a model of a data directory.")
    pack.add_argument("output", type=Path, help="The bundle to write (e.g. ratings.wabbit).")
    pack.add_argument("--name", help="The model's name (default: the bundle's file name, e.g. ratings for ratings.wabbit; "
                                     "from a data directory: which model, default: default).")
    pack.add_argument("--model", type=Path, help="A VW model file (else the newest checkpoint of --data-dir's model).")
    pack.add_argument("--vw-arguments", help="The VW arguments of a vw model (with --model).")
    pack.add_argument("--config", type=Path, help="The config of a loop model (with --model, or for a data directory's "
                                                  "default model; default: DATA_DIR/config.yaml).")
    pack.add_argument("--data-dir", type=Path, help="Pack a model of this data directory.")
    pack.add_argument("--model-version", type=int, default=0, help="The version of a --model file (default 0).")
    show = sub.add_parser("inspect", help="Check a bundle and print its manifest as JSON (exit 2 if it is refused).")
    show.add_argument("bundle", type=Path)
    serve = sub.add_parser("serve", help="Install a bundle as a named model of a data directory, then run the daemon.")
    serve.add_argument("bundle", type=Path)
    serve.add_argument("--name", help="Serve it as this name (default: the bundle's).")
    serve.add_argument("--replace", action="store_true", help="Replace a model of that name.")
    serve.add_argument("--no-run", action="store_true", help="Install it only; do not start the daemon.")
    from appliance.cli import run as run_command

    run_command.add_arguments(serve)


def run(args: argparse.Namespace) -> int:
    if args.action == "pack":
        return _pack(args)
    if args.action == "inspect":
        print(json.dumps(asdict(_checked_manifest(args.bundle)), indent=2))
        return 0
    return _serve(args)


def _checked_manifest(bundle: Path) -> Manifest:
    """The manifest of ``bundle``, once the bundle is checked (its model extracted to a temporary folder)."""
    import tempfile

    from appliance.models.bundle import read_bundle

    with tempfile.TemporaryDirectory() as temp:
        return read_bundle(bundle, Path(temp))


def _pack(args: argparse.Namespace) -> int:
    from appliance.errors import UsageError
    from appliance.models.bundle import pack_bundle

    if args.model is not None:
        if (args.vw_arguments is None) == (args.config is None):
            raise UsageError("with --model, give --vw-arguments (a vw model) or --config (a loop model)")
        config = _config_text(args.config) if args.config else None
        manifest = pack_bundle(args.output, args.model, args.name or args.output.stem, vw_arguments=args.vw_arguments,
                               config_yaml=config, model_version=args.model_version)
    elif args.data_dir is not None:
        manifest = _pack_data_dir(args)
    else:
        raise UsageError("give --model FILE (with --vw-arguments or --config) or --data-dir DIR (with --name)")
    print(f"{args.output}: {manifest.kind} model {manifest.name!r}, version {manifest.model_version}, {manifest.size} bytes, "
          f"sha256 {manifest.sha256}")
    return 0


def _pack_data_dir(args: argparse.Namespace) -> Manifest:
    from appliance.config import load_config_text
    from appliance.errors import UsageError
    from appliance.models.bundle import pack_bundle
    from appliance.models.vw_model import SPEC

    name = args.name or "default"
    directory = args.data_dir if name == "default" else args.data_dir / "models" / name
    if name != "default" and not (directory / SPEC).is_file():
        raise UsageError(f"{args.data_dir}: no model {name!r} (no {directory / SPEC}); is it the right data directory and name?")
    spec = json.loads((directory / SPEC).read_text()) if name != "default" else {"kind": "loop"}
    if spec["kind"] == "vw":
        meta, model_file = _newest_checkpoint(directory, name)
        return pack_bundle(args.output, model_file, name, vw_arguments=spec["arguments"], model_version=meta.model_version)
    config_file = args.config or directory / "config.yaml"
    if not config_file.exists():
        raise UsageError(f"{config_file}: no config for model {name!r}; give it with --config: the file the daemon ran with "
                         "(`wabbit run --config FILE`), or an empty file if it ran with none (simulated devices, the defaults)")
    text = _config_text(config_file)
    meta, model_file = _newest_checkpoint(directory, name, load_config_text(text, str(config_file)).effective_policy().type)
    return pack_bundle(args.output, model_file, name, config_yaml=text, model_version=meta.model_version)


def _config_text(path: Path) -> str:
    """The text of a loop model's config, once it is read and checked as a config (errors name the file and line)."""
    from appliance.config import load_config

    load_config(path)
    return path.read_text(encoding="utf-8")


def _newest_checkpoint(directory: Path, name: str, policy: str = "") -> tuple[CheckpointMeta, Path]:
    """The newest checkpoint of a model's data directory; saved by ``policy`` when given (the kind its config runs)."""
    from appliance.errors import UsageError
    from appliance.storage.checkpoints import CheckpointStore

    checkpoints = directory / "checkpoints"
    entries = CheckpointStore(checkpoints, 1_000_000, policy).entries() if checkpoints.is_dir() else []
    if entries:
        return entries[0]
    if policy and checkpoints.is_dir() and CheckpointStore(checkpoints, 1_000_000).entries():
        raise UsageError(f"{directory}: model {name!r} has no checkpoint saved by the {policy} policy its config names (its "
                         "checkpoints are another policy.type's); give --config the file it ran with")
    raise UsageError(f"{directory}: no checkpoint of model {name!r} to pack (is it the right data directory and name?)")


def _serve(args: argparse.Namespace) -> int:
    from appliance.assemble import default_data_dir
    from appliance.clock import SystemClock
    from appliance.models.host import DaemonModels
    from appliance.storage.datadir import DataDir

    data_dir = args.data_dir or default_data_dir()
    claim = DataDir.claim(data_dir)
    try:
        models = DaemonModels(None, data_dir, SystemClock())
        models.start()
        try:
            replaced = (args.name or _checked_manifest(args.bundle).name) if args.replace else None
            if replaced in models.names():
                models.delete(replaced)
            model, _ = models.install(args.bundle, args.name)
            print(f"model {model.name!r} ({model.kind}) installed in {data_dir / 'models' / model.name}", file=sys.stderr)
        finally:
            models.close()
    finally:
        claim.release()
    if args.no_run:
        return 0
    from appliance.cli import run as run_command

    args.data_dir = data_dir
    return run_command.run(args)
