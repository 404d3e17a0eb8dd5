"""The Docker image, built and run by a real engine: the daemon answers /healthz, Docker's own
HEALTHCHECK turns healthy, the API serves status with the token from the data volume, and the
simulated loop learns inside the container."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from packaging_support import free_port, http_get, run, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def docker_run(image: str, *args: str, timeout: float = 600) -> str:
    """Runs a throwaway container on the host network; never asks a registry."""
    return run(
        "docker", "run", "--rm", "--network", "host", "--pull", "never", image, *args,
        timeout=timeout,
    ).stdout


def test_runs_as_non_root_user_in_the_device_groups(wabbit_image: str) -> None:
    out = run("docker", "run", "--rm", "--network", "host", "--pull", "never", "--entrypoint", "id", wabbit_image).stdout
    assert out.startswith("uid=10001(wabbit)"), out
    for group in ("gpio", "video", "audio", "render"):
        assert f"({group})" in out, out


def test_image_declares_volume_healthcheck_and_entrypoint(wabbit_image: str) -> None:
    config = json.loads(run("docker", "image", "inspect", wabbit_image).stdout)[0]["Config"]
    assert config["User"] == "wabbit"
    assert "/var/lib/wabbit" in config["Volumes"]
    assert any("/healthz" in part for part in config["Healthcheck"]["Test"])
    assert config["Entrypoint"] == ["wabbit-entrypoint"]


def test_simulated_loop_learns_in_the_container(wabbit_image: str) -> None:
    out = docker_run(
        wabbit_image, "simulate", "--world", "light", "--events", "2000", "--seed", "1", "--json"
    )
    result = json.loads(out.strip().splitlines()[-1])
    # Clearly learning: at least a quarter of the way from a random policy to the oracle.
    gain = (result["avg_reward"] - result["random_avg_reward"]) / (
        result["oracle_avg_reward"] - result["random_avg_reward"]
    )
    assert gain > 0.25, result


@pytest.fixture
def daemon(wabbit_image: str) -> Iterator[tuple[str, int]]:
    """`wabbit run` in a detached container on 127.0.0.1:<free port>, removed afterwards by name."""
    name = f"wabbit-pytest-{uuid.uuid4().hex[:8]}"
    port = free_port()
    run(
        "docker", "run", "-d", "--rm", "--name", name, "--network", "host", "--pull", "never",
        "-e", "WABBIT_HOST=127.0.0.1", "-e", f"WABBIT_PORT={port}",
        "--health-interval", "2s", "--health-start-period", "120s",
        wabbit_image,
    )
    try:
        yield name, port
    finally:
        logs = run("docker", "logs", "--tail", "40", name, check=False)
        print(logs.stdout, logs.stderr)
        run("docker", "rm", "-f", name, check=False, timeout=120)


def test_daemon_answers_healthz_turns_healthy_and_learns(daemon: tuple[str, int]) -> None:
    name, port = daemon
    base = f"http://127.0.0.1:{port}"
    body = wait_for(lambda: healthz(base), timeout=120, what="/healthz")
    assert isinstance(body, dict)

    def health() -> bool:
        state = run("docker", "inspect", "--format", "{{.State.Health.Status}}", name).stdout
        return state.strip() == "healthy"

    wait_for(health, timeout=60, what="Docker's HEALTHCHECK to report healthy")

    token = run("docker", "exec", name, "cat", "/var/lib/wabbit/token").stdout.strip()
    assert token
    mode = run("docker", "exec", name, "stat", "-c", "%a %U", "/var/lib/wabbit/token").stdout
    assert mode.split() == ["600", "wabbit"]
    assert http_get(f"{base}/api/status")[0] == 401

    first = learned_events(base, token)
    wait_for(lambda: learned_events(base, token) > first, timeout=120, what="the loop to learn")


def healthz(base: str) -> object:
    """/healthz's JSON body once it answers 200, else None."""
    status, body = http_get(f"{base}/healthz")
    return body if status == 200 else None


def learned_events(base: str, token: str) -> int:
    """The daemon's count of events it has learned from, from /api/status."""
    status, body = http_get(f"{base}/api/status", token=token)
    assert status == 200, body
    return int(body["loop"]["learned"])
