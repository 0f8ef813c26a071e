"""The notebooks run end to end (small), write their charts, and are committed without outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STANDARD = ["outcomes_per_100_calls", "who_responds", "response_time", "police_hours", "cost", "utilisation_by_hour"]

# Files each notebook must write under CRISIS_SIM_NB_OUT.
EXPECTED = {
    "01_quickstart.ipynb": [
        *(f"response_models/figures/{stem}.png" for stem in STANDARD),
        "response_models/report.html",
        "paper_figures/outcomes_per_100_calls.png",
    ],
    "02_staffing_options.ipynb": [
        "sweep/figures/sweep_fallback_share.png",
        "sweep/figures/sweep_utilization_peer_team.png",
        "sweep/figures/reach_within_20_min.png",
        "staffing/figures/staffing_search.png",
    ],
    "03_webinar_charts.ipynb": [
        *(f"base_city/figures/{stem}.png" for stem in STANDARD),
        "base_city/report.html",
        "slides/1_2_base_city/who_responds.png",
        "slides/1_2_base_city/difference.png",
        "slides/3_idd_calls/outcomes_per_100_calls_idd.png",
        "slides/4_hartford/who_responds.png",
        "slides/5_launch/monthly.png",
        "slides/5_launch/monthly.svg",
        *(f"hartford/figures/{stem}.png" for stem in STANDARD),
        "hartford/report.html",
    ],
}


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_notebook_has_no_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{name}: cells {dirty} hold outputs; clear them before committing"


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory):
    """A `python3` kernelspec that runs this interpreter, so notebooks import the `sim` under test."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (crisis-sim tests)", "language": "python",
    }))
    return root


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_and_writes_its_charts(name, tmp_path, kernel_dir, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))  # searched before user and system kernelspecs
    monkeypatch.setenv("CRISIS_SIM_NB_DAYS", "5")
    monkeypatch.setenv("CRISIS_SIM_NB_REPS", "2")
    monkeypatch.setenv("CRISIS_SIM_NB_WORKERS", "1")
    monkeypatch.setenv("CRISIS_SIM_NB_OUT", str(out))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
    kernel_python = nb.cells[-1].outputs[0]["text"].strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()
    missing = [rel for rel in EXPECTED[name] if not (out / rel).is_file() or (out / rel).stat().st_size == 0]
    assert not missing, f"{name} did not write {missing}"
