"""README's example under the commands table, run as written: `wabbit simulate --world light --events 10000 --seed 1
--json` reports the share of the oracle's reward README states for the default policy and for random, and a config of
just `policy: {type: linucb}` the share it states for that (seeded runs: the figures are exact, "about" is 0.01)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from appliance.cli import main

README = Path(__file__).parents[2] / "README.md"
EXAMPLE = README.read_text().split("Example: ", 1)[1].split("\n\n", 1)[0].replace("\n", " ")


def share(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[float, float]:
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    return report["avg_reward"] / report["oracle_avg_reward"], report["random_avg_reward"] / report["oracle_avg_reward"]


def test_the_simulate_example_reports_the_shares_readme_states(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = re.match(r"`wabbit (simulate [^`]+)` reports about ([\d.]+)×.*?random gets about ([\d.]+)×", EXAMPLE)
    linucb = re.search(r"holds just `(policy: \{type: linucb\})` it gets about ([\d.]+)×", EXAMPLE)
    assert command and linucb, f"README's example changed shape: {EXAMPLE[:200]}"
    argv = [*shlex.split(command.group(1)), "--log-dir", str(tmp_path / "log")]
    default, random = share(argv, capsys)
    assert (round(default, 2), round(random, 2)) == (float(command.group(2)), float(command.group(3)))
    (tmp_path / "linucb.yaml").write_text(linucb.group(1) + "\n")
    argv[-1] = str(tmp_path / "linucb-log")  # a log dir of its own: simulate refuses one holding an earlier run's log
    assert round(share([*argv, "--config", str(tmp_path / "linucb.yaml")], capsys)[0], 2) == float(linucb.group(2))
