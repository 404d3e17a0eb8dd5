"""``vw``: a given VW model's pmf (``--cb_explore`` or ``--cb_explore_adf``), predicted for each example's text.

The model only predicts: it does not learn from the data it logs, so the logging policy stays one policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from appliance.datagen.policies.base import Situation
from appliance.errors import UsageError


class VWModelPolicy:
    name = "vw"

    def __init__(self, model: Path) -> None:
        import vowpalwabbit

        from appliance.introspect.layout import check_model_file

        if not model.is_file():
            raise UsageError(f"{model}: no such VW model (logging.model); train one with --cb_explore_adf and save it with -f")
        check_model_file(model)  # VW would end in "Bad model format"
        self._model = model
        self._vw: Any = vowpalwabbit.Workspace(arg_list=["--quiet", "-i", str(model)])  # a list: a path may hold spaces

    def probabilities(self, situation: Situation) -> np.ndarray:
        offered = situation.offered
        out = np.zeros(offered.shape)
        for i in range(len(offered)):
            try:  # the text as is: pyvw splits it into lines for a multi-line (ADF) model only
                pmf = self._vw.predict(situation.example_text(i))
            except TypeError as err:  # a single-line model given an example of several lines
                raise UsageError(f"the logging model {self._model} cannot predict these examples ({err}): it must be a --cb_explore "
                                 "model for problem cb, or a --cb_explore_adf one for cb_adf") from None
            if not isinstance(pmf, list) or len(pmf) != int(offered[i].sum()):
                raise UsageError(f"the logging model gave {pmf!r} for an example of {int(offered[i].sum())} actions: "
                                 "it must be a --cb_explore or --cb_explore_adf model over the same actions")
            out[i, offered[i]] = pmf
        return out
