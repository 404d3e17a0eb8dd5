"""The hello-world kit: the bill of materials (``kit/bom.yaml``), wiring diagrams drawn from a config's own pin
definitions, and the demo configs the dashboard's editor starts from.

>>> wiring = load_wiring(demo_path("hello-world"))
>>> [row["pin"] for row in wiring.rows()][:3], load_bom().total("hello-world")
(['GPIO17 (pin 11)', 'GPIO27 (pin 13)', 'GPIO22 (pin 15)'], 104.5)
"""

from appliance.kit.bom import BillOfMaterials, load_bom
from appliance.kit.breadboard import breadboard
from appliance.kit.errors import KitError, WiringError
from appliance.kit.files import demo_names, demo_path
from appliance.kit.schematic import schematic
from appliance.kit.wiring import Wiring, load_wiring, wiring_of

__all__ = ["BillOfMaterials", "KitError", "Wiring", "WiringError", "breadboard", "demo_names", "demo_path", "load_bom", "load_wiring",
           "schematic", "wiring_of"]
