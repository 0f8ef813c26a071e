"""Runs too short for a busy team's waits or for tails are reported, in the console, the manifest and the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from sim import run_experiment
from sim.analysis.run_length import MIN_RELAXATION_TIMES, relaxation_times, run_length_bias
from sim.analysis.stats import summarise
from sim.cli import app
from sim.scenario.loading import validate_scenario

from helpers import one_team


def mm1_at_90_percent() -> dict:
    """M/M/1 at 90% load (mean 60 min): its queue relaxes over about 16 days (Morse's 1/(μ(1 − √ρ)²))."""
    return one_team(units=1, calls_per_day=0.9 * 24, mean_min=60.0)


def test_a_busy_team_over_a_short_run_is_reported_and_a_long_enough_run_is_not():
    short = run_experiment([validate_scenario(mm1_at_90_percent())], replications=3, days=30, warmup_days=5, seed=4)
    times = relaxation_times(short.summary).set_index("team")["relaxation_times"]
    assert times["team"] < 10  # about 2 by theory at 90%; a short run from empty measures a little less busy
    warnings = [w for w in short.warnings() if "relaxation times" in w]
    assert len(warnings) == 1 and "team team" in warnings[0] and "--days" in warnings[0]
    # M/M/6 at 4 erlangs: far more relaxation times in 30 days, no warning
    calm = run_experiment([validate_scenario(one_team(units=6, calls_per_day=96, mean_min=60.0))],
                          replications=3, days=30, warmup_days=5, seed=4)
    assert relaxation_times(calm.summary)["relaxation_times"].min() > MIN_RELAXATION_TIMES
    assert not [w for w in calm.warnings() if "short for its waits" in w]


def test_the_warning_reaches_the_console_the_manifest_and_the_report(tmp_path):
    path = tmp_path / "busy.yaml"
    path.write_text(yaml.safe_dump(mm1_at_90_percent()))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "-r", "2", "--days", "20", "--warmup-days", "3",
                                      "--out", str(out), "--workers", "1", "--no-charts", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "warning: mmc: 20 days a replication is short" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("relaxation times" in w for w in manifest["warnings"])
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    assert "relaxation times" in (out / "report.html").read_text()


def _synthetic(values_by_rep: list[np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A calls table (arrivals spread evenly over a run), its summary and metrics, for response_min only."""
    calls, rows = [], []
    for r, v in enumerate(values_by_rep):
        calls.append(pd.DataFrame({"scenario": "s", "replication": r, "team": "crew", "response_min": v,
                                   "wait_min": v, "arrival_min": np.linspace(0, 1000, len(v))}))
        rows += [("s", r, "response_min_p90", "", float(np.quantile(v, 0.9))),
                 ("s", r, "response_min_mean", "", float(np.mean(v)))]
    summary = pd.DataFrame(rows, columns=["scenario", "replication", "metric", "team", "value"])
    return pd.concat(calls, ignore_index=True), summary, summarise(summary)


def test_batch_jackknife_finds_a_tail_bias_and_not_one_that_is_absent():
    rng = np.random.default_rng(1)
    # each run drifts upwards over its length: its halves see narrower ranges than the whole,
    # so a half's p90 sits below the whole run's (bias shrinking with length, as for a busy queue)
    drifting = [np.linspace(0, 10, 2000) + rng.normal(0, 1, 2000) for _ in range(6)]
    table = run_length_bias(*_synthetic(drifting)).set_index("metric")
    p90 = table.loc["response_min_p90"]
    assert p90["flagged"] and p90["bias"] < 0 and p90["bias_high"] < 0
    # independent draws: no bias to find
    iid = [rng.exponential(10, 2000) for _ in range(6)]
    table = run_length_bias(*_synthetic(iid))
    assert not table["flagged"].any()


def test_one_replication_or_no_team_is_checked_without_error():
    from helpers import merge, small_city

    one = run_experiment([validate_scenario(merge(small_city(), {"run": {"days": 1, "warmup_days": 0}}))],
                         replications=1)
    # one day is short for a busy police force, but one replication has no interval for the jackknife to judge
    assert not [w for w in one.warnings() if "jackknife" in w]
    empty = pd.DataFrame(columns=["scenario", "replication", "metric", "team", "zone", "value"])
    assert run_length_bias(None, empty, summarise(empty)).empty and relaxation_times(empty).empty
