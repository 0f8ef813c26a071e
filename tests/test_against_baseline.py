"""Against a baseline: sensitivity and sweep points each beside a baseline run in the same replications (paired)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import yaml
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.targets import parse_metric
from sim.cli import app
from sim.designs.sensitivity import SensitivityDesign, parse_vary, run_sensitivity
from sim.scenario.loading import validate_scenario
from test_sensitivity import city_with_idle_team


def program() -> dict:
    """Calls go to `crew`; `idle_team` is staffed but never sent a call (test_sensitivity's city)."""
    data = city_with_idle_team()
    data.update(name="program", label="Program", city="Testville (synthetic)")
    data["run"].update(days=4, replications=3, seed=11)
    data["teams"]["crew"]["units"] = 3
    return data


def baseline() -> dict:
    """The same city with a slower crew and no idle team."""
    data = program()
    data.update(name="status_quo", label="Status quo")
    data["teams"] = {"crew": {"kind": "civilian", "units": 3,
                              "on_scene_min": {"dist": "lognormal", "mean": 80, "sd": 30}}}
    return data


def test_the_difference_and_its_ci_come_from_paired_replications():
    scenario, base = validate_scenario(program()), validate_scenario(baseline())
    factors = tuple(parse_vary(v, scenario) for v in ("teams.idle_team.on_scene_min.mean=20:120",
                                                       "demand.crisis_calls_per_day=30:50"))
    design = SensitivityDesign(scenario, factors, parse_metric("wait_min_mean"), samples=4, replications=3,
                               baseline=base)
    assert [f.key for f in design.shared()] == ["demand.crisis_calls_per_day"]  # the idle team is the program's own
    result = run_sensitivity(design)
    samples, summary = result.samples, result.experiment.summary
    values = summary[(summary["metric"] == "wait_min_mean") & (summary["team"] == "")]
    by_run = {name: g.set_index("replication")["value"] for name, g in values.groupby("scenario")}
    # one baseline run per value of the shared input: the idle team's low and high share the base point's
    assert samples["baseline"].nunique() == 1 + 2 + 4
    rows = samples.set_index("scenario")
    assert rows.at["program__s1", "baseline"] == rows.at["program__s2", "baseline"] == rows.at["program__s0", "baseline"]
    for row in samples.itertuples():
        # the baseline ran with the point's demand, so the two see the same calls (common random numbers)
        assert result.experiment.scenario(row.baseline).demand == result.experiment.scenario(row.scenario).demand
        d = (by_run[row.scenario] - by_run[row.baseline]).to_numpy()
        assert len(d) == 3
        half = stats.t.ppf(0.975, len(d) - 1) * np.std(d, ddof=1) / math.sqrt(len(d))
        assert math.isclose(row.mean, d.mean(), rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(row.ci_low, d.mean() - half, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(row.ci_high, d.mean() + half, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(row.mean, row.level - row.baseline_level, rel_tol=1e-9, abs_tol=1e-9)
    coef = result.coefficients.set_index("input")
    # the idle team changes nothing, call for call: its swing of the difference is exactly zero
    assert coef.at["teams.idle_team.on_scene_min.mean", "swing"] == 0
    # the swing of demand is the paired difference (high − its baseline) − (low − its baseline)
    hi, lo = (rows.loc[samples[(samples["kind"] == k) & (samples["factor"] == "demand.crisis_calls_per_day")]
                       ["scenario"].iloc[0]] for k in ("high", "low"))
    swing = ((by_run[hi.name] - by_run[hi["baseline"]]) - (by_run[lo.name] - by_run[lo["baseline"]])).mean()
    assert math.isclose(coef.at["demand.crisis_calls_per_day", "swing"], swing, rel_tol=1e-9, abs_tol=1e-9)
    # the slower status quo waits longer: the program's difference is negative at the base point
    assert rows.at["program__s0", "mean"] < 0


def write(tmp_path, data: dict, name: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_cli_draws_the_difference_against_a_baseline(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "sensitivity", str(write(tmp_path, program(), "program")), "--baseline",
        str(write(tmp_path, baseline(), "status_quo")), "--vary", "teams.idle_team.on_scene_min.mean=20:120",
        "--vary", "teams.crew.on_scene_min.mean=40:80", "--metric", "wait_min_mean", "--samples", "4", "-r", "2",
        "--days", "2", "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "difference in wait_min_mean from status_quo" in result.output
    info = json.loads((out / "manifest.json").read_text())["sensitivity"]
    assert info["baseline"] == "status_quo" and info["shared_inputs"] == ["teams.crew.on_scene_min.mean"]
    svg = (out / "figures" / "tornado.svg").read_text()
    for words in ("Same as Status quo", "Difference from Status quo", "shorter", "paired 95% CIs", "Testville"):
        assert words in svg, words


def test_bad_baseline_is_exit_2_and_writes_nothing(tmp_path):
    scenario = write(tmp_path, program(), "program")
    args = ["sensitivity", str(scenario), "--vary", "teams.crew.on_scene_min.mean=40:80", "--samples", "4",
            "-r", "2", "--days", "2", "--quiet"]
    out = tmp_path / "out"
    missing = CliRunner().invoke(app, [*args, "--metric", "wait_min_mean", "--baseline", str(tmp_path / "nope.yaml"),
                                       "--out", str(out)])
    assert missing.exit_code == 2, missing.output
    assert "nope.yaml" in missing.output and "--baseline" in missing.output and "Traceback" not in missing.output
    no_team = CliRunner().invoke(app, [*args, "--metric", "utilization[idle_team]", "--baseline",
                                       str(write(tmp_path, baseline(), "status_quo")), "--out", str(out)])
    assert no_team.exit_code == 2, no_team.output
    assert "status_quo" in no_team.output and "idle_team" in no_team.output
    assert not out.exists()


def test_a_sweep_against_a_baseline_charts_the_paired_difference_and_reference_lines(tmp_path):
    from sim.designs.sweep import make_sweep, run_sweep
    from sim.outputs.folders import save

    scenario, base = validate_scenario(program()), validate_scenario(baseline())
    sweep = make_sweep(scenario, {"teams.idle_team.units": [1, 2, 3]}, baseline=base, replications=3,
                       metrics=["wait_min_mean", "utilization[idle_team]"])
    assert sweep.shared == [] and len(sweep.baseline_runs) == 1  # the idle team is the program's own: one run
    assert [str(m) for m in sweep.compared] == ["wait_min_mean"]  # the baseline has no idle team to compare
    result = run_sweep(sweep)
    summary = result.experiment.summary
    values = summary[(summary["metric"] == "wait_min_mean") & (summary["team"] == "")]
    by_run = {name: g.set_index("replication")["value"] for name, g in values.groupby("scenario")}
    for row in result.differences.itertuples():
        d = (by_run[row.scenario] - by_run[row.baseline]).to_numpy()
        half = stats.t.ppf(0.975, len(d) - 1) * np.std(d, ddof=1) / math.sqrt(len(d))
        assert math.isclose(row.diff_mean, d.mean(), rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(row.ci_high, d.mean() + half, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(row.ci_low, d.mean() - half, rel_tol=1e-9, abs_tol=1e-9)
    folder = save(result, tmp_path / "out")
    figures = folder / "figures"
    diff_svg = (figures / "sweep_diff_wait_min_mean.svg").read_text()
    assert "Same as Status quo" in diff_svg and "the change against" in diff_svg
    level_svg = (figures / "sweep_wait_min_mean.svg").read_text()
    assert "Status quo:" in level_svg  # the baseline's level as a line
    assert "As in the scenario: 2" in level_svg  # the scenario's own setting of the varied key
    assert "Testville (synthetic). Simulated, not a forecast" in " ".join(level_svg.split())  # the place
    assert not (figures / "sweep_diff_utilization_idle_team.png").exists()
    points = pd.read_csv(folder / "points.csv")
    assert set(points["baseline"]) == {"status_quo__b0"}


def test_a_shared_key_is_set_in_the_baseline_too():
    from sim.designs.sweep import make_sweep

    sweep = make_sweep(validate_scenario(program()), {"teams.crew.units": [2, 4]},
                       baseline=validate_scenario(baseline()), replications=2)
    assert sweep.shared == ["teams.crew.units"]
    assert [s.teams["crew"].units for s in sweep.baseline_runs] == [2, 4]


def test_a_sweep_with_a_missing_baseline_file_is_exit_2(tmp_path):
    write(tmp_path, program(), "program")
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"scenario": "program.yaml", "baseline": "nope.yaml",
                                    "vary": {"teams.crew.units": [2, 3]}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "nope.yaml" in result.output and "baseline" in result.output and "Traceback" not in result.output
    assert not out.exists()
