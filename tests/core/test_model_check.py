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


def test_a_child_whose_module_raises_as_it_is_imported_says_why_exactly(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception raised before the check's own code runs (while its module is imported) is its reason, as the
    child reports it from the start: the problems of a ValidationError, not a traceback's last lines guessed at."""
    (tmp_path / "crashing_check.py").write_text(
        "import pydantic\n"
        "class Spec(pydantic.BaseModel):\n"
        "    bits: int\n"
        "Spec.model_validate({})\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(UsageError, match=r"^refused \(ValidationError: bits: Field required \(got \{\}\)\)$"):
        run_check(["crashing_check"], {}, 30.0, "refused ({reason})", "checking")
    with pytest.raises(UsageError, match=r"^refused \(ImportError: No module named missing_check\)$"):
        run_check(["missing_check"], {}, 30.0, "refused ({reason})", "checking")


def test_a_child_that_exits_without_a_reason_is_reported_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that dies without an ``error:`` line is not quoted as if its last line were why the model is refused."""
    (tmp_path / "dying_check.py").write_text("import os, sys\nprint('half a message', file=sys.stderr, flush=True)\nos._exit(3)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(UsageError) as failed:
        run_check(["dying_check", "model"], {}, 30.0, "refused ({reason})", "checking")
    assert str(failed.value) == ("the check (checking) could not run: its child process (python -m dying_check) exited "
                                 "with code 3 without saying why (its last line on stderr: half a message); the appliance's "
                                 "Python environment may be broken: that module must import and run with the daemon's Python")


def test_a_long_reason_is_cut_to_one_bounded_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "long_check.py").write_text(
        "import sys\n"
        "def main():\n"
        "    raise ValueError('first line\\n' + 'x' * 2000)\n"
        "sys.exit(main())\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(UsageError) as refused:
        run_check(["long_check"], {}, 30.0, "refused ({reason})", "checking")
    assert str(refused.value).startswith("refused (ValueError: first line xxx")
    assert str(refused.value).endswith("...)") and len(str(refused.value)) == len("refused ()") + 400
