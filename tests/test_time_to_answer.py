"""What makes `crisis-sim run` quicker to answer changes no result: the packed event log gives the
same tables, and charts drawn by helper processes are the same files (a failing chart still fails
the save, writing nothing)."""

from __future__ import annotations

import numpy as np
import pytest

import sim.engine.eventlog as eventlog
from helpers import small_city
from sim.engine.model import Model
from sim.outputs.plots import draw_all
from sim.scenario.loading import validate_scenario

TABLES = ("calls", "jobs", "fallbacks", "backups", "staffing", "overtime", "waiting", "duty")


def _tables(monkeypatch, pack_rows: int) -> dict:
    monkeypatch.setattr(eventlog, "PACK_ROWS", pack_rows)
    scenario = validate_scenario(small_city())
    log = Model(scenario, 0, days=20, warmup_days=2).run()
    return {name: log.table(name) for name in TABLES}, log


def test_packed_event_log_gives_the_same_columns_as_rows_kept_whole(monkeypatch):
    packed, log = _tables(monkeypatch, 1)  # packed every day, whatever the volume
    whole, _ = _tables(monkeypatch, 10**9)  # never packed during the run
    assert len(log._packed["jobs"]) == 1 and log.rows("jobs") > 100, "the jobs were not packed during the run"
    for name in TABLES:
        assert packed[name].keys() == whole[name].keys()
        for column, values in whole[name].items():
            got = packed[name][column]
            assert got.dtype == values.dtype, (name, column)
            np.testing.assert_array_equal(got, values, err_msg=f"{name}.{column}")
            assert not len(got) or not got.flags.writeable


def test_rows_appended_after_a_read_are_in_the_next_read():
    scenario = validate_scenario(small_city())
    log = Model(scenario, 0, days=3, warmup_days=0).run()
    first = log.table("calls")
    row = eventlog.CallRow(10**6, 10**6, 0, 1.0, 0, 0, 0, False, 0, True)
    log.calls.append(row)
    again = log.table("calls")
    assert len(again["call_id"]) == len(first["call_id"]) + 1 and again["call_id"][-1] == 10**6


def test_the_logs_narrow_columns_keep_every_value_and_refuse_one_that_does_not_fit():
    log = eventlog.EventLog(horizon_min=10.0, warmup_min=0.0, team_names=["a"], type_names=["t"])
    edge = eventlog.JobRow(kind=127, call_id=2**62, team=32_767, unit=2**31 - 1, requested_min=0.5, assigned_min=1.0,
                           on_scene_min=2.0, clear_min=3.0, disposition=-128, priority=-1)
    low = edge._replace(kind=-128, team=-32_768, unit=-(2**31), disposition=127, priority=127)
    log.jobs += [edge, low]
    jobs = log.table("jobs")
    for i, row in enumerate((edge, low)):
        for column, value in row._asdict().items():
            got = jobs[column][i]
            assert got == value or (got != got and value != value), (column, got, value)
    assert jobs["team"].dtype == np.int16 and jobs["clear_min"].dtype == np.float64
    # a value out of a narrow column's range is refused when packed, never wrapped around
    too_big = eventlog.EventLog(horizon_min=10.0, warmup_min=0.0, team_names=["a"], type_names=["t"])
    too_big.jobs.append(edge._replace(team=32_768))
    with pytest.raises(OverflowError):
        too_big.table("jobs")


HELPER_RUN = """
import sys
from sim.outputs.chart_workers import ChartHelpers
from sim.scenario.loading import validate_scenario
from helpers import small_city
import sim
{patch}
exp = sim.run_experiment([validate_scenario(small_city())], replications=2, days=10, warmup_days=1, workers=1)
with ChartHelpers(2, only_with_a_spare_core=False) as helpers:  # a fresh process: one thread, so they fork
    print("helpers" if helpers else "none")
    try:
        sim.save(exp, sys.argv[1], helpers=helpers)
    except RuntimeError as exc:
        print("failed:", str(exc).splitlines()[0])
"""


