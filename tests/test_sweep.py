"""Sweeps: expansion of sweep files into derived scenarios, bad input before any run, and the results folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import ScenarioError
from sim.designs.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def small_city() -> dict:
    """Two teams: a peer team on two shifts takes low-risk calls first, police take the rest."""
    return {
        "name": "small_city",
        "label": "Small city",
        "run": {"days": 10, "warmup_days": 1, "replications": 2, "seed": 11},
        "demand": {
            "crisis_calls_per_day": 30,
            "call_types": {"mental_health": {"share": 0.7, "risk": {"low": 0.7, "high": 0.3}},
                           "welfare_check": {"share": 0.3}},
        },
        "teams": {
            "police": {"kind": "police", "units": 4, "on_scene_min": {"dist": "exponential", "mean": 40},
                       "response_min": {"dist": "constant", "value": 5}},
            "peer_team": {
                "kind": "civilian", "label": "Peer team",
                "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00",
                            "end": "12:00", "units": 1},
                           {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "12:00",
                            "end": "24:00", "units": 1}],
                "on_scene_min": {"dist": "exponential", "mean": 60},
                "response_min": {"dist": "constant", "value": 8},
            },
        },
        "routing": [
            {"match": {"risk": ["low"]}, "send": ["peer_team", "police"], "max_wait_min": 15},
            {"match": {}, "send": ["police"]},
        ],
    }


@pytest.fixture
def city_dir(tmp_path) -> Path:
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(small_city()))
    return tmp_path


def write_sweep(folder: Path, **spec) -> Path:
    path = folder / "sweeps" / "s.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({"scenario": "../city.yaml", **spec}, sort_keys=False))
    return path


def test_grid_expands_to_every_combination_with_list_index_paths(city_dir):
    path = write_sweep(city_dir, vary={"teams.peer_team.shifts[1].units": [1, 2, 3],
                                       "demand.crisis_calls_per_day": [20, 40]}, mode="grid")
    sweep = load_sweep(path)
    combos = [(p.values["teams.peer_team.shifts[1].units"], p.values["demand.crisis_calls_per_day"])
              for p in sweep.points]
    assert sorted(combos) == [(u, d) for u in (1, 2, 3) for d in (20, 40)]
    for p in sweep.points:
        units, calls = p.values["teams.peer_team.shifts[1].units"], p.values["demand.crisis_calls_per_day"]
        assert p.scenario.teams["peer_team"].shifts[1].units == units
        assert p.scenario.teams["peer_team"].shifts[0].units == 1  # the other shift is untouched
        assert p.scenario.demand.crisis_calls_per_day == calls
    assert len({p.scenario.name for p in sweep.points}) == 6


def test_zip_pairs_values_and_needs_equal_lengths(city_dir):
    sweep = load_sweep(write_sweep(city_dir, mode="zip", vary={"teams.peer_team.shifts[0].units": [1, 2, 3],
                                                               "teams.police.units": [6, 5, 4]}))
    assert [(p.scenario.teams["peer_team"].shifts[0].units, p.scenario.teams["police"].units)
            for p in sweep.points] == [(1, 6), (2, 5), (3, 4)]
    with pytest.raises(ScenarioError, match="same length"):
        load_sweep(write_sweep(city_dir, mode="zip", vary={"teams.police.units": [1, 2],
                                                           "demand.crisis_calls_per_day": [1, 2, 3]}))


@pytest.mark.parametrize("spec, where", [
    ({"vary": {"teams.peer_teem.units": [1]}}, "vary.teams.peer_teem.units"),
    ({"vary": {"teams.peer_team.shifts[5].units": [1]}}, "vary.teams.peer_team.shifts[5].units"),
    ({"vary": {"teams.police.units": [2, -1]}}, "teams.police.units"),
    ({"vary": {"teams.police.unitz": [2]}}, "unitz"),
    ({"vary": {"teams.police.units": [2]}, "modes": "grid"}, "modes"),
    ({"vary": {"teams.police.units": [2]}, "target": "utilisation<=3"}, "target"),
    ({"vary": {"teams.police.units": [2]}, "metrics": ["utilization[nobody]"]}, "metrics[0]"),
])
def test_bad_sweep_is_exit_2_naming_the_path_and_writes_nothing(city_dir, spec, where):
    path = write_sweep(city_dir, **spec)
    out = city_dir / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    assert where in result.output
    assert "s.yaml" in result.output
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in city_dir.iterdir())


def test_sweep_results_folder_has_one_column_per_key_and_charts(city_dir):
    path = write_sweep(city_dir, vary={"teams.peer_team.shifts[0].units": [1, 2],
                                       "teams.peer_team.shifts[1].units": [1, 2]},
                       replications=2, days=3, target="fallback_share<=0.5",
                       metrics=["fallback_share", "utilization[peer_team]"])
    out = city_dir / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary.csv")
    metrics = pd.read_csv(out / "metrics.csv")
    for table in (summary, metrics):
        assert {"teams.peer_team.shifts[0].units", "teams.peer_team.shifts[1].units"} <= set(table.columns)
    assert summary["replication"].nunique() == 2 and summary["scenario"].nunique() == 4
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"sweep_fallback_share.png", "sweep_fallback_share.svg", "sweep_utilization_peer_team.png",
            "heatmap_fallback_share.png"} <= figures


def test_more_peer_units_never_raise_peer_wait_or_fallback_beyond_noise(city_dir):
    sweep = load_sweep(write_sweep(city_dir, vary={"teams.peer_team.shifts[0].units": [1, 2, 3, 4],
                                                   "teams.peer_team.shifts[1].units": [1, 2, 3, 4]},
                                   mode="zip", replications=3, days=8))
    result = run_sweep(sweep, workers=1)
    s = result.summary
    key = "teams.peer_team.shifts[0].units"
    for metric, team in (("fallback_share", ""), ("wait_min_mean", ""), ("response_min_mean", "peer_team")):
        rows = s[(s["metric"] == metric) & (s["team"] == team)]
        wide = rows.pivot(index="replication", columns=key, values="value")
        # common random numbers: compare the same calls at each staffing, replication by replication
        steps = wide.diff(axis=1).iloc[:, 1:]
        mean_step = steps.mean()
        noise = 3 * steps.std(ddof=1).fillna(0) / len(wide) ** 0.5 + 1e-9
        assert (mean_step <= noise).all(), (metric, wide)
        assert wide.iloc[:, -1].mean() < wide.iloc[:, 0].mean(), (metric, wide)


def test_shipped_peer_staffing_sweep_runs_at_reduced_size(tmp_path):
    path = ROOT / "scenarios" / "sweeps" / "peer_staffing.yaml"
    sweep = load_sweep(path)
    assert sweep.base.name == "peer_embedded"
    small = yaml.safe_load(path.read_text())
    small.update(scenario=str(ROOT / "scenarios" / "peer_embedded.yaml"), replications=2, days=2, warmup_days=1)
    small["vary"] = {k: v[:2] for k, v in small["vary"].items()}
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(small))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "small.yaml"), "--out", str(out), "--workers", "1",
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "figures" / "sweep_fallback_share.png").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_sweep_file_is_valid(path):
    sweep = load_sweep(path)
    assert len(sweep.points) >= 2


def test_plot_redraws_a_sweep_folder_and_report_explains_it_is_for_runs(city_dir, tmp_path):
    path = write_sweep(city_dir, vary={"teams.peer_team.shifts[0].units": [1, 2]}, replications=2, days=3)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet",
                                      "--no-charts"])
    assert result.exit_code == 0, result.output
    assert not (out / "figures").exists()
    result = CliRunner().invoke(app, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    assert list((out / "figures").glob("*.png"))
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 2 and "sweep" in result.output
    assert not (out / "report.html").exists()
