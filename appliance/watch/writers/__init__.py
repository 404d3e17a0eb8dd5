"""Where a watched run's numbers go (:mod:`.base`): TensorBoard event files, or JSON lines.

>>> import tempfile
>>> writer = open_writer(Path(tempfile.mkdtemp()) / "run", "jsonl")
>>> writer.scalars(10, {"reward/progressive": 0.5}); writer.close()
>>> [p.name for p in writer.directory.iterdir()]
['scalars.jsonl']
"""

from __future__ import annotations

from pathlib import Path

from appliance.errors import UsageError
from appliance.watch.writers.base import Format, RunWriter, have_tensorboardx


def open_writer(directory: Path, format: Format = "auto") -> RunWriter:
    """The writer of ``format`` for ``directory`` (created); ``auto``: event files if tensorboardX is installed."""
    if format == "tensorboard" or (format == "auto" and have_tensorboardx()):
        if not have_tensorboardx():
            raise UsageError("TensorBoard event files need tensorboardX: pip install -e '.[tensorboard]' "
                             "(or use format: jsonl, which needs nothing)")
        from appliance.watch.writers.event_file import EventFileWriter

        return EventFileWriter(directory)
    from appliance.watch.writers.jsonl import JsonLinesWriter

    return JsonLinesWriter(directory)
