"""Sensitivity analysis: an input that cannot matter scores near zero, the driver ranks first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import ScenarioError
from sim.scenario.loading import validate_scenario
from sim.designs.sensitivity import SensitivityDesign, parse_vary, run_sensitivity
from sim.analysis.targets import parse_metric

ROOT = Path(__file__).resolve().parents[1]


def city_with_idle_team() -> dict:
    """Calls go to `crew`; `idle_team` is staffed but no routing rule ever sends it a call."""
    return {
        "name": "idle_city",
        "run": {"days": 5, "warmup_days": 1, "replications": 2, "seed": 3},
        "demand": {"crisis_calls_per_day": 40, "call_types": {"mental_health": {"share": 1.0}}},
        "teams": {
            "crew": {"kind": "civilian", "units": 4, "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 30}},
            "idle_team": {"kind": "civilian", "units": 2, "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 30}},
        },
        "routing": [{"match": {}, "send": ["crew"]}],
    }


def test_unused_input_scores_near_zero_and_the_driver_ranks_first():
    scenario = validate_scenario(city_with_idle_team())
    factors = tuple(parse_vary(v, scenario) for v in ("teams.idle_team.on_scene_min.mean=20:120",
                                                       "teams.crew.on_scene_min.mean=30:90",
                                                       "teams.crew.response_min.value=0:10"))
    design = SensitivityDesign(scenario, factors, parse_metric("utilization[crew]"), samples=12, replications=2)
    result = run_sensitivity(design)
    coef = result.coefficients.set_index("input")
    assert coef["rank"].idxmin() == "teams.crew.on_scene_min.mean"
    assert coef.at["teams.crew.on_scene_min.mean", "src"] > 0.8
    idle = coef.loc["teams.idle_team.on_scene_min.mean"]
    assert abs(idle["src"]) < 0.1
    # common random numbers: the idle team's time on scene changes nothing, replication by replication
    assert idle["swing"] == 0 and idle["metric_at_low"] == idle["metric_at_high"]
    assert len(result.samples) == 1 + 2 * 3 + 12
    # bootstrap intervals around each coefficient, and the fit's R² saved beside them
    driver = coef.loc["teams.crew.on_scene_min.mean"]
    assert driver["src_ci_low"] <= driver["src"] <= driver["src_ci_high"] and driver["src_ci_low"] > 0
    assert coef["r_squared"].iloc[0] == result.r_squared and set(coef["ranked_by"]) <= {"src", "srrc"}


def test_latin_hypercube_covers_each_range_once_per_stratum():
    scenario = validate_scenario(city_with_idle_team())
    factors = (parse_vary("teams.crew.on_scene_min.mean=30:90", scenario), parse_vary("teams.crew.units=2:9", scenario))
    points = SensitivityDesign(scenario, factors, parse_metric("wait_min_mean"), samples=8).points()
    lhs = points[points["kind"] == "lhs"]
    strata = ((lhs["teams.crew.on_scene_min.mean"] - 30) // (60 / 8)).astype(int)
    assert sorted(strata) == list(range(8))
    assert sorted(lhs["teams.crew.units"]) == list(range(2, 10))  # whole numbers, each once


@pytest.mark.parametrize("vary, where", [
    ("teams.crew.on_scene_min.mean=90:30", "LOW < HIGH"),
    ("teams.nobody.units=1:3", "not a key"),
    ("teams.crew.kind=1:3", "not a number"),
    ("teams.crew.units=1.5:3", "whole numbers"),
    ("teams.crew.on_scene_min.mean", "KEY.PATH=LOW:HIGH"),
])
def test_bad_range_is_an_error(vary, where):
    with pytest.raises(ScenarioError, match=re.escape(where)):
        parse_vary(vary, validate_scenario(city_with_idle_team()))


def test_bad_input_via_cli_is_exit_2_and_writes_nothing(tmp_path):
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(city_with_idle_team()))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sensitivity", str(path), "--vary", "teams.crew.units=-3:2",
                                      "--metric", "wait_min_mean", "--samples", "4", "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "teams.crew.units" in result.output
    assert not out.exists()


def shipped_sensitivity_command() -> list[str]:
    """The sensitivity example from scenarios/sweeps/README.md (its `crisis-sim sensitivity` block)."""
    text = (ROOT / "scenarios" / "sweeps" / "README.md").read_text()
    block = re.search(r"```\n(crisis-sim sensitivity .*?)```", text, re.S).group(1)
    return re.findall(r'"[^"]*"|\S+', block.replace("\\\n", " "))


def short_warmup(scenario: Path, folder: Path) -> Path:
    """The shipped scenario with a one-day warm-up, so a reduced-size run stays short."""
    path = folder / "short_warmup.yaml"
    path.write_text(yaml.safe_dump({"extends": str(scenario), "run": {"warmup_days": 1}}))
    return path


def test_shipped_sensitivity_example_runs_at_reduced_size(tmp_path):
    args = [a.strip('"') for a in shipped_sensitivity_command()[1:]]
    args[args.index("--samples") + 1] = "6"
    args[1] = str(short_warmup(ROOT / args[1], tmp_path))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*args, "-r", "2", "--days", "2", "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "manifest.json").read_text())
    assert info["kind"] == "sensitivity"
    assert {"tornado.png", "tornado.svg", "sensitivity_coefficients.png"} <= {p.name for p in (out / "figures").iterdir()}


def test_low_r_squared_falls_back_to_rank_coefficients_with_bootstrap_cis():
    """A strongly non-linear, monotone effect: the linear fit is poor, the rank fit is not."""
    import numpy as np

    from sim.designs.sensitivity import R2_WARN, _ranks, standardised_coefficients

    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (60, 2))
    y = np.exp(12 * x[:, 0]) + rng.normal(0, 1, 60)  # monotone in input 0, input 1 unused
    src, r2 = standardised_coefficients(x, y)
    srrc, rank_r2 = standardised_coefficients(_ranks(x), _ranks(y))
    assert r2 < R2_WARN < rank_r2
    assert abs(srrc[0]) > 0.9 and abs(srrc[1]) < 0.2
