"""One isolated virtualenv per Vowpal Wabbit release, created once and kept in a cache folder (as asv does).

An environment holds the appliance's dependencies from ``pyproject.toml`` with the ``vowpalwabbit`` pin replaced
by the release asked for, and nothing of the appliance itself: the checkout's code is put on its path when a
benchmark runs (:mod:`appliance.bench.isolated`), so one cached environment serves every checkout and worktree,
and always runs the code being measured. Its folder is named for the release, the Python and a digest of the
requirements, so a changed pin makes a new one; a ``ready`` file written last marks it complete, and a folder
without one (an install that was interrupted) is made again.

>>> requirements(['vowpalwabbit==9.11.9', 'numpy==2.4.6'], '9.11.2')
['vowpalwabbit==9.11.2', 'numpy==2.4.6']
>>> check_version('9.11.2'), check_version(' 9.10.0 ')
('9.11.2', '9.10.0')
>>> check_version('latest')
Traceback (most recent call last):
...
appliance.bench.history.BenchToolError: 'latest' is not a release number such as 9.11.9
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from appliance.bench.history import BenchToolError

PACKAGE = "vowpalwabbit"
INSTALL_TIMEOUT_S = 900


class EnvUnavailable(BenchToolError):
    """A release's environment could not be made (no wheel for this Python and machine, no registry)."""


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/raspberry-wabbit/bench-envs`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "raspberry-wabbit" / "bench-envs"


def check_version(text: str) -> str:
    """A release number as pip takes it after ``==``; anything else is refused before a venv is made."""
    version = text.strip()
    if not re.fullmatch(r"\d+(\.\d+){0,3}([a-z]+\d*)?(\.post\d+)?", version):
        raise BenchToolError(f"{text!r} is not a release number such as 9.11.9")
    return version


def requirements(dependencies: list[str], version: str) -> list[str]:
    """``dependencies`` (PEP 508 strings) with the vowpalwabbit requirement pinned to ``version``."""
    pinned = f"{PACKAGE}=={version}"
    out = [pinned if re.match(rf"{PACKAGE}\s*([=<>!~;\[]|$)", dep.strip(), re.I) else dep for dep in dependencies]
    return out if pinned in out else [pinned, *out]


def project_dependencies(checkout: Path) -> list[str]:
    """The ``[project] dependencies`` of the checkout's ``pyproject.toml``."""
    try:
        project = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as err:
        raise BenchToolError(f"cannot read the dependencies in {checkout / 'pyproject.toml'}: {err}") from None
    return list(project.get("dependencies", []))


@dataclass(frozen=True)
class VersionEnv:
    """A ready environment: its release and folder."""

    version: str
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def _tail(text: str, lines: int = 3) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.startswith("WARNING")]
    return " / ".join(kept[-lines:]) or "no output"


def ensure_env(cache: Path, checkout: Path, version: str, python: str = sys.executable) -> tuple[VersionEnv, bool]:
    """The environment for ``version`` (made now if the cache has none) and whether it was made now.

    vowpalwabbit is taken from a wheel only: building it from source needs a C++ toolchain, Boost and many
    minutes, so a release without a wheel for this Python and machine is refused (:class:`EnvUnavailable`),
    which ``pip download`` tells before any virtualenv is made. The wheels are kept in ``cache/wheels``.
    """
    reqs = requirements(project_dependencies(checkout), version)
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()[:10]
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    env = VersionEnv(version, cache / f"vw-{version}-{tag}-{digest}")
    ready = env.path / "ready"
    if ready.exists():
        return env, False
    shutil.rmtree(env.path, ignore_errors=True)
    wheels = cache / "wheels"
    pip = ["-m", "pip", "--disable-pip-version-check"]
    try:
        env.path.parent.mkdir(parents=True, exist_ok=True)
        # the wheel first, with this interpreter's tags: a release without one is refused before a venv is made
        done = subprocess.run([python, *pip, "download", "-q", "--no-deps", "--only-binary", ":all:", "--dest",
                               str(wheels), f"{PACKAGE}=={version}"], capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            subprocess.run([python, "-m", "venv", str(env.path)], check=True, capture_output=True, text=True, timeout=120)
            done = subprocess.run([str(env.python), *pip, "install", "-q", "--find-links", str(wheels), "--only-binary",
                                   PACKAGE, *reqs], capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as err:
        shutil.rmtree(env.path, ignore_errors=True)
        raise EnvUnavailable(f"cannot make a virtualenv in {env.path}: {err}") from None
    if done.returncode != 0:
        shutil.rmtree(env.path, ignore_errors=True)
        raise EnvUnavailable(f"{PACKAGE}=={version} cannot be installed for Python {tag[2:3]}.{tag[3:]} on this "
                             f"machine ({os.uname().machine}): {_tail(done.stderr)}")
    ready.write_text(json.dumps({"version": version, "requirements": reqs}, indent=2) + "\n")
    return env, True
