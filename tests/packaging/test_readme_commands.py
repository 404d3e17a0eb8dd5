"""README's run command, tried as a new user would on a fresh Debian: as root, where there is no sudo.

The command runs unchanged in a throwaway container of the Debian base (apt, the venv, pip from PyPI), but for
its last step: the daemon is started in the background on a free port and must answer /healthz."""

from __future__ import annotations

import re

import pytest
from packaging_support import ROOT, free_port, run

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def readme_run_command() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("**Run the appliance**", 1)[1]
    match = re.search(r"```bash\n(.+?)\n```", section, re.S)
    assert match, "README: no bash block after **Run the appliance**"
    return match.group(1).strip()


def test_the_run_command_works_as_root_without_sudo(debian_base: str) -> None:
    command = readme_run_command()
    assert not command.startswith("sudo") and command.endswith(" && .venv/bin/wabbit run")
    set_up = command.removesuffix(" && .venv/bin/wabbit run")
    port = free_port()
    probe = (f"python3 -c 'import time, urllib.request\nfor _ in range(120):\n    try:\n        urllib.request.urlopen("
             f"\"http://127.0.0.1:{port}/healthz\", timeout=2); print(\"HEALTHY\"); break\n    except OSError: time.sleep(0.5)'")
    script = (f"set -e; test ! -x /usr/bin/sudo; mkdir /tmp/w; tar -C /src --exclude=./.venv --exclude=./.git -cf - . | tar -C /tmp/w -xf -; "
              f"cd /tmp/w; {set_up}\n.venv/bin/wabbit run --port {port} --data-dir /tmp/data > /tmp/wabbit.log 2>&1 &\n"
              f"{probe}\ncat /tmp/wabbit.log")
    out = run("docker", "run", "--rm", "--network", "host", "--pull", "never", "-v", f"{ROOT}:/src:ro", debian_base,
              "bash", "-c", script, timeout=1200).stdout
    assert "HEALTHY" in out, out[-3000:]
    assert "Access token" in out, out[-3000:]
