"""The build hook that puts the gRPC stubs in the package (pyproject.toml's ``[tool.setuptools.cmdclass]``).

``build_py`` compiles every ``.proto`` of ``appliance/grpc/protos`` with grpcio-tools' protoc (a build requirement)
into ``appliance/grpc/generated/`` of the built package, so a wheel ships ``<proto>_pb2.py`` and ``<proto>_pb2_grpc.py``,
generated, never edited by hand, and never committed. An editable install (``pip install -e``) is left alone: there
``appliance.grpc.stubs`` compiles the ``.proto`` files at first use (docs/grpc.md).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from setuptools.command.build_py import build_py

PROTOS = Path(__file__).resolve().parent / "appliance" / "grpc" / "protos"
GENERATED = Path("appliance", "grpc", "generated")


def compile_protos(out: Path) -> list[str]:
    """Generate the messages and services of every ``.proto`` under ``PROTOS`` into ``out``; the protos compiled."""
    from grpc_tools import protoc

    protos = sorted(p.relative_to(PROTOS).as_posix() for p in PROTOS.rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    well_known = resources.files("grpc_tools") / "_proto"  # google/protobuf/*.proto
    code = protoc.main(["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}", *protos])
    if code != 0:
        raise RuntimeError(f"protoc failed (exit {code}) compiling {', '.join(protos)} of {PROTOS}; its message is above")
    return protos


class BuildPy(build_py):
    """``build_py``, then the gRPC stubs into the build directory (not for an editable install)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            protos = compile_protos(Path(self.build_lib) / GENERATED)
            print(f"generated the gRPC stubs of {', '.join(protos)} into {Path(self.build_lib) / GENERATED}")
