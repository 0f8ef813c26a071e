"""--no-calls: the per-call table is skipped by every command that would write it, and accepted by those that never do."""

from __future__ import annotations

import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app
from sim.designs.resources import estimate


def test_sweep_with_no_calls_writes_every_table_but_calls_and_still_draws(tmp_path):
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(small_city()))
    sweep = write_yaml(tmp_path / "s.yaml", {"scenario": "city.yaml", "vary": {"teams.peer_team.shifts[0].units": [1, 2]},
                                             "replications": 2, "days": 3, "metrics": ["fallback_share"]})
    folders = {}
    for name, extra in (("with", []), ("without", ["--no-calls"])):
        folders[name] = tmp_path / name
        result = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(folders[name]), "--workers", "1",
                                          "--quiet", *extra])
        assert result.exit_code == 0, result.output
    assert (folders["with"] / "calls.parquet").exists() and not (folders["without"] / "calls.parquet").exists()
    assert json.loads((folders["without"] / "manifest.json").read_text())["no_calls"] is True
    # every metric is still computed, identically
    pd.testing.assert_frame_equal(pd.read_csv(folders["with"] / "metrics.csv"),
                                  pd.read_csv(folders["without"] / "metrics.csv"))
    assert (folders["without"] / "figures" / "sweep_fallback_share.png").exists()
    assert CliRunner().invoke(app, ["plot", str(folders["without"])]).exit_code == 0


def test_staff_plan_and_sensitivity_accept_no_calls_and_never_write_the_table(tmp_path):
    city = merge(small_city(), {"run": {"days": 2, "warmup_days": 1, "replications": 2}})
    path = write_yaml(tmp_path / "city.yaml", city)
    commands = {
        "staff": ["staff", str(path), "--team", "peer_team", "--target", "fallback_share<=0.9", "--max-units", "2",
                  "--max-replications", "2", "--no-charts"],
        "plan": ["plan", str(path), "--team", "peer_team", "--target", "eligible_reached_share[peer_team]>=0.2",
                 "--shift-lengths", "12", "--starts", "08:00", "--max-replications", "2", "--curve-replications", "0",
                 "--no-charts"],
        "sensitivity": ["sensitivity", str(path), "--vary", "teams.peer_team.on_scene_min.mean=40:80", "--metric",
                        "fallback_share", "--samples", "3", "-r", "1", "--no-charts"],
    }
    for name, args in commands.items():
        out = tmp_path / name
        result = CliRunner().invoke(app, [*args, "--no-calls", "--out", str(out), "--workers", "1", "--quiet"])
        assert result.exit_code == 0, (name, result.output)
        assert not list(out.rglob("*.parquet")), name


def test_the_estimate_leaves_out_the_per_call_table_it_will_not_keep():
    from sim.scenario.loading import validate_scenario

    s = validate_scenario(merge(small_city(), {"run": {"days": 365, "warmup_days": 30}}))
    kept, dropped = estimate([s], 10, 365, 30), estimate([s], 10, 365, 30, keep_calls=False)
    assert kept.rows > 0 and dropped.rows == 0
    assert dropped.peak_bytes < kept.peak_bytes and dropped.disk_bytes < kept.disk_bytes
    assert dropped.calls == kept.calls  # the same simulation either way
