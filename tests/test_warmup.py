"""Warm-up evidence: MSER-5 finds a known transient, and the command recommends a warm-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from helpers import small_city, write_yaml
from sim.analysis.warmup import mser, moving_average, recommend
from sim.cli import app


def test_mser5_finds_a_known_transient_and_none_in_a_stationary_series():
    rng = np.random.default_rng(8)
    t = np.arange(600)
    # a start-up transient that has decayed to 1% of its size by day ~92 (tau 20 days)
    transient = 40 - 30 * np.exp(-t / 20) + rng.normal(0, 2, len(t))
    d = mser(transient)
    assert d % 5 == 0 and 40 <= d <= 150, d
    stationary = 40 + rng.normal(0, 2, len(t))
    assert mser(stationary) <= 30
    assert mser([1.0, 2.0]) == 0  # too short to batch


def test_moving_average_flattens_noise_and_keeps_the_level():
    rng = np.random.default_rng(2)
    y = 10 + rng.normal(0, 3, 400)
    smooth = moving_average(y, 15)
    assert np.nanstd(smooth) < np.std(y) / 3 and abs(np.nanmean(smooth) - 10) < 0.5


def test_recommend_takes_the_replication_average():
    rng = np.random.default_rng(4)
    days = np.arange(300)
    daily = pd.concat([pd.DataFrame({"replication": r, "day": days,
                                     "calls": 30 - 20 * np.exp(-days / 10) + rng.normal(0, 2, 300),
                                     "repeat_calls": 3 + rng.normal(0, 1, 300),
                                     "busy_hours": 50 + rng.normal(0, 5, 300)})
                       for r in range(3)])
    rec = recommend(daily).set_index("series")
    assert 20 <= rec.at["calls", "mser_days"] <= 80 and rec.at["repeat_calls", "mser_days"] <= 30


def test_warmup_command_writes_series_chart_and_recommendation(tmp_path):
    path = write_yaml(tmp_path / "city.yaml", small_city())
    out = tmp_path / "warm"
    result = CliRunner().invoke(app, ["warmup", str(path), "-r", "2", "--days", "40", "--workers", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Recommended warm-up:" in result.output
    daily = pd.read_csv(out / "daily.csv")
    assert set(daily["replication"]) == {0, 1} and daily["day"].max() == 39
    assert (daily["calls"] > 0).all() and (daily["repeat_calls"] <= daily["calls"]).all()
    assert (out / "figures" / "warmup.png").exists() and (out / "warmup.csv").exists()
    # plot redraws the folder by its kind
    again = CliRunner().invoke(app, ["plot", str(out), "--style", "paper", "--out", str(tmp_path / "paper")])
    assert again.exit_code == 0, again.output and (tmp_path / "paper" / "warmup.png").exists()


def test_check_warns_when_repeats_are_set_and_the_warm_up_is_short(tmp_path):
    city = small_city()  # repeats within 30 days, warm-up 2 days
    short = CliRunner().invoke(app, ["check", str(write_yaml(tmp_path / "short.yaml", city))])
    assert short.exit_code == 0 and "warning: run.warmup_days is 2 days" in short.output
    city["run"]["warmup_days"] = 45
    enough = CliRunner().invoke(app, ["check", str(write_yaml(tmp_path / "enough.yaml", city))])
    assert enough.exit_code == 0 and "warmup_days" not in enough.output
