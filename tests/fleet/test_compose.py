"""docker/fleet-compose.yml: valid for ``docker compose config`` where docker compose is installed; everywhere,
its command is a ``wabbit fleet`` invocation the CLI accepts, its ports are bound to 127.0.0.1, its directory
is on a named volume and its health check asks the collector's port with the token."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from appliance.cli import fleet

COMPOSE = Path(__file__).resolve().parents[2] / "docker" / "fleet-compose.yml"


def test_docker_compose_accepts_it_where_installed() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed here: the file is checked by parsing it (the test below)")
    done = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_it_runs_a_valid_wabbit_fleet_on_loopback_with_its_data_on_a_volume() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    service = compose["services"]["fleet"]
    command = [str(a) for a in service["command"]]
    assert command[0] == "fleet"  # docker/entrypoint.sh runs `wabbit fleet ...`
    parser = argparse.ArgumentParser()
    fleet.add_arguments(parser)
    args = parser.parse_args(command[1:])  # exits (SystemExit) on an option the CLI does not take
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert service["ports"] == [f"127.0.0.1:{args.port}:{args.port}"] and args.host == "0.0.0.0"
    volume, mounted = service["volumes"][0].split(":")
    assert volume in compose["volumes"] and args.dir.is_relative_to(mounted)
    check = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{args.port}/status" in check and str(args.dir / "token") in check and "Bearer" in check
