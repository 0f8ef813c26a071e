"""The results folder: written whole or not at all, and read back for charts and reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from ..errors import ScenarioError
from ..scenario.schema import Scenario

RESULT_MARKER = "manifest.json"
LIBRARIES = ("simpy", "numpy", "pandas", "scipy", "matplotlib", "pydantic", "pyarrow", "pyyaml", "dask", "typer", "rich")


def scenario_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True)


def scenario_hash(scenario: Scenario) -> str:
    canonical = json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_out_dir(out: str | Path | None) -> None:
    """Refuse, before anything runs, an --out folder that already holds files."""
    if out is None:
        return
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ScenarioError(f"--out {path} already exists and is not empty; results never overwrite a folder")


def default_out_dir(names: list[str], root: Path = Path("results")) -> Path:
    label = names[0] if len(names) == 1 else "_vs_".join(names)
    if len(label) > 80:
        label = f"{names[0]}_and_{len(names) - 1}_more"
    return root / label / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            continue
    return out


def manifest(kind: str, scenarios: list[Scenario], *, seed: int, replications: int, days: float,
             warmup_days: float, executor: str, wall_time_s: float, baseline: str | None = None,
             paired: dict[str, bool] | None = None, command: str | None = None, **extra) -> dict:
    """manifest.json of a results folder of any kind, from the facts of the run (`extra`: kind-specific blocks)."""
    try:
        version = metadata.version("crisis-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    paired = paired or {}
    return {
        "package": "crisis-sim",
        "version": version,
        "kind": kind,
        "git_commit": _git_commit(),
        "command": command or " ".join(sys.argv),
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seed": seed,
        "replications": replications,
        "days": days,
        "warmup_days": warmup_days,
        "baseline": baseline,
        "scenarios": [
            {"name": s.name, "label": s.display_label, "sha256": scenario_hash(s),
             "paired_with_baseline": paired.get(s.name, True)}
            for s in scenarios
        ],
        "executor": executor,
        "wall_time_s": round(wall_time_s, 3),
        "libraries": _versions(),
        "platform": platform.platform(),
        **extra,
    }


def write_manifest(folder: Path, info: dict) -> None:
    (folder / RESULT_MARKER).write_text(json.dumps(info, indent=2) + "\n")


def write_scenarios(folder: Path, scenarios) -> None:
    """Each resolved scenario, exactly as run, in `scenarios/<name>.yaml`."""
    (folder / "scenarios").mkdir(parents=True, exist_ok=True)
    for s in scenarios:
        (folder / "scenarios" / f"{s.name}.yaml").write_text(scenario_yaml(s), encoding="utf-8")


def write_tables(experiment, folder: Path) -> None:
    """The data files of a run's results folder (no manifest, no charts)."""
    write_scenarios(folder, experiment.scenarios)
    experiment.calls.to_parquet(folder / "calls.parquet", index=False)
    experiment.summary.to_csv(folder / "summary.csv", index=False)
    experiment.metrics.to_csv(folder / "metrics.csv", index=False)
    experiment.hourly.to_csv(folder / "hourly.csv", index=False)
    if experiment.comparison is not None:
        experiment.comparison.to_csv(folder / "comparison.csv", index=False)


def results_kind(folder: str | Path) -> str:
    """What wrote a results folder: run, sweep, staffing or sensitivity (from its manifest)."""
    path = Path(folder) / RESULT_MARKER
    if not path.exists():
        raise ScenarioError(f"{folder} is not a crisis-sim results folder (no {RESULT_MARKER})")
    return json.loads(path.read_text()).get("kind", "run")


def write_atomically(out: str | Path | None, default: Path, fill) -> Path:
    """Create a results folder whole or not at all: `fill(folder)` writes into a hidden sibling
    that is then renamed into place (`out`, or `default` when no --out was given).

    A run that fails or is interrupted leaves no folder that looks complete; two runs started
    in the same second get different folders.
    """
    explicit = out is not None
    final = Path(out) if explicit else default
    check_out_dir(final if explicit else None)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        fill(tmp)
        return _move_into_place(tmp, final, explicit)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _move_into_place(tmp: Path, final: Path, explicit: bool) -> Path:
    candidate = final
    for attempt in range(2, 1000):
        try:
            if candidate.exists() and candidate.is_dir() and not any(candidate.iterdir()):
                candidate.rmdir()
            os.rename(tmp, candidate)
            return candidate
        except OSError:
            if explicit:
                raise ScenarioError(f"--out {final} was filled by something else while this run was going") from None
            candidate = final.with_name(f"{final.name}-{attempt}")
    raise OSError(f"could not find a free folder name next to {final}")


@dataclass
class SavedResults:
    """A results folder read back: everything charts and reports need, without re-running."""

    folder: Path
    manifest: dict
    scenarios: dict[str, dict]
    summary: pd.DataFrame
    metrics: pd.DataFrame
    hourly: pd.DataFrame
    comparison: pd.DataFrame | None
    calls_path: Path

    def calls(self, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.calls_path, columns=columns)

    def label(self, name: str) -> str:
        return self.scenarios.get(name, {}).get("label") or name


def load_results(folder: str | Path) -> SavedResults:
    """Read a results folder written by `crisis-sim run` (or raise ScenarioError naming what is missing)."""
    folder = Path(folder)
    if not (folder / RESULT_MARKER).exists():
        raise ScenarioError(f"{folder} is not a crisis-sim results folder (no {RESULT_MARKER})")
    man = json.loads((folder / RESULT_MARKER).read_text())
    scenarios = {}
    for entry in man.get("scenarios", []):
        path = folder / "scenarios" / f"{entry['name']}.yaml"
        scenarios[entry["name"]] = yaml.safe_load(path.read_text()) if path.exists() else {"name": entry["name"]}

    def read(name: str) -> pd.DataFrame:
        df = pd.read_csv(folder / name)
        if "team" in df:
            df["team"] = df["team"].fillna("").astype(str)  # system-wide rows have an empty team
        return df

    comparison = read("comparison.csv") if (folder / "comparison.csv").exists() else None
    return SavedResults(folder=folder, manifest=man, scenarios=scenarios, summary=read("summary.csv"),
                        metrics=read("metrics.csv"), hourly=read("hourly.csv"), comparison=comparison,
                        calls_path=folder / "calls.parquet")
