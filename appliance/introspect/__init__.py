"""Model introspection for any pyvw ``Workspace``: vw-varinfo in one pass, per-decision explanations.

>>> import vowpalwabbit
>>> from appliance.introspect import Observations, varinfo
>>> ws = vowpalwabbit.Workspace("--quiet")
>>> ws.learn("1 |room dark:0.5")
>>> seen = Observations.of(ws)
>>> seen.add_example([("room", [("dark", 0.5)])])
>>> print(varinfo(ws, seen).sorted().to_text(), end="")
FeatureName  HashVal    MinVal    MaxVal     Weight RelScore Importance
room^dark     189399    0.5000    0.5000   0.506931   100.00   0.253466
Constant      116060    1.0000    1.0000   0.253466     0.00   0.253466
>>> ws.finish()
"""

from appliance.introspect.layout import ModelLayout, open_model, read_layout
from appliance.introspect.observed import Observations
from appliance.introspect.readers import read_data
from appliance.introspect.table import Varinfo
from appliance.introspect.terms import Features
from appliance.introspect.varinfo import diff, varinfo

__all__ = ["Features", "ModelLayout", "Observations", "Varinfo", "diff", "open_model", "read_data", "read_layout", "varinfo"]
