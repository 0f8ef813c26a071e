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


def check_fits(est: Estimate, what: str = "this run") -> None:
    """Refuse (ScenarioError, exit 2) a run whose peak memory cannot fit in what is available."""
    free = available_memory()
    if free is None or est.peak_bytes <= free:
        return
    raise ScenarioError(
        f"{what} would need about {size_text(est.peak_bytes)} of memory at its peak and this machine has "
        f"{size_text(free)} available ({est.describe()}). Shrink it: fewer days (--days), fewer replications "
        f"(-r), fewer workers (--workers), or --no-calls to skip the per-call table")
