"""The messages and service stubs of the ``.proto`` files in ``appliance/grpc/protos``.

Nothing generated is committed or edited by hand. A wheel (and ``pip install .``) ships them generated at build
time by grpcio-tools' protoc (``build_stubs.py``, the ``build_py`` hook) in ``appliance/grpc/generated/``, and
:func:`load` imports those. A checkout or an editable install (``pip install -e``) has none: there
``grpc.protos_and_services`` (grpcio-tools, in process) compiles each ``.proto`` the first time :func:`load` asks for
it, in a few tens of milliseconds, so a changed ``.proto`` takes effect at the next start. Either way the modules
have the same names (``sys.modules``, e.g. ``wabbit.v1.serving_pb2``) and sit in protobuf's default descriptor
pool, which server reflection reads.
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROTOS = Path(__file__).parent / "protos"
GENERATED = Path(__file__).parent / "generated"
"""Where the build put the generated modules (absent in a checkout and an editable install)."""
SERVING, MANAGEMENT, INFERENCE = "wabbit/v1/serving.proto", "wabbit/v1/management.proto", "inference/open_inference_v2.proto"
SERVICE_NAMES = ("wabbit.v1.Serving", "wabbit.v1.Management", "inference.GRPCInferenceService")
"""The services the ``.proto`` files define (health and reflection come with their packages)."""


@dataclass(frozen=True)
class Stubs:
    """One ``.proto``: its messages (``pb``) and its services (``rpc``: stubs, servicer bases, ``add_*_to_server``)."""

    pb: Any
    rpc: Any


_lock = threading.Lock()
_loaded: dict[str, Stubs] = {}


def load(proto: str) -> Stubs:
    """The generated modules of ``proto`` (a path under ``protos/``): built ones if the package has them, else
    compiled now (once per process)."""
    with _lock:
        if proto not in _loaded:
            module = proto.removesuffix(".proto")
            built = (GENERATED / f"{module}_pb2.py").exists()
            _loaded[proto] = _import(module.replace("/", ".")) if built else _compile(proto)
        return _loaded[proto]


def _on_path(root: Path) -> None:
    if str(root) not in sys.path:
        sys.path.append(str(root))  # the modules import each other from this root; appended, it shadows nothing


def _import(module: str) -> Stubs:
    _on_path(GENERATED)
    return Stubs(importlib.import_module(f"{module}_pb2"), importlib.import_module(f"{module}_pb2_grpc"))


def _compile(proto: str) -> Stubs:
    import grpc

    _on_path(PROTOS)  # protoc finds the file and its imports through sys.path
    pb, rpc = grpc.protos_and_services(proto)
    return Stubs(pb, rpc)


def serving() -> Stubs:
    """``wabbit.v1.Serving``: Decide, DecideStream, Reward, Predict, PredictStream, Learn, Statistics."""
    return load(SERVING)


def management() -> Stubs:
    """``wabbit.v1.Management``: ListModels, GetModel, CreateModel, DeleteModel, Download, Upload, Save, Versions, Rollback."""
    return load(MANAGEMENT)


def inference() -> Stubs:
    """``inference.GRPCInferenceService``: the Open Inference Protocol v2."""
    return load(INFERENCE)
