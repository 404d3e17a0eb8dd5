"""The SQL of one group commit of the write-ahead log: its records as few statements as possible.

A run of inserts of one kind is one multi-row ``INSERT`` (up to :data:`MAX_PARAMETERS` parameters, the limit of every
SQLite version), not an ``executemany``: SQLite's module lets go of the interpreter's lock around every step, and each
step's return waits for the lock, which the event loop holds while it serves requests (up to the 5 ms switch interval).
A commit of k decisions took k + 3 such waits (``BEGIN``, k inserts, ``COMMIT``); now it takes one: a batch that is a
single statement needs no ``BEGIN``/``COMMIT`` (SQLite commits it as its own transaction, synced as any other).

Forgetting is one ``DELETE ... IN (...)`` per table and :data:`MAX_PARAMETERS` ids, not an ``executemany`` per id: each
sync of the event log forgets every decision joined since the last (~2,000 rows at 2,000 decides a second), and that
commit, which every decision queued behind it waits for, took 22-47 ms as 4,000 steps and 12-24 ms as 6 statements
(docs/client-benchmarks.md).
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import Any, Iterable, Sequence

MAX_PARAMETERS = 999
"""SQLite's lowest limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER before 3.32)."""
INSERTS = {
    "d": ("INSERT OR REPLACE INTO decisions VALUES ", 3),
    "r": ("INSERT INTO rewards (event_id, seq, value, ts, reward_id, late, key, decision) VALUES ", 8),
}
"""The multi-row insert of each kind of record: its head and its number of columns."""
DELETES = {
    "f": ("DELETE FROM decisions WHERE event_id IN ({})", "DELETE FROM rewards WHERE event_id IN ({}) AND late IS NULL"),
    "l": ("DELETE FROM rewards WHERE key IN ({})",),
}
"""The statements that drop the ids forgetting records hold, up to :data:`MAX_PARAMETERS` ids each (``{}``: their
placeholders)."""
Statement = tuple[str, Sequence[Any]]
"""SQL and its parameters."""


def statements(records: Iterable[tuple[str, Any]]) -> list[Statement]:
    """The statements that write ``records`` ((kind, payload), in order; kind ``n`` writes nothing).

    >>> [(sql[:39], list(p)) for sql, p in statements([("d", ("e1", 1.0, "{}")), ("d", ("e2", 2.0, "{}"))])]
    [('INSERT OR REPLACE INTO decisions VALUES', ['e1', 1.0, '{}', 'e2', 2.0, '{}'])]
    >>> [sql.count("(?, ?, ?)") for sql, _ in statements([("d", ("e1", 1.0, "{}"))] * 400)]
    [333, 67]
    >>> statements([("n", None), ("l", [("k1",), ("k2",)])])
    [('DELETE FROM rewards WHERE key IN (?, ?)', ['k1', 'k2'])]
    >>> [len(p) for _, p in statements([("f", [(f"e{i}",) for i in range(1500)])])]
    [999, 501, 999, 501]
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
                out.append((head + ", ".join([row] * len(chunk)), [value for p in chunk for value in p]))
        elif kind in DELETES:
            ids = [key for p in payloads for (key,) in p]
            for sql in DELETES[kind]:
                for start in range(0, len(ids), MAX_PARAMETERS):
                    chunk = ids[start:start + MAX_PARAMETERS]
                    out.append((sql.format(", ".join("?" * len(chunk))), chunk))
    return out
