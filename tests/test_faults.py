"""Faults from the machine, not the input: signals, mount points, full disks, lost Dask workers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import ROOT, merge, small_city, write_yaml
from sim.cli import app


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _two_workers(proc) -> list[int]:
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        workers = _children(proc.pid)
    assert len(workers) >= 2, "the run should have started two workers"
    return workers


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_a_two_worker_run_at_once(tmp_path, signum):
    scenario = write_yaml(tmp_path / "s.yaml", small_city())
    out = tmp_path / "out"
    proc = subprocess.Popen(
        # long enough that the workers are still simulating when the signal comes, however fast the machine
        [sys.executable, "-m", "sim", "run", str(scenario), "--days", "4000", "-r", "4", "--workers", "2",
         "--out", str(out), "--quiet", "--no-charts"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = _two_workers(proc)
        time.sleep(0.5)  # the workers are now simulating
        sent = time.monotonic()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=20)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, stderr
    assert stopped_after < 5, f"took {stopped_after:.1f} s to stop"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and signal.Signals(signum).name in lines[0], stderr
    assert "Traceback" not in stderr + stdout
    time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "no worker outlives the run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"], "no folder, hidden or not"


def test_a_killed_worker_fails_the_run_plainly_with_nothing_written(tmp_path):
    """A worker ended from outside (the kernel's out-of-memory killer, an operator) fails the run at
    once with one line that says so, instead of leaving it waiting for a result that never comes."""
    scenario = write_yaml(tmp_path / "s.yaml", small_city())
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(scenario), "--days", "4000", "-r", "4", "--workers", "2",
         "--out", str(tmp_path / "out"), "--quiet", "--no-charts"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = _two_workers(proc)
        time.sleep(0.5)
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, stderr
    assert "a worker process ended" in stderr and "killed by SIGKILL" in stderr and "nothing was written" in stderr
    assert "Traceback" not in stderr + stdout
    time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "no worker outlives the run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def _square(x: int) -> int:
    return x * x


def _refuse_two(x: int) -> int:
    if x == 2:
        raise ValueError(f"job {x} refused")
    return x


def _unpicklable(x: int):
    return lambda: x


def _die_on_one(x: int) -> int:
    if x == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_worker_processes_return_results_in_job_order_and_raise_a_jobs_own_error():
    from sim.designs.executors import RemoteTraceback, run_processes
    from sim.errors import RunFailed

    done = []
    assert run_processes(_square, list(range(7)), 2, on_done=done.append) == [x * x for x in range(7)]
    assert done == [1] * 7
    with pytest.raises(ValueError, match="job 2 refused") as raised:
        run_processes(_refuse_two, list(range(5)), 2)
    assert isinstance(raised.value.__cause__, RemoteTraceback) and "_refuse_two" in str(raised.value.__cause__)
    with pytest.raises(RuntimeError, match="could not send back its result"):
        run_processes(_unpicklable, [1, 2], 2)
    with pytest.raises(RunFailed, match=r"job 2 of 3 \(killed by SIGKILL\).*fewer --workers"):
        run_processes(_die_on_one, [0, 1, 2], 2)


def test_spawned_worker_processes_work_as_forked_ones(monkeypatch):
    """A process with threads (a notebook kernel, the app) starts its workers by spawn: they import
    the job's function by name and behave the same."""
    from sim.designs import executors
    from sim.errors import RunFailed

    monkeypatch.setattr(executors, "_start_method", lambda: "spawn")
    assert executors.run_processes(_square, list(range(5)), 2) == [x * x for x in range(5)]
    with pytest.raises(ValueError, match="job 2 refused"):
        executors.run_processes(_refuse_two, list(range(4)), 2)
    with pytest.raises(RunFailed, match="killed by SIGKILL"):
        executors.run_processes(_die_on_one, [0, 1, 2], 2)


_STOP_MID_RESULT = """
import random, signal, sys, time
from sim.designs.executors import run_processes

def big(i):
    time.sleep(random.uniform(0, 0.02))
    return b"x" * 3_000_000  # larger than a pipe: a worker is usually halfway through sending one

class Stop(BaseException):
    pass

def stop(signum, frame):
    raise Stop

signal.signal(signal.SIGALRM, stop)
slowest = 0.0
for k in range(150):
    random.seed(k)
    signal.setitimer(signal.ITIMER_REAL, random.uniform(0.02, 0.15))
    try:
        run_processes(big, list(range(1000)), 2)
        sys.exit("the run should have been stopped")
    except Stop:
        pass
print("stopped 150 times")
"""


def test_stopping_workers_halfway_through_sending_a_result_never_waits():
    """multiprocessing.Pool.terminate() waits forever, now and then, for a worker ended halfway
    through sending a result (with the Pool, loops like this one hung after 51 and after 68 stops,
    and this test failed 1 run in 3 at 80 stops); stopping must end every worker and return, every time."""
    done = subprocess.run([sys.executable, "-c", _STOP_MID_RESULT], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "stopped 150 times" in done.stdout, done.stderr[-2000:]


def test_empty_out_folder_is_filled_in_place(tmp_path):
    """An empty --out (the usual container volume mount point) receives the results; it is not replaced."""
    scenario = write_yaml(tmp_path / "s.yaml", merge(small_city(), {"run": {"days": 1, "warmup_days": 0, "replications": 1}}))
    out = tmp_path / "mount"
    out.mkdir()
    inode = out.stat().st_ino
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_ino == inode
    names = sorted(p.name for p in out.iterdir())
    assert "manifest.json" in names and "metrics.csv" in names
    assert not [n for n in names if "partial" in n]
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0


def test_a_default_folder_name_already_in_use_gets_a_suffix(tmp_path):
    """Two runs finishing in the same second share a default name: the second gets `-2`; it is not
    mistaken for an empty --out to fill (which failed with "Directory not empty", 4 runs in 30)."""
    from sim.outputs.results import write_atomically

    default = tmp_path / "results" / "city" / "20261127-150959"
    first = write_atomically(None, default, lambda folder: (folder / "a.txt").write_text("1"))
    second = write_atomically(None, default, lambda folder: (folder / "a.txt").write_text("2"))
    assert first == default and second == default.with_name(default.name + "-2")
    assert (first / "a.txt").read_text() == "1" and (second / "a.txt").read_text() == "2"


def test_stale_partial_folder_of_a_dead_process_is_cleaned(tmp_path):
    scenario = write_yaml(tmp_path / "s.yaml", merge(small_city(), {"run": {"days": 1, "warmup_days": 0, "replications": 1}}))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".old.partial-{int(dead.stdout)}-0123abcd"
    (stale / "scenarios").mkdir(parents=True)
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "new"), "--workers", "1", "--quiet",
                                      "--no-charts"])
    assert result.exit_code == 0, result.output
    assert not stale.exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a real full disk (needs root to mount)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root; the full-disk path is not exercised here")
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_is_a_plain_failure_with_nothing_kept(tmp_path, small_disk, monkeypatch):
    (small_disk / "ballast").write_bytes(b"\0" * (1024 * 1024 - 8 * 1024))  # fill it, nearly
    scenario = write_yaml(tmp_path / "s.yaml", merge(small_city(), {"run": {"days": 2, "warmup_days": 0, "replications": 2}}))
    out = small_disk / "out"

    refused = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"])
    assert refused.exit_code == 2, refused.output
    assert "free" in refused.output and not out.exists()

    # past the check (as when the disk fills during the run), writing fails: exit 1, nothing kept
    import sim.outputs.results as results

    monkeypatch.setattr(results, "check_out_dir", lambda *a, **k: None)
    failed = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"])
    assert failed.exit_code == 1, failed.output
    assert "No space left" in failed.output and "Traceback" not in failed.output
    assert sorted(p.name for p in small_disk.iterdir()) == ["ballast"]


