"""docs/plugins.md's plug-in example as written: its module and its entry point (the toml block) become a distribution
on a temporary PYTHONPATH, the config the page gives validates, and a Python program decides and learns with it. The
page's sklearn config validates too."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from appliance.config import load_config_text

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text()


def section(title: str) -> str:
    """The page's text from the bold ``title`` to the next bold paragraph title."""
    match = re.search(rf"\*\*{re.escape(title)}\*\*(.+?)\n\*\*", DOC, re.S)
    assert match, f"docs/plugins.md: no **{title}** paragraph"
    return match.group(1)


def block(text: str, language: str) -> str:
    match = re.search(rf"```{language}\n(.+?)```", text, re.S)
    assert match, f"docs/plugins.md: no {language} block"
    return match.group(1)


def install(site: Path) -> dict[str, str]:
    """The page's module, and a ``.dist-info`` whose entry points are the page's toml block."""
    text = section("Write a policy plug-in")
    groups = tomllib.loads(block(text, "toml"))["project"]["entry-points"]
    (name, value), = groups["wabbit.policies"].items()
    (site / f"{value.partition(':')[0]}.py").write_text(block(text, "python"))
    info = site / "wabbit_means-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wabbit-means\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("".join(f"[{group}]\n" + "".join(f"{n} = {v}\n" for n, v in points.items())
                                                   for group, points in groups.items()))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}


def test_documented_policy_plug_in_validates_decides_and_learns(tmp_path: Path) -> None:
    env = install(tmp_path)
    policy = re.search(r"`(policy: \{type: means.+?)`", section("Write a policy plug-in"))
    assert policy, "docs/plugins.md: no config naming the plug-in"
    (tmp_path / "means.yaml").write_text(policy.group(1) + "\njoin: {reward_wait_s: 0.1}\n")
    done = subprocess.run([sys.executable, "-m", "appliance", "config", "validate", "means.yaml"], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    program = """
import time
from appliance.embedded import LiveModel

with LiveModel("means.yaml", data_dir="data") as model:
    for i in range(40):
        ranking = model.choose_rank({"user": {"x": 1.0}})
        model.report_outcome(ranking.event_id, 1.0 if ranking.chosen_action == "sports" else 0.0)
    time.sleep(0.5)  # the rewards' wait ends, the loop learns them
    print(model.loop.policy.stats())
    print(dict(model.choose_rank({"user": {"x": 1.0}}).pmf))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    stats, pmf = done.stdout.splitlines()
    assert stats.startswith("{'type': 'means', 'counts': {") and ast.literal_eval(stats)["counts"]["sports"] > 0
    assert ast.literal_eval(pmf) == {"news": 0.025, "sports": 0.975}  # learned: sports, exploring 5%


def test_documented_policy_plug_in_passes_the_policy_contract_suite(tmp_path: Path) -> None:
    """All but the linear-world check, which a policy that reads no context cannot pass (the page says so): a file that
    is no model, or a model saved for other actions, is refused as the loop needs it."""
    assert "every action is worth 0 on average" in " ".join(section("Write a policy plug-in").split())
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_policy_contract.py",
                           "-k", "means and not linear_world"], capture_output=True, text=True, env=install(tmp_path), cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "7 passed" in done.stdout, done.stdout[-3000:]


def test_documented_sklearn_config_is_valid() -> None:
    config = load_config_text(block(section("A scikit-learn policy"), "yaml"))
    assert config.policy is not None and config.policy.type == "sklearn"


def test_documented_log_sink_plug_in_validates_and_ships_a_batch(tmp_path: Path) -> None:
    env = install(tmp_path)
    sink, = [b for b in re.findall(r"```python\n(.+?)```", section("Write a policy plug-in"), re.S) if "LogSinkConfigBase" in b]
    (tmp_path / "wabbit_append.py").write_text(sink)
    points = tmp_path / "wabbit_means-0.1.dist-info" / "entry_points.txt"
    points.write_text(points.read_text() + "[wabbit.log_sinks]\nappend = wabbit_append:AppendSink\n")
    program = """
from appliance.config import load_config_text
from appliance.registry import REGISTRY
from appliance.sinks.base import SinkError

config = load_config_text("log_sinks: [{type: append, path: shipped.jsonl, batch_interval_s: 0.5}]")
sink = REGISTRY.build("log_sinks", config.log_sinks[0], name="append-0")
sink.send(b'{"EventId": "e1"}\\n', "joined-000001-000000000000")
print(sink.stats())
config = load_config_text("log_sinks: [{type: append, path: missing/shipped.jsonl}]")
try:
    REGISTRY.build("log_sinks", config.log_sinks[0], name="bad").send(b"x\\n", "b")
except SinkError as err:
    print(err)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'type': 'append', 'path': 'shipped.jsonl', 'batches': 1}",
                                        "bad: cannot append to missing/shipped.jsonl: No such file or directory"]
    assert (tmp_path / "shipped.jsonl").read_text() == '{"EventId": "e1"}\n'
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_registry_contract.py",
                           "-k", "append"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-3000:]


TALLY = """
from typing import Literal
from pydantic import Field
from appliance.errors import CheckpointError
from wabbit_means import MeansConfig, MeansPolicy

class TallyConfig(MeansConfig):
    type: Literal["tally"] = Field("tally", description="docs/plugins.md's means policy, whose model is the count of events learned.")

class TallyPolicy(MeansPolicy):
    Config = TallyConfig
    def save(self, path): path.write_text(str(self.model_version))
    def load(self, path, model_version):
        if not path.read_text().isdigit():
            raise CheckpointError(f"{path}: not a tally model")
        self.model_version = model_version
"""


def test_a_plug_in_model_smaller_than_any_vw_model_is_checked_not_refused_for_its_size(tmp_path: Path) -> None:
    """An upload is refused as "too small to be a Vowpal Wabbit model" only for a vw policy: a plug-in policy whose whole
    model is one digit passes the check; an empty file is refused for any kind."""
    env = install(tmp_path)
    (tmp_path / "wabbit_tally.py").write_text(TALLY)
    (tmp_path / "wabbit_tally-0.1.dist-info").mkdir()
    (tmp_path / "wabbit_tally-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: wabbit-tally\nVersion: 0.1\n")
    (tmp_path / "wabbit_tally-0.1.dist-info" / "entry_points.txt").write_text("[wabbit.policies]\ntally = wabbit_tally:TallyPolicy\n")
    (tmp_path / "tiny.model").write_text("7")
    (tmp_path / "empty.model").write_text("")
    program = """
from pathlib import Path
from appliance.errors import UsageError
from appliance.policy.model_check import check_model_file

actions = [{"id": "a"}, {"id": "b"}]
check_model_file(Path("tiny.model"), {"type": "tally", "actions": actions})
print("tiny ok")
for path, kind in (("empty.model", "tally"), ("tiny.model", "vw")):
    try:
        check_model_file(Path(path), {"type": kind, "actions": actions})
    except UsageError as err:
        print(err)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["tiny ok", "the model is empty (0 bytes); upload the file GET /api/model returns",
                                        "the model is 1 bytes, too small to be a Vowpal Wabbit model; upload the file "
                                        "GET /api/model returns (or `vw -f` writes)"]
