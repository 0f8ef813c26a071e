"""Dask faults: a worker killed mid-run (its nanny restarts it) and a cluster with no workers (run, run --draws)."""

from __future__ import annotations

import os
import signal
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app
from sim.designs.experiment import run_experiment
from sim.scenario.loading import validate_scenario

distributed = pytest.importorskip("dask.distributed")


def _cluster(n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=50)


def test_a_killed_worker_is_restarted_and_results_are_identical():
    scenario = validate_scenario(merge(small_city(), {"run": {"days": 6, "warmup_days": 1}}))
    serial = run_experiment([scenario], replications=4, workers=1)
    with _cluster(2) as cluster, distributed.Client(cluster) as client:
        before = client.run(os.getpid)
        killed = []

        def kill_one(_n):
            if not killed:
                pid = next(iter(before.values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        dask_run = run_experiment([scenario], replications=4, scheduler=cluster.scheduler_address, on_done=kill_one)
        client.wait_for_workers(2, timeout=120)  # a restarted worker can take long to come back on a busy machine
        after = set(client.run(os.getpid).values())
    assert killed and killed[0] not in after, "the nanny restarted the killed worker"
    for table in ("summary", "metrics", "calls"):
        pd.testing.assert_frame_equal(getattr(dask_run, table), getattr(serial, table))


def test_no_dask_workers_fails_after_the_timeout(tmp_path):
    path = write_yaml(tmp_path / "s.yaml", merge(small_city(), {"run": {"days": 1, "warmup_days": 0, "replications": 2}}))
    out = tmp_path / "out"
    with _cluster(0) as cluster:
        result = CliRunner().invoke(app, ["run", str(path), "--scheduler", cluster.scheduler_address,
                                          "--dask-timeout", "2", "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output
    assert "no Dask workers" in result.output and "--dask-timeout" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_run_draws_with_no_dask_workers_fails_after_the_timeout(tmp_path):
    city = merge(small_city(), {"run": {"days": 1, "warmup_days": 0, "replications": 1}})
    team = next(iter(city["teams"]))
    path = write_yaml(tmp_path / "s.yaml", merge(city, {"uncertainty": {
        f"teams.{team}.cost_per_unit_hour": {"dist": "uniform", "low": 50, "high": 60}}}))
    with _cluster(0) as cluster:
        started = time.monotonic()
        result = CliRunner().invoke(app, ["run", str(path), "--draws", "3", "--scheduler", cluster.scheduler_address,
                                          "--dask-timeout", "2", "--out", str(tmp_path / "out"), "--quiet"])
        waited = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert waited < 30, f"gave up after {waited:.0f} s: --dask-timeout 2 was not used (the default is 60 s)"
    assert "no Dask workers" in result.output and "--dask-timeout" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
