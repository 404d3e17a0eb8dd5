"""A client.json like rlclientlib's examples ports: every key with an equivalent lands in its section (policy,
learning, model_source, log_sinks), the others are named in one warning, and a key rlclientlib does not know is
refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from appliance.config import AppConfig
from appliance.embedded import LiveModel
from appliance.embedded.rlclient_config import config_from_rlclient, vw_policy_from_command_line
from appliance.errors import ConfigError

CLOSED = "http://127.0.0.1:9"  # loopback's discard port: nothing answers, nothing leaves the machine

CLIENT_JSON: dict[str, Any] = {  # rl_sim_cpp's client.json, with the HTTP sender and model source of a self-hosted loop
    "ApplicationID": "sample-loop",
    "IsExplorationEnabled": True,
    "InitialExplorationEpsilon": 1.0,
    "model.vw.initial_command_line": "--cb_explore_adf --json --quiet --power_t 0 -l 0.001 --cb_type ips -q ::",
    "protocol.version": 2,
    "LearningMode": "APPRENTICE",
    "model.source": "HTTP_MODEL_DATA",
    "model.blob.uri": f"{CLOSED}/model",
    "ModelRefreshIntervalMs": "30000",
    "http.timeout": "5",
    "http.api.key": "secret-key",
    "http.api.header.key.name": "Authorization",
    "interaction.sender.implementation": "INTERACTION_HTTP_API_SENDER",
    "interaction.http.api.host": f"{CLOSED}/ingest",
    "observation.sender.implementation": "OBSERVATION_HTTP_API_SENDER",
    "observation.http.api.host": f"{CLOSED}/ingest",
    "send.batchintervalms": "500",
    "SendHighMaterMark": "65536",
    "send.queue.maxcapacity.kb": "8192",
    "QueueMode": "BLOCK",
    "send.use_compression": False,
    "observation.eventhub.name": "observation",
}


def test_every_key_with_an_equivalent_lands_in_its_section() -> None:
    found = config_from_rlclient(CLIENT_JSON, ["news", "sports"], log_sinks=[{"type": "directory", "path": "/srv/out"}])
    config = found.config
    assert config["policy"]["exploration"] == {"type": "epsilon", "epsilon": 1.0}  # the line names none: the initial epsilon
    assert (config["policy"]["power_t"], config["policy"]["learning_rate"], config["policy"]["cb_type"]) == (0.0, 0.001, "ips")
    assert config["learning"] == {"mode": "apprentice", "baseline_action": "news"}  # rlclientlib's baseline: the first action
    assert config["model_source"] == {"type": "http", "url": f"{CLOSED}/model", "interval_s": 30.0, "timeout_s": 5.0,
                                      "headers": {"Authorization": "secret-key"}}
    directory, http = config["log_sinks"]
    batching = {"batch_interval_s": 0.5, "batch_bytes": 65536, "max_backlog_mb": 8.0, "mode": "block"}
    assert directory == {"type": "directory", "path": "/srv/out", **batching}
    assert http == {"type": "http", "url": f"{CLOSED}/ingest", "stream": "raw", "headers": {"Authorization": "secret-key"},
                    "timeout_s": 5.0, **batching}
    assert found.ignored == ["ApplicationID", "observation.eventhub.name", "protocol.version", "send.use_compression"]
    AppConfig.model_validate({**config, "simulation": None})  # a config the appliance runs


def test_a_sink_keeps_what_it_sets_itself_and_sections_override_the_global_keys() -> None:
    raw = {"send.batchintervalms": "1000", "interaction.send.batchintervalms": "250", "observation.send.batchintervalms": "250",
           "queue.mode": "drop"}
    sinks = config_from_rlclient(raw, ["a"], log_sinks=[{"type": "directory", "path": "/x", "mode": "block"}]).config["log_sinks"]
    assert sinks == [{"type": "directory", "path": "/x", "mode": "block", "batch_interval_s": 0.25}]
    with pytest.raises(ConfigError, match="interaction.send.highwatermark .* and observation.send.highwatermark .* differ"):
        config_from_rlclient({"interaction.send.highwatermark": "1024", "observation.send.highwatermark": "2048"}, ["a"],
                             [{"type": "directory", "path": "/x"}])


def test_file_model_source_logging_only_and_canonical_names() -> None:
    raw = {"rank.learning.mode": "LOGGINGONLY", "model.source": "FILE_MODEL_DATA", "model_file_loader.file_name": "/models/current.vw",
           "model.refreshintervalms": "2000", "initial_exploration.epsilon": "0.3", "vw.commandline": "--cb_explore_adf -q UA"}
    found = config_from_rlclient(raw, ["a", "b"])
    assert found.config["learning"] == {"mode": "logging_only"}
    assert found.config["model_source"] == {"type": "file", "path": "/models/current.vw", "interval_s": 2.0}
    assert found.config["policy"]["exploration"] == {"type": "epsilon", "epsilon": 0.3} and found.config["policy"]["interactions"] == ["UA"]
    assert found.ignored == [] and found.warning() is None
    assert "model_source" not in config_from_rlclient({"model.source": "NO_MODEL_DATA"}, ["a"]).config


@pytest.mark.parametrize("raw, message", [
    ({"model.refresh_interval_ms": "1"}, r"model.refresh_interval_ms: not a key rlclientlib knows \(e.g. model.refreshintervalms\)"),
    ({"LearningMode": "OFFLINE"}, "LearningMode: 'OFFLINE' is not ONLINE, APPRENTICE or LOGGINGONLY"),
    ({"model.source": "FILE_MODEL_DATA"}, "give model_file_loader.file_name"),
    ({"model.source": "HTTP_MODEL_DATA"}, "give model.blob.uri"),
    ({"ModelRefreshIntervalMs": "soon", "model.blob.uri": CLOSED}, "ModelRefreshIntervalMs: 'soon' is not a number"),
])
def test_what_cannot_be_read_is_refused_with_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_rlclient(raw, ["a"])


@pytest.mark.parametrize("text, message", [
    ('{"model.refresh_interval_ms": "1"}', r"/shop\.json: model.refresh_interval_ms: not a key rlclientlib knows"),
    ('{"LearningMode": "OFFLINE"}', r"/shop\.json: LearningMode: 'OFFLINE' is not"),
    ('{"LearningMode":\n', r"/shop\.json:2: not JSON \(Expecting value\)"),
    ('{"a": "\xff"}', r"/shop\.json: not JSON \(not UTF-8 text\)"),
    ('["LearningMode"]', r"/shop\.json: not an rlclientlib configuration: a JSON object of keys and values, not a list"),
])
def test_a_file_that_cannot_be_read_is_refused_with_its_name(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "shop.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError, match=message):
        LiveModel.from_rlclient(tmp_path / "shop.json", ["a"], tmp_path / "data")
    with pytest.raises(ConfigError, match=r"nope\.json: cannot read it \(No such file or directory\)"):
        LiveModel.from_rlclient(tmp_path / "nope.json", ["a"], tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_keys_with_nothing_to_apply_to_are_named_in_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = tmp_path / "client.json"
    client.write_text(json.dumps({"ApplicationID": "shop", "EventHubInteractionConnectionString": "Endpoint=sb://x/;...",
                                  "QueueMode": "BLOCK", "InitialExplorationEpsilon": "0.5"}))
    with caplog.at_level(logging.WARNING, logger="appliance.embedded.live_model"):
        with LiveModel.from_rlclient(client, ["a", "b"], tmp_path / "data") as model:
            assert model.config.log_sinks == [] and model.config.policy is not None
    warnings = [r.getMessage() for r in caplog.records if r.name == "appliance.embedded.live_model"]
    assert len(warnings) == 1, warnings
    assert "ignored: ApplicationID, EventHubInteractionConnectionString, QueueMode." in warnings[0]
    assert "pass log_sinks=[...] to ship them" in warnings[0]


def test_the_client_json_runs_as_a_live_model(tmp_path: Path) -> None:
    client = tmp_path / "client.json"
    client.write_text(json.dumps(CLIENT_JSON))
    with LiveModel.from_rlclient(client, ["news", "sports"], tmp_path / "data") as model:
        config = model.config
        assert config.learning.mode == "apprentice" and config.learning.baseline_action == "news"
        assert config.model_source is not None and config.model_source.interval_s == 30.0
        assert [(s.type, s.mode, s.batch_interval_s, s.batch_bytes, s.max_backlog_mb) for s in config.log_sinks] == [
            ("http", "block", 0.5, 65536, 8.0)]
        assert "--power_t 0.0" in model.loop.stats()["policy"]["arguments"]
        ranking = model.choose_rank({"user": {"x": 0.5}})
        assert ranking.chosen_action in ("news", "sports") and model.report_outcome(ranking.event_id, 1.0) == "accepted"


@pytest.mark.parametrize("command_line", ["--cb_explore_adf --epsilon=0.3 --learning_rate=0.5 --quadratic=UA --bit_precision=20",
                                          "--cb_explore_adf --epsilon 0.3 -l0.5 -qUA -b20"])
def test_options_written_with_their_value_attached_mean_what_they_do_spaced(command_line: str) -> None:
    # VW reads `--epsilon=0.3` and `-l0.5` as `--epsilon 0.3` and `-l 0.5`; passed through as extra VW options, the
    # exploration was refused and the learning rate silently lost to the appliance's own
    spaced = vw_policy_from_command_line("--cb_explore_adf --epsilon 0.3 -l 0.5 -q UA -b 20")
    assert vw_policy_from_command_line(command_line) == spaced
    assert spaced == {"exploration": {"type": "epsilon", "epsilon": 0.3}, "learning_rate": 0.5, "interactions": ["UA"], "bits": 20}


@pytest.mark.parametrize("command_line, message", [
    ("--cb_explore_adf --cb_type foo", r"policy\.cb_type: String should match"),
    ("--cb_explore_adf -f out.model", r"policy\.vw_args: Value error, VW option -f is managed by the appliance"),
])
def test_a_value_the_appliance_refuses_is_an_error_naming_the_file(tmp_path: Path, command_line: str, message: str) -> None:
    (tmp_path / "shop.json").write_text(json.dumps({"model.vw.initial_command_line": command_line}))
    with pytest.raises(ConfigError, match=message) as refused:
        LiveModel.from_rlclient(tmp_path / "shop.json", ["a"], tmp_path / "data")
    assert str(refused.value).startswith(f"{tmp_path / 'shop.json'} (read as this appliance's config): policy."), refused.value


def test_an_apprentice_without_actions_is_refused_as_any_config_without_actions(tmp_path: Path) -> None:
    # the baseline is the first action: with none, the error is the config's (no actions), not an IndexError
    (tmp_path / "shop.json").write_text(json.dumps({"rank.learning.mode": "APPRENTICE"}))
    with pytest.raises(ConfigError, match=r"shop\.json \(read as this appliance's config\): policy\.actions: List should have at least"):
        LiveModel.from_rlclient(tmp_path / "shop.json", [], tmp_path / "data")
