"""What a run will cost before it starts: calls simulated, peak memory, disk, against the machine.

The figures are measured per call on this code (benchmarks/README.md, item (e): the event
log peaks at about 650 bytes per call record, the per-call table at about 160 bytes per row
in memory; 60 bytes per row in calls.parquet), so an estimate is rough (within a factor of
two) but cheap: a run that cannot fit is refused before any work, with the ways to shrink it.
"""

from __future__ import annotations

import math
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import ScenarioError
from ..scenario.schema import Scenario

BASE_BYTES = 300 * 1024**2
"""Python with numpy, pandas, SimPy and matplotlib loaded, before any call."""
SIM_BYTES_PER_CALL = 800
"""Peak memory of a replication per call it simulates (event log 650 bytes, SimPy events, tables)."""
ROW_BYTES = 160
"""A row of the per-call table in memory."""
ROW_COPIES = 3
"""The per-call table exists about three times at its peak (worker results, concatenation, parquet)."""
DISK_BYTES_PER_ROW = 60
"""A row of calls.parquet on disk."""
DISK_FIXED_BYTES = 3 * 1024**2
"""Charts, summary tables, scenario copies and the manifest."""
CALLS_PER_SECOND = 50_000
"""Simulated calls per second per worker (89,000 measured on a free core; for the time figure only)."""


@dataclass(frozen=True)
class Estimate:
    """Rough cost of a run: calls, peak memory and disk."""

    jobs: int
    calls: int
    """Calls simulated over every replication, scenario and warm-up (crisis and other police calls)."""
    rows: int
    """Rows of the per-call table (crisis calls after the warm-up); 0 with --no-calls."""
    peak_bytes: int
    disk_bytes: int
    seconds: float

    def describe(self) -> str:
        rows = f"{self.rows:,} rows in calls.parquet" if self.rows else "no per-call table"
        return (f"{self.jobs:,} replication run{'s' if self.jobs != 1 else ''}, about {self.calls:,} calls simulated ({rows}); peak memory about "
                f"{size_text(self.peak_bytes)}, results about {size_text(self.disk_bytes)} on disk, about "
                f"{duration_text(self.seconds)} of computing")


def size_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PiB"  # pragma: no cover


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.1f} h"


def crisis_calls_per_day(scenario: Scenario, days: float) -> float:
    """First crisis calls and the repeats they bring (a repeat may repeat again)."""
    d = scenario.demand
    rate = d.crisis_calls_per_day
    if d.repeat is None or d.repeat.probability <= 0:
        return rate
    p = d.repeat.probability
    chains = days / max(d.repeat.within_days / 2, 1e-9)  # repeats cannot come faster than the window allows
    return rate * min(1 / (1 - p) if p < 1 else math.inf, 1 + chains)


def estimate(scenarios: Sequence[Scenario], replications: int, days: float, warmup_days: float, workers: int = 1,
             keep_calls: bool = True) -> Estimate:
    """The cost of running every scenario for `replications` replications of `warmup_days + days`."""
    jobs = len(scenarios) * replications
    total_days = days + warmup_days
    per_job_calls, rows = [], 0.0
    for s in scenarios:
        crisis = crisis_calls_per_day(s, total_days)
        other = s.demand.other_police_calls.per_day if s.demand.other_police_calls else 0.0
        per_job_calls.append((crisis + other) * total_days)
        rows += crisis * days * replications
    calls = sum(per_job_calls) * replications
    rows = rows if keep_calls else 0.0
    parallel = max(1, min(workers, jobs))
    peak = BASE_BYTES + parallel * SIM_BYTES_PER_CALL * max(per_job_calls, default=0) + ROW_COPIES * ROW_BYTES * rows
    return Estimate(jobs=jobs, calls=int(calls), rows=int(rows), peak_bytes=int(peak),
                    disk_bytes=int(DISK_FIXED_BYTES + DISK_BYTES_PER_ROW * rows),
                    seconds=calls / CALLS_PER_SECOND / parallel)


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> int | None:
    """Memory this process could still use: the least of the machine's available memory, the
    container's limit and this process's address-space limit (None when none is known)."""
    limits = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        value = _read_int(path)
        if value is not None and value < 2**60:
            used = _read_int(path.replace("memory.max", "memory.current").replace("limit_in_bytes", "usage_in_bytes"))
            limits.append(value - (used or 0))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits) if limits else None


RUN_ADVICE = ("fewer days (--days), fewer replications (-r), fewer workers (--workers), or --no-calls to skip "
              "the per-call table")


def check_fits(est, what: str = "this run", advice: str = RUN_ADVICE) -> None:
    """Refuse (ScenarioError, exit 2) work whose peak memory cannot fit in what is available.

    `est` is an Estimate or anything with `peak_bytes` and `describe()` (a FileEstimate)."""
    free = available_memory()
    if free is None or est.peak_bytes <= free:
        return
    raise ScenarioError(
        f"{what} would need about {size_text(est.peak_bytes)} of memory at its peak and this machine has "
        f"{size_text(free)} available ({est.describe()}). Shrink it: {advice}")


FIT_BYTES_PER_TEXT_BYTE = 3
"""Peak memory of `fit` per byte of the export as text: 2.8 measured (a 223 MB CSV of 2.0 M rows
peaked at 919 MB, 300 MB of it Python and its libraries; benchmarks/README.md, the fit figure)."""
GZIP_RATIO = 10
"""Text bytes per compressed byte assumed when a .gz file's own size field cannot be trusted (over 4 GiB)."""


@dataclass(frozen=True)
class FileEstimate:
    """Rough cost of reading and fitting a CAD export: its size as text and the peak memory."""

    path: str
    text_bytes: int
    peak_bytes: int

    def describe(self) -> str:
        return (f"{self.path}: about {size_text(self.text_bytes)} of table to read; peak memory about "
                f"{size_text(self.peak_bytes)}")


def text_size(path: Path) -> int:
    """The export's size as text: the file's size, a .gz file's uncompressed size, a parquet file's
    uncompressed column data."""
    size = path.stat().st_size
    name = path.name.lower()
    if name.endswith(".gz"):
        try:
            with path.open("rb") as f:
                f.seek(-4, 2)
                stated = int.from_bytes(f.read(4), "little")  # the gzip trailer: size mod 2^32
        except OSError:
            stated = 0
        return stated if stated >= size and size < 2**32 // GZIP_RATIO else size * GZIP_RATIO
    if name.endswith((".parquet", ".pq")):
        try:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
            return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        except Exception:  # not parquet after all: read_cad says so with its own message
            return size
    return size


def fit_estimate(path: str | Path) -> FileEstimate | None:
    """What `fit` will need for this export (None when it is not a regular file: read_cad says why)."""
    path = Path(path)
    try:
        if not path.is_file():
            return None
        text = text_size(path)
    except OSError:
        return None
    return FileEstimate(str(path), text, BASE_BYTES + FIT_BYTES_PER_TEXT_BYTE * text)
