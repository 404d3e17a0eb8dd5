"""A model file uploaded to a ``vw`` model (what ``Management.Upload`` and ``PUT /api/models/{name}/model`` call):
checked in a child process, then read once by the daemon, which serves it with the counters VW kept in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vowpalwabbit

from appliance.models.vw_model import VWModel

WEATHER = ["1 | sunny warm", "2 | rain cold", "3 | snow freezing"]


def trained(path: Path, repeats: int) -> Path:
    """A ``--oaa 3`` model file that learned WEATHER ``repeats`` times in pyvw."""
    ws = vowpalwabbit.Workspace("--oaa 3 --quiet")
    for line in WEATHER * repeats:
        ws.learn(line)
    ws.save(str(path))
    ws.finish()
    return path


def test_an_upload_reads_the_file_once_in_the_daemon_and_counts_its_examples(tmp_path: Path) -> None:
    upload = trained(tmp_path / "upload.vw", repeats=4)
    loads: list[list[str]] = []

    def counting(*, arg_list: list[str]) -> Any:  # the model's workspaces, in this process: the check's child is another
        if str(upload) in arg_list:
            loads.append(arg_list)
        return vowpalwabbit.Workspace(arg_list=arg_list)

    model = VWModel.create("ratings", tmp_path / "ratings", "--oaa 3", durable=False, workspace=counting)
    try:
        model.load_file(upload, 5)
        assert len(loads) == 1 and "--preserve_performance_counters" in loads[0], loads
        stats = model.statistics()
        assert (stats.model_version, stats.examples, stats.weighted_examples) == (5, 12, 12.0)
    finally:
        model.close()


def test_an_uploaded_model_counts_the_features_it_learned_not_those_of_the_model_before(tmp_path: Path) -> None:
    upload = trained(tmp_path / "upload.vw", repeats=4)  # 12 examples of 2 features and the constant
    model = VWModel.create("ratings", tmp_path / "ratings", "--oaa 3", durable=False)
    try:
        model.learn(["1 | a b c d e f g"] * 5, "text")
        assert model.statistics().features == 40
        model.load_file(upload)
        assert (model.statistics().examples, model.statistics().features) == (12, 36)
        model.learn(["2 | rain"], "text")
        assert (model.statistics().examples, model.statistics().features) == (13, 38)
    finally:
        model.close()
