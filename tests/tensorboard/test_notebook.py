"""The live-plots notebook runs top to bottom in a real Jupyter kernel: a daemon watched through its event stream, a
simulation watched on its bus, a sweep written for TensorBoard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="tests/requirements/introspect.txt installs nbformat")
nbclient = pytest.importorskip("nbclient", reason="tests/requirements/introspect.txt installs nbclient")
NOTEBOOK = Path(__file__).parents[2] / "demos" / "live-training.ipynb"


@pytest.mark.slow
def test_the_live_training_notebook_runs_in_a_jupyter_kernel(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed without outputs
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    text = "\n".join(out.get("text", "") for out in outputs)
    seen = re.search(r"(\d+) decisions seen, (\d+) joined", text)
    assert seen and int(seen.group(1)) >= 20 and int(seen.group(2)) >= 10, text
    band = re.search(r"reward ([\d.]+), 95% confidence sequence \[([\d.]+), ([\d.]+)\], random", text)
    assert band and float(band.group(2)) <= float(band.group(1)) <= float(band.group(3)), text
    assert "daemon stopped with code 0" in text
    share = re.search(r"simulated 4000 decisions: ([\d.]+) of the oracle's reward, random ([\d.]+)", text)
    assert share and float(share.group(1)) > float(share.group(2)), text
    assert "run00-learning_rate=0.05" in text and "tensorboard --logdir" in text
    widgets = [out for out in outputs if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(widgets) == 2  # the daemon's view and the simulation's
