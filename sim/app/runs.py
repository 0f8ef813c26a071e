"""Running comparisons for the page: per-scenario caching, fresh results folders, downloads.

A scenario's replication tables depend only on the scenario and the run settings (common
random numbers are keyed by stream name and replication), so they are cached by (scenario
hash, replications, days, warm-up, seed): a what-if that changes one scenario re-runs only
that one, and a chart option never re-runs anything. Every comparison is written to its own
new results folder by the same writer as `crisis-sim run`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from ..designs.experiment import Experiment, assemble_experiment, run_experiment
from ..errors import ScenarioError
from ..outputs.folders import save
from ..outputs.results import RESULT_MARKER, results_kind, scenario_hash
from ..scenario.schema import Scenario

TABLES = ("calls", "summary", "hourly")


@dataclass(frozen=True)
class RunSettings:
    """How much to simulate; `warmup_days` None means the first scenario's own."""

    replications: int
    days: float
    seed: int
    warmup_days: float | None = None

    def resolved(self, first: Scenario) -> "RunSettings":
        warmup = first.run.warmup_days if self.warmup_days is None else self.warmup_days
        return RunSettings(self.replications, self.days, self.seed, warmup)


def scenario_key(scenario: Scenario, settings: RunSettings) -> tuple:
    return (scenario_hash(scenario), settings.replications, float(settings.days), float(settings.warmup_days or 0),
            settings.seed)


def comparison_key(scenarios: Sequence[Scenario], settings: RunSettings) -> str:
    """A short hash naming one comparison: its scenarios (in order) and run settings."""
    text = repr([scenario_key(s, settings) for s in scenarios])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class RunCache:
    """Replication tables per scenario and results folders per comparison, shared by the page's sessions."""

    def __init__(self, max_scenarios: int = 24):
        self.max_scenarios = max_scenarios
        self._tables: OrderedDict[tuple, dict[str, pd.DataFrame]] = OrderedDict()
        self.folders: dict[str, Path] = {}
        self.replications_simulated = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> dict[str, pd.DataFrame] | None:
        with self.lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        return None

    def put(self, key: tuple, tables: dict[str, pd.DataFrame]) -> None:
        with self.lock:
            self._tables[key] = tables
            self._tables.move_to_end(key)
            while len(self._tables) > self.max_scenarios:
                self._tables.popitem(last=False)


def check_names(scenarios: Sequence[Scenario]) -> None:
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(f"scenario names must differ; used twice: {', '.join(dupes)}")


PAGE_ADVICE = "fewer days or replications on the page, or fewer scenarios at once"


def check_run_fits(scenarios: Sequence[Scenario], settings: RunSettings, workers: int, keep_calls: bool = True) -> None:
    """Refuse (ScenarioError, before any work) a run the page's machine cannot hold, as the command line does."""
    from ..designs.resources import check_fits, estimate

    settings = settings.resolved(scenarios[0])
    est = estimate(list(scenarios), settings.replications, settings.days, settings.warmup_days, workers, keep_calls)
    check_fits(est, "this run", advice=PAGE_ADVICE)


def run_comparison(scenarios: Sequence[Scenario], settings: RunSettings, cache: RunCache, workers: int = 1,
                   on_done: Callable[[int], None] | None = None) -> Experiment:
    """Every scenario for the same replications (CRN), the first as baseline; only uncached scenarios run."""
    scenarios = list(scenarios)
    check_names(scenarios)
    settings = settings.resolved(scenarios[0])
    keys = [scenario_key(s, settings) for s in scenarios]
    parts = [cache.get(k) for k in keys]
    missing = [s for s, p in zip(scenarios, parts) if p is None]
    started = time.perf_counter()
    executor = "cached"
    if missing:
        check_run_fits(missing, settings, workers)
        exp = run_experiment(missing, replications=settings.replications, seed=settings.seed, days=settings.days,
                             warmup_days=settings.warmup_days, workers=workers, on_done=on_done)
        executor = exp.executor
        cache.replications_simulated += settings.replications * len(missing)
        new = {s.name: {t: _rows(getattr(exp, t), s.name) for t in TABLES} for s in missing}
        for s in missing:
            cache.put(scenario_key(s, settings), new[s.name])
        parts = [new[s.name] if p is None else p for s, p in zip(scenarios, parts)]
    tables = {t: pd.concat([p[t] for p in parts], ignore_index=True) for t in TABLES}
    return assemble_experiment(scenarios, tables, replications=settings.replications, seed=settings.seed,
                               days=settings.days, warmup_days=settings.warmup_days, baseline=scenarios[0].name,
                               executor=executor, wall_time_s=time.perf_counter() - started)


def _rows(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["scenario"] == name].reset_index(drop=True)


def new_folder(root: Path, names: Sequence[str], key: str) -> Path:
    """A fresh results folder path under `root`, like `crisis-sim run`'s default, never an existing one."""
    label = names[0] if len(names) == 1 else "_vs_".join(names)
    if len(label) > 80:
        label = f"{names[0]}_and_{len(names) - 1}_more"
    return Path(root) / label / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{key}"


def save_comparison(experiment: Experiment, root: Path, command: str, cache: RunCache, key: str) -> Path:
    """The comparison's results folder (tables and manifest; charts are drawn separately), written once."""
    with cache.lock:
        folder = cache.folders.get(key)
    if folder is not None and (folder / RESULT_MARKER).exists():
        return folder
    folder = save(experiment, new_folder(root, experiment.names, key), command=command, charts=False)
    with cache.lock:
        cache.folders[key] = folder
    return folder


def zip_folder(folder: Path) -> bytes:
    """A results folder as a zip archive (paths inside start with the folder's name)."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    return buffer.getvalue()


def results_folders(root: Path, limit: int = 200) -> list[Path]:
    """Results folders under `root` (any kind), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p.parent for p in root.rglob(RESULT_MARKER) if not any(part.startswith(".") for part in p.parts[-4:-1])]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:limit]


def folder_kind(folder: Path) -> str:
    try:
        return results_kind(folder)
    except (ScenarioError, ValueError, OSError):
        return "unknown"
