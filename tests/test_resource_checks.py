"""Work too big for the machine is refused before it starts (exit 2, nothing written): plan, run --draws,
rerun, fit and the page's runs, as run, sweep, staff and sensitivity already are (tests/test_hostile.py)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app
from sim.designs import resources

TINY = 1024**2  # 1 MiB "available": less than Python itself, so every estimate is refused


@pytest.fixture
def city(tmp_path):
    data = merge(small_city(), {"run": {"days": 2, "warmup_days": 1, "replications": 2}})
    team = "peer_team"
    data["uncertainty"] = {f"teams.{team}.cost_per_unit_hour": {"dist": "uniform", "low": 50, "high": 60}}
    return write_yaml(tmp_path / "city.yaml", data)


def _refused(result, out) -> None:
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "of memory at its peak" in message and "available" in message and "Shrink it" in message, message
    assert "Traceback" not in result.output
    assert not out.exists()


def test_plan_draws_rerun_and_warmup_are_refused_before_any_work(tmp_path, city, monkeypatch):
    first = tmp_path / "first"
    assert CliRunner().invoke(app, ["run", str(city), "--out", str(first), "--workers", "1", "--quiet",
                                    "--no-charts"]).exit_code == 0
    monkeypatch.setattr(resources, "available_memory", lambda: TINY)
    out = tmp_path / "out"
    for args in (["plan", str(city), "--team", "peer_team", "--target", "eligible_reached_share[peer_team]>=0.5",
                  "--shift-lengths", "12", "--starts", "08:00"],
                 ["run", str(city), "--draws", "3"],
                 ["rerun", str(first)],
                 ["warmup", str(city), "-r", "2", "--days", "30"]):
        _refused(CliRunner().invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet"]), out)


def test_fit_is_refused_for_an_export_too_big_and_writes_no_scenario(tmp_path, monkeypatch):
    data = tmp_path / "calls.csv"
    data.write_text("t,code\n" + "2024-01-01 10:00:00,MH\n" * 50)
    map_path = write_yaml(tmp_path / "map.yaml", {"columns": {"received": "t", "type": "code"},
                                                  "types": {"MH": "mental_health"}})
    monkeypatch.setattr(resources, "available_memory", lambda: TINY)
    out = tmp_path / "out" / "city.yaml"
    result = CliRunner().invoke(app, ["fit", str(data), "--map", str(map_path), "--out", str(out)])
    _refused(result, tmp_path / "out")
    assert "fewer rows" in " ".join(result.output.split())


def test_fit_estimate_reads_the_size_of_text_inside_gzip_and_parquet(tmp_path):
    text = ("t,code\n" + "2024-01-01 10:00:00,MH\n" * 20_000).encode()
    plain = tmp_path / "calls.csv"
    plain.write_bytes(text)
    packed = tmp_path / "calls.csv.gz"
    packed.write_bytes(gzip.compress(text))
    assert packed.stat().st_size < len(text) / 10
    assert resources.text_size(plain) == resources.text_size(packed) == len(text)
    table = tmp_path / "calls.parquet"
    pd.DataFrame({"t": ["2024-01-01 10:00:00"] * 20_000, "code": ["MH"] * 20_000}).to_parquet(table)
    assert resources.text_size(table) > 0
    est = resources.fit_estimate(plain)
    assert est.peak_bytes == resources.BASE_BYTES + resources.FIT_BYTES_PER_TEXT_BYTE * len(text)
    assert resources.fit_estimate(tmp_path / "missing.csv") is None  # read_cad gives that message


def test_the_page_refuses_a_run_too_big_before_any_work(monkeypatch):
    from sim.app.runs import RunCache, RunSettings, run_comparison
    from sim.errors import ScenarioError
    from sim.scenario.loading import validate_scenario

    scenario = validate_scenario(merge(small_city(), {"run": {"days": 2, "warmup_days": 1}}))
    monkeypatch.setattr(resources, "available_memory", lambda: TINY)
    cache = RunCache()
    with pytest.raises(ScenarioError, match="fewer days or replications on the page"):
        run_comparison([scenario], RunSettings(2, 2.0, 1), cache, workers=1)
    assert cache.replications_simulated == 0 and not cache.folders
