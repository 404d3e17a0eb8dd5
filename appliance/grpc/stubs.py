"""The messages and service stubs of the ``.proto`` files in ``appliance/grpc/protos``, generated on first import.

Nothing generated is committed or edited by hand: ``grpc.protos_and_services`` (grpcio-tools' protoc, in
process) compiles each ``.proto`` the first time :func:`load` is called, in a few tens of milliseconds, and
the modules live in memory (``sys.modules``, e.g. ``wabbit.v1.serving_pb2``) and in protobuf's default
descriptor pool, which server reflection reads. An editable install (``pip install -e``) and a wheel behave
the same, and a changed ``.proto`` takes effect at the next start.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROTOS = Path(__file__).parent / "protos"
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
    """The generated modules of ``proto`` (a path under ``protos/``), compiled once per process."""
    with _lock:
        if proto not in _loaded:
            import grpc

            root = str(PROTOS)
            if root not in sys.path:
                sys.path.append(root)  # protoc finds the file and its imports through sys.path; appended, it shadows nothing
            pb, rpc = grpc.protos_and_services(proto)
            _loaded[proto] = Stubs(pb, rpc)
        return _loaded[proto]


def serving() -> Stubs:
    """``wabbit.v1.Serving``: Decide, DecideStream, Reward, Predict, PredictStream, Learn, Statistics."""
    return load(SERVING)


def management() -> Stubs:
    """``wabbit.v1.Management``: ListModels, GetModel, CreateModel, DeleteModel, Download, Upload, Save, Versions, Rollback."""
    return load(MANAGEMENT)


def inference() -> Stubs:
    """``inference.GRPCInferenceService``: the Open Inference Protocol v2."""
    return load(INFERENCE)