def _run_with_helpers(tmp_path, patch: str = ""):
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    out = subprocess.run([sys.executable, "-c", HELPER_RUN.format(patch=patch), str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=tests.parent, timeout=600,
                         env={**__import__("os").environ, "PYTHONPATH": str(tests)})
    assert out.returncode == 0, out.stderr[-2000:]
    if out.stdout.startswith("none"):
        pytest.skip("no fork or one core: charts are drawn in the command's own process")
    return out.stdout


def test_helpers_draw_the_same_chart_files_as_one_process(tmp_path):
    _run_with_helpers(tmp_path)
    folder = tmp_path / "out"
    one = draw_all(folder, out=tmp_path / "one")
    assert sorted(p.name for p in (folder / "figures").iterdir()) == sorted(p.name for p in one)
    for p in one:
        if p.suffix == ".png":
            assert (folder / "figures" / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_chart_failing_in_a_helper_fails_the_save_and_writes_nothing(tmp_path):
    patch = """
import sim.outputs.plots as plots
def broken(*args, **kwargs):
    raise ValueError("no ink left")
plots.CHARTS = (plots.Chart(plots.CHARTS[0].stem, "broken", broken), *plots.CHARTS[1:])
"""
    stdout = _run_with_helpers(tmp_path, patch)
    assert "failed: drawing the charts failed: ValueError: no ink left" in stdout
    assert not (tmp_path / "out").exists()


def _leaves(dense, sparse, path=""):
    import dataclasses

    if isinstance(dense, np.ndarray):
        yield path, dense, sparse
    elif isinstance(dense, dict):
        for k in dense:
            yield from _leaves(dense[k], sparse[k], f"{path}[{k}]")
    elif isinstance(dense, list):
        for i, v in enumerate(dense):
            yield from _leaves(v, sparse[i], f"{path}[{i}]")
    elif dataclasses.is_dataclass(dense):
        for f in dataclasses.fields(dense):
            yield from _leaves(getattr(dense, f.name), getattr(sparse, f.name), f"{path}.{f.name}")


@pytest.mark.parametrize("name", ["peer_embedded", "co_responder"])
def test_a_repeat_generation_keeps_the_rows_that_can_be_calls_with_the_numbers_of_the_dense_one(name):
    from pathlib import Path

    from sim.engine.calls import make_call_book
    from sim.engine.people import People
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / f"{name}.yaml")
    horizon = 200 * 1440
    book = make_call_book(scenario, 7, 2, horizon)
    chance = People(scenario.demand.repeat, 7, 2, book.n_primary).chance_max()
    dense = [book.generation(j) for j in range(4)]
    arrival = book.arrival_min.copy()
    can = np.ones(book.n_primary, bool)
    for j in (1, 2, 3):
        # rows that can be calls: the previous one was, its repeat uniform is below the highest chance, in time
        arrival = arrival + dense[j - 1].repeat_delay_min
        can &= (dense[j - 1].u_repeat < chance) & (arrival <= horizon)
        compact = book.next_generation(chance)
        assert np.array_equal(compact.persons, np.flatnonzero(can))
        assert 0 < len(compact.persons) < book.n_primary
        checked = 0
        for path, values, kept in _leaves(dense[j], compact):
            if path == ".persons":
                continue
            assert kept.dtype == values.dtype and np.array_equal(kept, values[compact.persons]), f"generation {j}{path}"
            checked += 1
        assert checked >= 15

KEEP_FOR = """
import sys
from sim.outputs.chart_workers import HELPERS_UP_TO_CALLS, ChartHelpers

small, large = ChartHelpers(2, only_with_a_spare_core=False), ChartHelpers(2, only_with_a_spare_core=False)
if not small:
    print("none")
    sys.exit()
procs = [large.process]
small.keep_for(HELPERS_UP_TO_CALLS)
large.keep_for(HELPERS_UP_TO_CALLS + 1)
print(bool(small), bool(large))
large.close()
small.close()
print(all(not p.is_alive() for p in procs))
"""


def test_a_long_run_lets_its_chart_helpers_go_and_a_short_one_keeps_them():
    import subprocess
    import sys
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", KEEP_FOR], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    if out.stdout.startswith("none"):
        pytest.skip("no fork or one core: no chart helpers here")
    assert out.stdout.split() == ["True", "False", "True"]


BUSY = """
import os, sys
from sim.outputs import chart_workers

cores = os.cpu_count() or 1
if cores < 2:
    print("none")
    sys.exit()
chart_workers.busy_elsewhere = lambda: cores - 1   # every other core taken: drawing here is cheaper
busy = chart_workers.ChartHelpers(2)
chart_workers.busy_elsewhere = lambda: 0           # an idle machine, whatever the load average says
idle = chart_workers.ChartHelpers(2)
print(bool(busy), bool(idle))
idle.close()
"""


def test_chart_helpers_start_only_with_a_core_to_spare_now():
    import subprocess
    import sys
    from pathlib import Path

    from sim.outputs.chart_workers import busy_elsewhere

    assert 0 <= busy_elsewhere() < 10_000
    out = subprocess.run([sys.executable, "-c", BUSY], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    if out.stdout.startswith("none"):
        pytest.skip("one core: no chart helpers here")
    assert out.stdout.split() == ["False", "True"]


LET_GO = """
import os, sys
from sim.outputs import chart_workers

if (os.cpu_count() or 1) < 2:
    print("none")
    sys.exit()
chart_workers.busy_elsewhere = lambda: 0
chart_workers.HELPERS_UP_TO_CALLS = 10  # this run is "long": its helper is let go once the estimate is known
sys.argv = ["crisis-sim", "run", sys.argv[1], "-r", "1", "--days", "3", "--workers", "1", "--out", sys.argv[2],
            "--quiet"]
from sim.cli import main
main()
"""


def test_a_helper_let_go_ends_quietly_without_a_traceback(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from helpers import write_yaml

    path = write_yaml(tmp_path / "s.yaml", small_city())
    out = subprocess.run([sys.executable, "-c", LET_GO, str(path), str(tmp_path / "out")], capture_output=True,
                         text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    if out.stdout.startswith("none"):
        pytest.skip("one core: no chart helpers here")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "Interrupted" not in out.stderr, out.stderr[-2000:]
    assert (tmp_path / "out" / "figures").is_dir()
