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


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_a_two_worker_run_at_once(tmp_path, signum):
    scenario = write_yaml(tmp_path / "s.yaml", small_city())
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(scenario), "--days", "400", "-r", "4", "--workers", "2",
         "--out", str(out), "--quiet", "--no-charts"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the run should have started two workers"
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
