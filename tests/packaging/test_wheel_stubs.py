"""The wheel carries the gRPC stubs generated at build time (build_stubs.py), and the package imports those, not
a compile at first use (which only a checkout or an editable install needs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "build_stubs.py", "appliance", "featurizers", "demos", "kit/bom.yaml")
STUBS = [f"appliance/grpc/generated/{proto}{suffix}.py" for proto in ("wabbit/v1/serving", "wabbit/v1/management",
                                                                      "inference/open_inference_v2") for suffix in ("_pb2", "_pb2_grpc")]
IMPORTED = """
import json, sys
from appliance.grpc import stubs
loaded = [stubs.serving(), stubs.management(), stubs.inference()]
print(json.dumps({"files": sorted(m.__file__ for s in loaded for m in (s.pb, s.rpc)), "compiled": str(stubs.PROTOS) in sys.path,
                  "services": [hasattr(loaded[0].rpc, "ServingStub"), hasattr(loaded[1].rpc, "ManagementStub")],
                  "bundle": "bundle" in loaded[1].pb.ModelChunk.DESCRIPTOR.fields_by_name}))
"""


@pytest.mark.slow
def test_the_wheel_ships_generated_stubs_and_imports_them(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    source = tmp_path / "src"  # a copy, so that the build leaves nothing (build/, *.egg-info) in the checkout
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "generated"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("raspberry_wabbit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(STUBS) <= names and "appliance/grpc/protos/wabbit/v1/management.proto" in names
    assert not any(n.startswith("build_stubs") for n in names)  # the hook builds; it is not shipped

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    done = subprocess.run([sys.executable, "-c", IMPORTED], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got["files"] == sorted(str(site / stub) for stub in STUBS)  # the wheel's modules, not compiled ones
    assert got == {**got, "compiled": False, "services": [True, True], "bundle": True}
