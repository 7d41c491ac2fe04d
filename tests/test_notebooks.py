"""The notebooks run top to bottom in a fresh kernel, show their charts, and are stored without outputs."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["reproduce_2015.ipynb", "replicate_new_councils.ipynb"]


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_stored_without_outputs(name):
    code = [cell for cell in _read(name).cells if cell.cell_type == "code"]
    dirty = [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count is not None]
    assert code and not dirty, f"{name}: code cells {dirty} keep outputs; clear them before saving"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_shows_a_chart(name, tmp_path, monkeypatch):
    # The kernel inherits this environment: outputs and temporary projects go under tmp_path, not the checkout.
    monkeypatch.setenv("CASECODE_NOTEBOOK_OUT", str(tmp_path / "outputs"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = _read(name)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert any("image/png" in out.get("data", {}) for out in outputs), f"{name}: no chart shown inline"
