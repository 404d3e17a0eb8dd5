"""A log of the real loop on the light world, with a line VW must skip (``_skipLearn``) and a malformed one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.config import AppConfig
from appliance.simulate import simulate


@pytest.fixture(scope="session")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1500 light-world lines: line 6 has ``_skipLearn``, line 11 is not JSON."""
    directory = tmp_path_factory.mktemp("log")
    result = simulate(AppConfig.model_validate({"simulation": {"world": "light", "seed": 3}}), 1500, directory)
    lines = Path(result["log"]).read_text().splitlines()
    skipped = json.loads(lines[5])
    skipped["_skipLearn"] = True
    lines[5] = json.dumps(skipped)
    path = directory / "parity.dsjson"
    path.write_text("\n".join(lines[:10] + ["{not json", ""] + lines[10:]) + "\n")
    return path
