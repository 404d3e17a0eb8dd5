"""The demo notebook (an introduction to pyvw and to introspection) runs top to bottom in a real Jupyter kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="tests/requirements/introspect.txt installs nbformat")
nbclient = pytest.importorskip("nbclient", reason="tests/requirements/introspect.txt installs nbclient")
NOTEBOOK = Path(__file__).parents[2] / "demos" / "introspect.ipynb"


def test_the_demo_notebook_runs_in_a_jupyter_kernel(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed without outputs
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs)
    assert "FeatureName" in text and "room^dark*colour^warm" in text and "reward space" in text
    assert "rows contain 'warm'" in text
    widgets = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
               if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert widgets  # the browser was displayed as a widget
