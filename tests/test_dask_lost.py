"""Dask: a scheduler that goes away mid-run, and --dask-timeout on rerun and plan."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app

distributed = pytest.importorskip("dask.distributed")
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_scheduler_lost_mid_run_is_exit_1_with_one_message_and_nothing_written(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    path = write_yaml(tmp_path / "s.yaml", merge(small_city(), {"run": {"days": 60, "warmup_days": 1,
                                                                        "replications": 6}}))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    worker = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                               "--no-nanny"], **quiet)
    run = None
    try:
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
            run = subprocess.Popen([str(BIN / "crisis-sim"), "run", str(path), "--scheduler", address,
                                    "--dask-timeout", "5", "--out", str(tmp_path / "out"), "--quiet", "--no-charts"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while not client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
                assert time.monotonic() < deadline and run.poll() is None, "the run never reached the scheduler"
                time.sleep(0.2)
        os.killpg(scheduler.pid, signal.SIGKILL)  # the scheduler goes away with the run's 6 replications on it
        lost = time.monotonic()
        out, err = run.communicate(timeout=120)
        waited = time.monotonic() - lost
    finally:
        for proc in (run, scheduler, worker):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL) if proc is not run else proc.kill()
    assert run.returncode == 1, err
    assert "lost the Dask scheduler" in err and "nothing was written" in err
    assert "Traceback" not in err + out and len(err.strip().splitlines()) == 1, err
    assert waited < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def _cluster(n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=50)


def test_rerun_and_plan_take_dask_timeout(tmp_path):
    city = merge(small_city(), {"run": {"days": 1, "warmup_days": 0, "replications": 2}})
    path = write_yaml(tmp_path / "s.yaml", city)
    first = tmp_path / "first"
    assert CliRunner().invoke(app, ["run", str(path), "--out", str(first), "--workers", "1", "--quiet",
                                    "--no-charts"]).exit_code == 0
    plan_city = tmp_path / "plan.yaml"
    plan_city.write_text(yaml.safe_dump(city))
    with _cluster(0) as cluster:
        for args in (["rerun", str(first)],
                     ["plan", str(plan_city), "--team", "peer_team", "--target",
                      "eligible_reached_share[peer_team]>=0.5", "--shift-lengths", "12", "--starts", "08:00",
                      "-r", "2", "--curve-replications", "0"]):
            started = time.monotonic()
            result = CliRunner().invoke(app, [*args, "--scheduler", cluster.scheduler_address, "--dask-timeout", "2",
                                              "--out", str(tmp_path / "out"), "--quiet"])
            assert time.monotonic() - started < 40, f"{args[0]} waited for the 60 s default"
            assert result.exit_code == 1, result.output
            assert "no Dask workers" in result.output and "Traceback" not in result.output
            assert not (tmp_path / "out").exists()
