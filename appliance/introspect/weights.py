"""A model's weights, read from the workspace itself (``json_weights``: every non-zero weight in one native call).

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet -b 10")
>>> ws.learn("1 |a x")
>>> w = dense_weights(ws)
>>> w.shape, int((w != 0).sum())
((1024,), 2)
>>> ws.finish()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from appliance.models.base import weight_entries


def nonzero_weights(workspace: Any) -> tuple[np.ndarray, np.ndarray]:
    """Indexes (as ``--invert_hash`` numbers them) and values of every non-zero weight, by index."""
    entries = weight_entries(workspace)
    index = np.fromiter((e["index"] for e in entries), np.int64, len(entries))
    value = np.fromiter((e["value"] for e in entries), np.float64, len(entries))
    order = np.argsort(index, kind="stable")
    return index[order], value[order]


def dense_weights(workspace: Any) -> np.ndarray:
    """Every weight of the model (one per index, zeros included) as float64."""
    index, value = nonzero_weights(workspace)
    dense = np.zeros(int(workspace.num_weights()), np.float64)
    dense[index] = value
    return dense
