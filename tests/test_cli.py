"""The command line as a user meets it: files written, exit codes, interruption."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from helpers import ROOT, merge, small_city, write_yaml
from sim.cli import app


def test_run_writes_the_results_folder(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    b = write_yaml(tmp_path / "b.yaml", merge(small_city(), {"name": "more_peers", "label": "More peers",
                                                             "teams": {"peer_team": {"shifts": [
                                                                 {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                                                  "start": "08:00", "end": "22:00", "units": 3}]}}}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(a), str(b), "-r", "2", "--days", "3", "--out", str(out),
                                      "--workers", "1", "--no-charts", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "Headline metrics" in result.output and "More peers" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "scenarios", "calls.parquet", "summary.csv", "metrics.csv", "comparison.csv",
            "hourly.csv"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["replications"] == 2 and manifest["days"] == 3
    assert [s["name"] for s in manifest["scenarios"]] == ["small_city", "more_peers"]
    assert all(len(s["sha256"]) == 64 for s in manifest["scenarios"])
    assert "numpy" in manifest["libraries"] and manifest["wall_time_s"] > 0
    # the resolved scenario is the one that ran, every default filled in, and loads again
    resolved = yaml.safe_load((out / "scenarios" / "more_peers.yaml").read_text())
    assert resolved["teams"]["peer_team"]["shifts"][0]["units"] == 3
    assert resolved["run"]["warmup_days"] == 2
    calls = pd.read_parquet(out / "calls.parquet")
    assert list(calls.columns) == [
        "scenario", "replication", "call_id", "person_id", "arrival_min", "call_type", "risk", "is_repeat",
        "first_choice", "team", "wait_min", "response_min", "disposition", "police_on_scene", "backup",
        "use_of_force", "injury", "linked", "follow_up", "coded_risk", "recognised", "units", "backup_response_min",
        "zone", "unit", "unit_base", "travel_min"]
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns[:8]) == ["scenario", "metric", "team", "zone", "mean", "sd", "ci_low", "ci_high"]
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["scenario"]) == {"more_peers"} and set(comparison["baseline"]) == {"small_city"}
    assert not list(tmp_path.glob(".*partial*"))
    assert "spread between replications is unknown" not in result.output


def test_one_replication_says_why_its_intervals_are_unbounded(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    result = CliRunner().invoke(app, ["run", str(a), "-r", "1", "--days", "2", "--out", str(tmp_path / "out"),
                                      "--workers", "1", "--no-charts"])
    assert result.exit_code == 0, result.output
    assert "[-∞, ∞]" in result.output and "spread between replications is unknown" in result.output


def test_default_folder_names_never_collide(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    folders = set()
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "sim", "run", str(a), "-r", "1", "--days", "1",
                                 "--workers", "1", "--no-charts", "--quiet"], cwd=tmp_path, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        folders.add(result.stdout.strip().split("Results: ")[-1])
    assert len(folders) == 2
    assert all(Path(tmp_path, f, "manifest.json").exists() for f in folders)


def test_check_prints_summary_and_schema_is_json(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    result = CliRunner().invoke(app, ["check", str(a)])
    assert result.exit_code == 0
    assert "peer_team" in result.output and "unit-hours/week" in result.output
    assert "140" in result.output  # 2 units x 14 h x 5 days
    schema = json.loads(CliRunner().invoke(app, ["schema"]).output)
    assert "teams" in schema["properties"] and schema["additionalProperties"] is False


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def test_ctrl_c_leaves_no_complete_looking_folder_and_no_workers(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(a), "-r", "40", "--days", "60", "--workers", "2",
                             "--out", str(out), "--quiet", "--no-charts"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    workers: set[int] = set()
    while time.time() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = {p for p in _children(proc.pid)}
    assert proc.poll() is None, "the run finished before it could be interrupted"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if (p / "manifest.json").exists()]

    def alive() -> list[int]:
        def running(p: int) -> bool:
            try:
                return "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]
            except OSError:
                return False
        return [p for p in workers if running(p)]

    # workers leave promptly; on a loaded machine that can take a few seconds, so poll rather than sleep once
    gone_by = time.time() + 15
    while alive() and time.time() < gone_by:
        time.sleep(0.2)
    assert alive() == []


def test_python_dash_m_is_the_same_program():
    result = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "run" in result.stdout and "check" in result.stdout


def test_unreachable_dask_scheduler_is_bad_input(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", small_city())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(a), "-r", "1", "--days", "1", "--quiet", "--no-charts",
                                      "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Dask scheduler" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_scenarios_sharing_a_label_print_distinguishable_labels(tmp_path):
    from sim.outputs.formatting import distinct_labels

    assert distinct_labels({"a": "Peer teams", "b": "Peer teams", "c": "Police"}) == {
        "a": "Peer teams (a)", "b": "Peer teams (b)", "c": "Police"}
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(small_city()))
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": "base.yaml", "name": "more_units", "teams": {"police": {"units": 5}}}))
    result = CliRunner().invoke(app, ["run", str(base), str(child), "-r", "2", "--days", "2", "--warmup-days", "0",
                                      "--workers", "1", "--no-charts", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    label = small_city()["label"]
    assert f"{label} (more_units)" in result.output and f"{label} ({small_city()['name']})" in result.output


def test_precision_advice_says_too_rare_for_rare_counts(tmp_path):
    import sim
    from sim.designs.experiment import RARE_COUNT

    from sim.scenario.loading import validate_scenario

    scenario = validate_scenario(small_city())
    exp = sim.run_experiment([scenario], replications=3, days=2, warmup_days=0)
    wide = exp.imprecise(0.10)
    rare = wide[wide["metric"].isin(["arrests", "unserved", "involuntary_holds"])]
    assert not rare.empty and rare["too_rare"].all()
    assert (rare["mean"].abs() < RARE_COUNT).all()


def test_run_says_which_headline_differences_are_not_yet_resolved(tmp_path):
    import sim
    from sim.designs.experiment import unresolved_differences
    from sim.scenario.loading import validate_scenario

    city = small_city()
    more = merge(city, {"name": "more_police", "label": "More police", "teams": {"police": {"units": 9}}})
    exp = sim.run_experiment([validate_scenario(city), validate_scenario(more)], replications=3, days=2,
                             warmup_days=0)
    rows = unresolved_differences(exp)
    comp = exp.comparison.set_index(["scenario", "metric", "team"])
    for r in rows.itertuples():
        c = comp.loc[(r.scenario, r.metric, "")]
        assert c["ci_low"] <= 0 <= c["ci_high"] and r.diff_mean != 0
        assert r.too_small or r.replications_needed >= 3


def test_console_tables_show_money_of_a_million_or_more_in_millions():
    from sim.outputs.formatting import interval

    assert interval(25_444_317, 25_300_825, 25_587_809, "cost_total", short=True) == "25.44 M [25.30 M, 25.59 M]"
    assert interval(5_689_965, 5_647_640, 5_732_290, "cost_total", diff=True, short=True) == \
        "+5.69 M [+5.65 M, +5.73 M]"
    assert interval(-2_000, -1_200_000, 1_196_000, "cost_total", diff=True, short=True) == \
        "0.00 M [-1.20 M, +1.20 M]"
    assert interval(120_000, 110_000, 130_000, "cost_total", short=True) == "120,000 [110,000, 130,000]"
    assert interval(25_444_317, 25_300_825, 25_587_809, "cost_total") == "25,444,317 [25,300,825, 25,587,809]"
    assert interval(0.5, 0.4, 0.6, "fallback_share", short=True) == "50.0% [40.0%, 60.0%]"


def test_check_gives_no_outcome_table_to_a_follow_up_only_team():
    from sim.scenario.loading import load_scenario

    peer = ROOT / "scenarios" / "peer_embedded.yaml"
    assert load_scenario(peer).answering_teams() == ["police", "peer_team"]
    result = CliRunner().invoke(app, ["check", str(peer)])
    assert result.exit_code == 0, result.output
    assert "peer_team: outcomes (%)" in result.output and "peer_follow_up: outcomes (%)" not in result.output
    assert "peer_follow_up: makes follow-up visits only" in result.output
