"""The SQL of one group commit of the write-ahead log: its records as few statements as possible.

A run of inserts of one kind is one multi-row ``INSERT`` (up to :data:`MAX_PARAMETERS` parameters, the limit of every
SQLite version), not an ``executemany``: SQLite's module lets go of the interpreter's lock around every step, and each
step's return waits for the lock, which the event loop holds while it serves requests (up to the 5 ms switch interval).
A commit of k decisions took k + 3 such waits (``BEGIN``, k inserts, ``COMMIT``); now it takes one: a batch that is a
single statement needs no ``BEGIN``/``COMMIT`` (SQLite commits it as its own transaction, synced as any other;
an ``executemany`` of several rows is several, so it keeps them).
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import Any, Iterable, Sequence

MAX_PARAMETERS = 999
"""SQLite's lowest limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER before 3.32)."""
INSERTS = {
    "d": ("INSERT OR REPLACE INTO decisions VALUES ", 3),
    "r": ("INSERT INTO rewards (event_id, value, ts, reward_id, late, key, decision) VALUES ", 7),
}
"""The multi-row insert of each kind of record: its head and its number of columns."""
DELETES = {
    "f": ("DELETE FROM decisions WHERE event_id = ?", "DELETE FROM rewards WHERE event_id = ? AND late IS NULL"),
    "l": ("DELETE FROM rewards WHERE key = ?",),
}
"""The statements run (``executemany``) for each id a forgetting record holds."""
Statement = tuple[str, Sequence[Any], bool]
"""SQL, its parameters, and whether they are many rows (``executemany``) or one statement's (``execute``)."""


def statements(records: Iterable[tuple[str, Any]]) -> list[Statement]:
    """The statements that write ``records`` ((kind, payload), in order; kind ``n`` writes nothing).

    >>> [(sql[:39], list(p), many) for sql, p, many in statements([("d", ("e1", 1.0, "{}")), ("d", ("e2", 2.0, "{}"))])]
    [('INSERT OR REPLACE INTO decisions VALUES', ['e1', 1.0, '{}', 'e2', 2.0, '{}'], False)]
    >>> [sql.count("(?, ?, ?)") for sql, _, _ in statements([("d", ("e1", 1.0, "{}"))] * 400)]
    [333, 67]
    >>> [(sql[:22], p) for sql, p, _ in statements([("n", None), ("l", [("k1",), ("k2",)])])]
    [('DELETE FROM rewards WH', [('k1',), ('k2',)])]
    """
    out: list[Statement] = []
    for kind, run in groupby(records, key=itemgetter(0)):  # in order, a run of one kind at a time
        payloads = [payload for _, payload in run]
        if kind in INSERTS:
            head, columns = INSERTS[kind]
            row = "(" + ", ".join("?" * columns) + ")"
            per_statement = MAX_PARAMETERS // columns
            for start in range(0, len(payloads), per_statement):
                chunk = payloads[start:start + per_statement]
                out.append((head + ", ".join([row] * len(chunk)), [value for p in chunk for value in p], False))
        elif kind in DELETES:
            ids = [row for p in payloads for row in p]
            out.extend((sql, ids, True) for sql in DELETES[kind])
    return out
