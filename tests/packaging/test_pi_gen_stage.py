"""The pi-gen config and custom stage follow pi-gen's conventions, the compose file and the device
helper say what README promises, and every packaging script is shellcheck-clean bash. Fast checks,
no Docker or emulation (image/test runs the stage for real)."""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from packaging_support import run

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pi-gen-config" / "config"
STAGE = ROOT / "pi-gen-config" / "stage-wabbit"
# What pi-gen's build.sh acts on inside a sub-stage (run_sub_stage), plus `files/` for the scripts.
SUB_STAGE_ENTRY = re.compile(
    r"^(\d\d-(debconf|packages|packages-nr|run\.sh|run-chroot\.sh|patches)|files|SKIP|NEEDS_RPI_ARCHIVE)$"
)


def config_values() -> dict[str, str]:
    """The config as pi-gen's build.sh sees it: sourced by bash."""
    names = ["RELEASE", "TARGET_HOSTNAME", "STAGE_LIST", "ENABLE_SSH", "ENABLE_CLOUD_INIT",
             "DEPLOY_COMPRESSION", "IMG_NAME"]
    script = f"set -eu; source {CONFIG}; " + "; ".join(f'printf "%s=%s\\n" {n} "${n}"' for n in names)
    out = run("bash", "-c", script).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def test_config_builds_64_bit_trixie_named_wabbit_with_ssh_and_cloud_init() -> None:
    values = config_values()
    assert values["RELEASE"] == "trixie"
    assert values["TARGET_HOSTNAME"] == "wabbit"
    assert values["STAGE_LIST"].split() == ["stage0", "stage1", "stage2", "stage-wabbit"]
    assert values["ENABLE_SSH"] == "1" and values["ENABLE_CLOUD_INIT"] == "1"
    assert values["DEPLOY_COMPRESSION"] == "xz"
    # A list must be quoted for pi-gen's build.sh to source it.
    assert re.search(r'^STAGE_LIST="[^"]+"$', CONFIG.read_text(), re.MULTILINE)
    # 64-bit comes from the pinned ref: pi-gen's arm64 branch.
    assert re.search(r"^PI_GEN_REF=.*arm64", (ROOT / "image" / "build").read_text(), re.MULTILINE)


def test_stage_follows_pi_gen_conventions() -> None:
    prerun = STAGE / "prerun.sh"
    assert executable(prerun) and "copy_previous" in prerun.read_text()
    assert (STAGE / "EXPORT_IMAGE").is_file()
    sub_stages = sorted(p for p in STAGE.iterdir() if p.is_dir())
    assert [p.name[:3] for p in sub_stages] == ["00-", "01-", "02-"]
    for sub in sub_stages:
        for entry in sub.iterdir():
            assert SUB_STAGE_ENTRY.match(entry.name), f"pi-gen ignores {entry}"
        for script in sub.glob("*-run.sh"):
            assert executable(script), f"pi-gen skips {script} unless it is executable"
    run_sh = (STAGE / "02-appliance" / "00-run.sh").read_text()
    assert "on_chroot" in run_sh and "install-appliance.sh" in run_sh
    assert (STAGE / "02-appliance" / "01-run-chroot.sh").is_file()
    assert "python3-venv" in (STAGE / "00-system-packages" / "00-packages").read_text()


def test_appliance_unit_runs_as_wabbit_on_the_lan_and_the_token_is_made_at_first_boot() -> None:
    files = STAGE / "02-appliance" / "files"
    unit = (files / "wabbit.service").read_text()
    assert "User=wabbit" in unit and "--data-dir /var/lib/wabbit" in unit
    assert "WABBIT_HOST=0.0.0.0" in (files / "wabbit.default").read_text()
    install = (files / "install-appliance.sh").read_text()
    assert "--system-site-packages" in install
    assert "gpio,video,audio,render" in install
    assert "rm -f /var/lib/wabbit/token" in install
    firstboot = (files / "wabbit-firstboot").read_text()
    assert "umask 077" in firstboot and "/etc/issue.d/wabbit.issue" in firstboot
    enabled = (STAGE / "02-appliance" / "01-run-chroot.sh").read_text()
    for name in ("wabbit.service", "wabbit-firstboot.service", "wabbit-http.socket", "avahi-daemon"):
        assert name in enabled


def test_compose_file_uses_host_network_a_restart_policy_and_no_privileges() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    service = compose["services"]["wabbit"]
    assert service["network_mode"] == "host"
    assert service["restart"] == "unless-stopped"
    assert "privileged" not in service  # documented in a comment as the fallback only
    assert "/run/udev:/run/udev:ro" in service["volumes"]
    assert service["build"]["args"]["RPI"] == "1"


def test_pi_devices_lists_only_existing_nodes_as_valid_compose_yaml() -> None:
    out = run(str(ROOT / "docker" / "pi-devices"), "--compose").stdout
    override = yaml.safe_load(out)["services"]["wabbit"]
    for device in override["devices"]:
        assert Path(device).exists()
    args = run(str(ROOT / "docker" / "pi-devices"), "--run-args").stdout.split()
    assert args.count("--device") == len(override["devices"])


SCRIPTS = [
    ROOT / "docker" / "entrypoint.sh",
    ROOT / "docker" / "pi-devices",
    ROOT / "image" / "build",
    ROOT / "image" / "test",
    ROOT / "image" / "lib.sh",
    CONFIG,
    STAGE / "prerun.sh",
    STAGE / "EXPORT_IMAGE",
    STAGE / "02-appliance" / "00-run.sh",
    STAGE / "02-appliance" / "01-run-chroot.sh",
    STAGE / "02-appliance" / "files" / "install-appliance.sh",
    STAGE / "02-appliance" / "files" / "wabbit-firstboot",
]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_is_shellcheck_clean_bash(script: Path) -> None:
    text = script.read_text()
    if text.startswith("#!"):
        assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text, script
    run("bash", "-n", str(script))
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is missing: tests/apt/packaging.txt installs it")
    run("shellcheck", "--shell=bash", "--external-sources", str(script))
