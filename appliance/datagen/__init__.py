"""Sample data for VW from one declarative spec: every problem type, in VW text, DSJSON and FlatBuffers, with the
ground truth beside it, reward delays, drift and trouble. ``wabbit gen`` is its command line.

>>> import tempfile
>>> from pathlib import Path
>>> spec = load_spec_text("examples: 10\\nproblem: {type: multiclass}\\nactions: {pool: 3}")
>>> with tempfile.TemporaryDirectory() as tmp:
...     truth = generate(spec, Path(tmp) / "data.txt", "text")
...     first = (Path(tmp) / "data.txt").read_text().splitlines()[0]
>>> truth["vw_args"], first.split(" ")[1]
('--oaa 3', "'gen-000000000")
"""

from __future__ import annotations

from appliance.datagen.draw import Draw
from appliance.datagen.generate import generate, vw_arguments
from appliance.datagen.spec import GenSpec, load_spec, load_spec_text, schema_text, spec_schema
from appliance.datagen.writers import FORMATS

__all__ = ["FORMATS", "Draw", "GenSpec", "generate", "load_spec", "load_spec_text", "schema_text", "spec_schema", "vw_arguments"]
