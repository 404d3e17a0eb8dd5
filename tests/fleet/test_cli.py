"""``wabbit fleet``'s errors a user can act on: an option out of its range names the option, a port already in use
says so and which option to change, a ``--dir`` that cannot be a directory says so; none is a traceback, and nothing is left open."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from appliance.cli import main


@pytest.mark.parametrize("option, value, says", [("--port", "99999", "less than or equal to 65535"),
                                                  ("--grace-s", "0", "greater than 0"),
                                                  ("--idle-timeout-s", "-1", "greater than 0")])
def test_an_option_out_of_range_is_named(option: str, value: str, says: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "--dir", str(tmp_path), "--port", "0", option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"wabbit fleet: {option} {value}: ") and says in err and "Traceback" not in err


def test_a_port_in_use_is_said_and_the_join_is_closed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["fleet", "--dir", str(tmp_path), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "--port" in err and "in use" in err
    db = tmp_path / "state" / "join.db"
    assert not Path(f"{db}-wal").exists()  # the join's database was closed (SQLite removes its WAL at the last close)


def test_a_dir_that_cannot_be_a_directory_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("not a directory")
    assert main(["fleet", "--dir", str(tmp_path / "file"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'file'}/inbox: cannot make the directory" in err and "--dir" in err
