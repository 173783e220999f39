"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom on the sample."""

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import NOTEBOOKS, workspace

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_three_notebooks_are_there():
    assert [p.name for p in PATHS] == ["01_quickstart.ipynb", "02_explore_failures.ipynb", "03_postmortem.ipynb"]


def execute(path, cwd, **parameters):
    """Run a notebook in a fresh kernel, papermill-style parameters injected after the parameters cell."""
    nb = nbformat.read(path, as_version=4)
    if parameters:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items())))
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                   extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    return nb


def problems(nb):
    """Error outputs and anything written to stderr (warnings included), per cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr"):
                found.append((i, out.get("ename") or out.get("text")))
    return found


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_says_first_how_to_use_your_own_recordings(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    text = " ".join(first.source.split())
    assert "your own recordings" in text and "`source`" in text


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_top_to_bottom_on_the_sample(path, tmp_path):
    cwd = workspace(tmp_path)
    nb = execute(cwd / path.name, cwd)
    assert problems(nb) == []
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert sorted(p.name for p in cwd.iterdir()) == sorted(p.name for p in PATHS)  # it wrote nothing


@pytest.mark.parametrize("parameters, message", [
    ({"start": 5}, "start must be a time such as '2026-11-16 21:05' (UTC), not the bare number 5"),
    ({"market": "options"}, "market must be one of spot, futures, unknown (or a list of them), not 'options'"),
    ({"start": "2030-01-01"}, "no calls from 2030-01-01 00:00:00 UTC to the end"),
])
def test_postmortem_notebook_stops_with_a_clear_message(parameters, message, tmp_path):
    from nbclient.exceptions import CellExecutionError

    cwd = workspace(tmp_path)
    with pytest.raises(CellExecutionError) as caught:
        execute(cwd / "03_postmortem.ipynb", cwd, **parameters)
    # nothing to report is a ReportError of its own kind: the command line ends with status 1 for it
    assert caught.value.ename == ("NoCallsError" if message.startswith("no calls") else "ReportError")
    assert message in caught.value.evalue
