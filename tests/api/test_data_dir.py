"""The data directory is one daemon's, and private: a second `wabbit run` on it is refused, naming the first."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.api.conftest import Running
from tests.conftest import free_port


def test_a_second_daemon_on_the_same_data_directory_is_refused(daemon: Running) -> None:
    second = subprocess.run([sys.executable, "-m", "appliance", "run", "--port", str(free_port()), "--data-dir",
                             str(daemon.data_dir)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 2, second.stderr
    assert f"is used by another wabbit process (pid {daemon.proc.pid})" in second.stderr
    with daemon.client() as c:  # the first one carries on
        assert c.post("/api/decide", json={}).status_code == 200


def test_the_data_directory_and_what_is_in_it_are_private(daemon: Running) -> None:
    with daemon.client() as c:
        deadline = time.monotonic() + 10
        while c.get("/api/status").json()["loop"]["learned"] < 5:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    daemon.stop()
    assert daemon.data_dir.stat().st_mode & 0o777 == 0o700
    files = [p for p in daemon.data_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"token", "wal.sqlite", "events-000001.dsjson"}
    assert [str(p) for p in files if p.stat().st_mode & 0o077] == []
    assert all(p.stat().st_mode & 0o077 == 0 for p in daemon.data_dir.rglob("*") if p.is_dir())


def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path) -> None:
    from appliance.storage.datadir import DataDir

    data = tmp_path / "data"
    (data / "events").mkdir(parents=True)
    (data / "events" / "events-000001.dsjson").write_text("")
    (data / "events").chmod(0o755)
    claim = DataDir.claim(data)
    claim.release()
    assert (data / "events").stat().st_mode & 0o777 == 0o700
    assert (data / "events" / "events-000001.dsjson").stat().st_mode & 0o777 == 0o600