def test_a_stop_as_the_folder_is_put_in_place_keeps_it_and_says_so(tmp_path, monkeypatch):
    """Ctrl-C in the instant a finished folder is renamed into place waits until the folder is
    recorded, so the stop message tells the truth: the results are there, not "nothing written"."""
    from sim import cli
    from sim.errors import Interrupted
    from sim.outputs import results

    def place_then_signal(tmp, final, explicit):
        placed = real(tmp, final, explicit)
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the move is not yet recorded
        time.sleep(0.05)
        return placed

    real = results._move_into_place
    monkeypatch.setattr(results, "_move_into_place", place_then_signal)
    monkeypatch.setattr(results, "WRITTEN", [])
    previous = signal.signal(signal.SIGINT, cli._stop)
    try:
        with pytest.raises(Interrupted):
            results.write_atomically(tmp_path / "out", tmp_path / "default", lambda folder: (folder / "a.txt").write_text("a"))
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert (tmp_path / "out" / "a.txt").read_text() == "a"
    assert results.WRITTEN == [tmp_path / "out"]
    assert cli.stopped_words(signal.SIGINT) == f"stopped by SIGINT after the results were written to {tmp_path / 'out'}"
    monkeypatch.setattr(results, "WRITTEN", [])
    assert cli.stopped_words(signal.SIGTERM) == "stopped by SIGTERM: workers stopped, nothing written"
