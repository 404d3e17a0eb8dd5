"""A model check that fails in its child quotes why: the child's own reason, not the last line of a long message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.errors import UsageError
from appliance.policy.model_check import check_model_file, run_check


def test_a_policy_the_child_cannot_validate_is_refused_with_the_validation_error(tmp_path: Path) -> None:
    (tmp_path / "model").write_bytes(b"not a linucb model")
    with pytest.raises(UsageError) as refused:
        check_model_file(tmp_path / "model", {"type": "linucb", "actions": [{"id": "a"}, {"id": "b"}], "ridge": -1})
    message = str(refused.value)
    assert message.startswith("the linucb policy cannot use this model (ValidationError: linucb.ridge: ")
    assert "linucb.ridge: Input should be greater than 0 (got -1)" in message
    assert "For further information" not in message and "\n" not in message


def test_a_child_that_crashes_with_a_traceback_is_refused_with_its_exception(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "crashing_check.py").write_text(
        "import pydantic\n"
        "class Spec(pydantic.BaseModel):\n"
        "    bits: int\n"
        "Spec.model_validate({})\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(UsageError, match=r"^refused \(pydantic_core\._pydantic_core\.ValidationError: 1 validation error "
                                         r"for Spec bits Field required \[type=missing, input_value=\{\}, "
                                         r"input_type=dict\]\)$"):
        run_check(["crashing_check"], {}, 30.0, "refused ({reason})", "checking")


def test_a_long_reason_is_cut_to_one_bounded_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "long_check.py").write_text(
        "import sys\n"
        "from appliance.policy.model_check import child_main\n"
        "def main():\n"
        "    raise ValueError('first line\\n' + 'x' * 2000)\n"
        "sys.exit(child_main(main))\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(UsageError) as refused:
        run_check(["long_check"], {}, 30.0, "refused ({reason})", "checking")
    assert str(refused.value).startswith("refused (ValueError: first line xxx")
    assert str(refused.value).endswith("...)") and len(str(refused.value)) == len("refused ()") + 400
