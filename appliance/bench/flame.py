"""A flamegraph of one benchmark: ``py-spy record`` around ``python -m appliance.bench.run_one NAME``.

py-spy (the ``bench`` extra) reads the benchmark's memory with ptrace. Where that is not allowed (a
container without ``SYS_PTRACE``, ``kernel.yama.ptrace_scope`` of 2 or 3, or another user's process)
py-spy says "Permission Denied", and :func:`record` turns that into an error saying what to do:

>>> denied("Permission Denied: Try running again with elevated permissions by going 'sudo env ...'")
True
>>> denied("Error: Failed to create process 'python': Permission denied (os error 13)")
False
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from appliance.bench.history import BenchToolError
from appliance.bench.skip import skip_reason

DENIED = (
    "py-spy is not allowed to ptrace the benchmark process (it said: Permission Denied). Run it as root "
    "(sudo env \"PATH=$PATH\" wabbit bench flame {name}), or let users trace their own children "
    "(sudo sysctl kernel.yama.ptrace_scope=1); in a container, start it with --cap-add SYS_PTRACE"
)


def denied(stderr: str) -> bool:
    """Whether py-spy's output says ptrace was refused (not, say, that a file was: "Permission denied")."""
    return "Permission Denied" in stderr or "Operation not permitted" in stderr


def find_py_spy() -> str | None:
    """py-spy next to this Python (a venv's ``bin/``), else on ``PATH``."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def command(py_spy: str, name: str, out: Path, quick: bool, result: Path) -> list[str]:
    """The py-spy command line: children too (``http.decide`` runs a server), benchmark in this Python.

    >>> command("py-spy", "wal.commit", Path("f.svg"), True, Path("r.json"))[:7]
    ['py-spy', 'record', '-o', 'f.svg', '--format', 'flamegraph', '--subprocesses']
    """
    child = [sys.executable, "-m", "appliance.bench.run_one", name, "--result", str(result)]
    return [py_spy, "record", "-o", str(out), "--format", "flamegraph", "--subprocesses", "--",
            *child, *(["--quick"] if quick else [])]


def record(name: str, out: Path, *, quick: bool = False, py_spy: str | None = None) -> Path:
    """Profile benchmark ``name`` into the flamegraph SVG ``out``; ``py_spy`` is the executable to use."""
    exe = py_spy or find_py_spy()
    if exe is None:
        raise BenchToolError("py-spy is not installed: pip install 'raspberry-wabbit[bench]' (or pass --py-spy PATH)")
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        try:
            proc = subprocess.run(command(exe, name, out, quick, result), capture_output=True, text=True)
        except OSError as err:
            raise BenchToolError(f"cannot run py-spy at {exe}: {err.strerror}; pass --py-spy PATH") from None
        if proc.returncode != 0 and denied(proc.stderr):
            raise BenchToolError(DENIED.format(name=name))
        lines = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("py-spy>")]
        last = next((line for line in reversed(lines) if "Error:" in line), f"exit code {proc.returncode}")
        if proc.returncode != 0 or not out.is_file():
            raise BenchToolError(f"py-spy failed ({last}); run `{exe} record -o {out} -- {sys.executable} -m "
                                 f"appliance.bench.run_one {name}` to see all it says")
        if not result.is_file():
            raise BenchToolError(f"benchmark {name} failed under py-spy ({last}); the partial flamegraph is in {out}")
        reason = skip_reason(json.loads(result.read_text()))
        if reason:
            raise BenchToolError(f"benchmark {name} was skipped, there is nothing to profile: {reason}")
    return out
