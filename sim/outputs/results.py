"""The results folder: written whole or not at all, and read back for charts and reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from ..analysis.stats import with_zone
from ..errors import OutputError, ScenarioError, stops_held
from ..scenario.schema import Scenario

RESULT_MARKER = "manifest.json"
LIBRARIES = ("simpy", "numpy", "pandas", "scipy", "matplotlib", "pydantic", "pyarrow", "pyyaml", "dask", "typer", "rich")


def scenario_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True)


def json_digest(value) -> str:
    """sha256 of a JSON value's canonical form (sorted keys, no spaces): its content, not its layout."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def scenario_hash(scenario: Scenario) -> str:
    return json_digest(scenario.to_dict())


def _nearest_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_out_dir(out: str | Path | None, need_bytes: int = 0) -> None:
    """Refuse, before anything runs, an --out the results could not be written to: one that holds
    files, sits under a file, is not writable, or is on a disk without room for `need_bytes`.
    An existing empty folder (a mount point) is fine: the results go inside it."""
    if out is None:
        return
    try:
        path = Path(out).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise ScenarioError(f"--out {out}: cannot resolve this path ({exc})") from None
    if path.exists():
        if not path.is_dir():
            raise ScenarioError(f"--out {out} is a file; give a folder name")
        if any(path.iterdir()):
            raise ScenarioError(f"--out {out} already exists and is not empty; results never overwrite a folder")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise ScenarioError(f"--out {out}: {base} is a file, so no folder can be made inside it")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ScenarioError(f"--out {out}: {base} is not writable")
    if need_bytes:
        free = shutil.disk_usage(base).free
        if free < need_bytes:
            raise ScenarioError(f"--out {out}: the results need about {_size(need_bytes)} and {base} has "
                                f"{_size(free)} free; free some space, choose another --out, or shrink the run "
                                "(--no-calls, fewer days or replications)")


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


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


def _git_dirty() -> bool | None:
    """Whether the package's working tree has uncommitted changes (None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
                             capture_output=True, text=True, timeout=5, cwd=Path(__file__).resolve().parents[1])
        return bool(out.stdout.strip()) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def package_hash() -> str:
    """sha256 of the package's own source files: what ran, even without git."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".j2") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


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
        "git_dirty": _git_dirty(),
        "package_sha256": package_hash(),
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
    if getattr(experiment, "keep_calls", True):
        experiment.calls.to_parquet(folder / "calls.parquet", index=False)
    experiment.summary.to_csv(folder / "summary.csv", index=False)
    experiment.metrics.to_csv(folder / "metrics.csv", index=False)
    experiment.hourly.to_csv(folder / "hourly.csv", index=False)
    if experiment.units is not None:
        experiment.units.to_csv(folder / "units.csv", index=False)
    if experiment.comparison is not None:
        experiment.comparison.to_csv(folder / "comparison.csv", index=False)


PARTIAL = re.compile(r"^\.(?:.*\.)?partial-(\d+)-[0-9a-f]+$")
"""Name of a folder still being written (or left by a run that was killed): `.NAME.partial-PID-HEX`."""
_UNSEALED = {RESULT_MARKER, "report.html"}
"""Files a results folder may gain or redraw after it is written (charts live under figures/)."""


def _seal(folder: Path) -> None:
    """Record every data file's size in the manifest, so a damaged or truncated folder is
    recognised when it is read back."""
    path = folder / RESULT_MARKER
    if not path.exists():
        return
    info = json.loads(path.read_text())
    files = {}
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder).as_posix()
        if file.is_file() and rel not in _UNSEALED and not rel.startswith("figures/"):
            files[rel] = file.stat().st_size
    info["files"] = files
    info["manifest_sha256"] = _manifest_digest(info)
    path.write_text(json.dumps(info, indent=2) + "\n")


def _manifest_digest(info: dict) -> str:
    """A checksum of the manifest's own content, so an edited manifest is recognised."""
    return json_digest({k: v for k, v in info.items() if k != "manifest_sha256"})


def read_manifest(folder: str | Path) -> dict:
    """A results folder's manifest after checking the folder is whole: the manifest is as it was
    sealed, and every data file it lists is there with its recorded size (or ScenarioError naming
    what is wrong). Folders sealed before the manifest's own checksum existed are checked by size."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(f"{folder} is not a folder" if folder.exists() else f"{folder} does not exist")
    path = folder / RESULT_MARKER
    if not path.is_file():
        raise ScenarioError(f"{folder} is not a crisis-sim results folder (no {RESULT_MARKER})")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(f"{path} is damaged ({str(exc)[:100]}); rerun the command that made the folder") from None
    if not isinstance(info, dict) or not isinstance(info.get("scenarios", []), list):
        raise ScenarioError(f"{path} is damaged (not a manifest); rerun the command that made the folder")
    files = info.get("files")
    if isinstance(files, dict) and "manifest_sha256" in info and info["manifest_sha256"] != _manifest_digest(info):
        raise ScenarioError(f"{path} was changed after the folder was written (its content no longer matches the "
                            "checksum it was sealed with); rerun the command that made the folder")
    if isinstance(files, dict):
        for rel, size in files.items():
            file = folder / rel
            if not file.is_file():
                raise ScenarioError(f"{file} is missing; the folder is incomplete")
            if file.stat().st_size != size:
                raise ScenarioError(f"{file} is damaged or truncated ({file.stat().st_size:,} bytes; the manifest "
                                    f"records {size:,}); rerun the command that made the folder")
    return info


def results_kind(folder: str | Path) -> str:
    """What wrote a results folder: run, sweep, staffing or sensitivity (from its checked manifest)."""
    if PARTIAL.match(Path(folder).resolve().name):
        raise ScenarioError(f"{folder} is an unfinished results folder (a run that was stopped or is still "
                            "writing); it can be deleted")
    kind = read_manifest(folder).get("kind", "run")
    return kind if isinstance(kind, str) else "unknown"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_partials(where: Path) -> None:
    """Remove unfinished results folders in `where` whose writing process no longer runs."""
    try:
        entries = list(where.iterdir())
    except OSError:
        return
    for entry in entries:
        m = PARTIAL.match(entry.name)
        if m and entry.is_dir() and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def write_atomically(out: str | Path | None, default: Path, fill) -> Path:
    """Create a results folder whole or not at all: `fill(folder)` writes into a hidden folder
    on the same disk that is then renamed into place (`out`, or `default` when no --out was given).

    An existing empty `out` (a mount point) is filled instead: the hidden folder is made inside
    it and its contents moved up, the manifest last. A run that fails or is interrupted leaves
    no folder that looks complete; two runs started in the same second get different folders.
    Failing to write is an OutputError naming the folder and the reason.
    """
    explicit = out is not None
    final = Path(out) if explicit else default
    check_out_dir(final if explicit else None)
    into_empty = explicit and final.is_dir()  # an empty --out (a mount point); a default name in use gets a suffix
    tag = f"partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = final / f".{tag}" if into_empty else final.parent / f".{final.name}.{tag}"
    try:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_partials(tmp.parent)
        tmp.mkdir()
    except OSError as exc:
        raise OutputError(f"cannot create the results folder {final}: {exc.strerror or exc}") from None
    try:
        fill(tmp)
        _seal(tmp)
        with stops_held():  # put in place and recorded together, or neither
            done = _move_contents(tmp, final) if into_empty else _move_into_place(tmp, final, explicit)
            WRITTEN.append(done)
        return done
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"could not write the results to {final}: {exc.strerror or exc}; nothing was kept") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


WRITTEN: list[Path] = []
"""The results folders this process has put in place: a command stopped (Ctrl-C) after writing
one says so, instead of "nothing written"."""


def _move_contents(tmp: Path, final: Path) -> Path:
    entries = sorted(tmp.iterdir(), key=lambda p: p.name == RESULT_MARKER)
    moved = []
    try:
        for entry in entries:
            os.rename(entry, final / entry.name)
            moved.append(final / entry.name)
        tmp.rmdir()
    except BaseException:
        for path in moved:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return final


def _move_into_place(tmp: Path, final: Path, explicit: bool) -> Path:
    candidate = final
    for attempt in range(2, 1000):
        try:
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
    call_type: str | None = None  # when set, calls() gives only calls of this type (charts of one call type)

    @property
    def has_calls(self) -> bool:
        """False for a run saved with --no-calls (no per-call table)."""
        return not self.manifest.get("no_calls", False)

    def calls(self, columns: list[str] | None = None) -> pd.DataFrame:
        if self.call_type is not None:
            wanted = None if columns is None else list(dict.fromkeys([*columns, "call_type"]))
            table = self._read_calls(wanted)
            table = table[table["call_type"] == self.call_type]
            return table if columns is None or "call_type" in columns else table.drop(columns="call_type")
        return self._read_calls(columns)

    def of_call_type(self, call_type: str) -> "SavedResults":
        """The same results with calls() narrowed to one call type (ScenarioError if no scenario has it)."""
        import dataclasses

        types = {t for spec in self.scenarios.values() for t in ((spec or {}).get("demand") or {}).get("call_types", {})}
        if call_type not in types:
            raise ScenarioError(f"--call-type {call_type!r} is not a call type of these scenarios; they have: "
                                f"{', '.join(sorted(types)) or 'none'}")
        return dataclasses.replace(self, call_type=call_type)

    def _read_calls(self, columns: list[str] | None) -> pd.DataFrame:
        try:
            return pd.read_parquet(self.calls_path, columns=columns)
        except FileNotFoundError:
            raise ScenarioError(f"{self.calls_path} is missing; the folder is incomplete") from None
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{self.calls_path} is damaged ({str(exc)[:100]}); rerun the command that made "
                                "the folder") from None

    def label(self, name: str) -> str:
        """The scenario's label for charts and tables, with its name added if another scenario shares it."""
        from .formatting import distinct_labels

        names = [s["name"] for s in self.manifest.get("scenarios", [])] or list(self.scenarios)
        plain = {n: self.scenarios.get(n, {}).get("label") or n for n in names}
        return distinct_labels(plain).get(name, plain.get(name, name))


def saved_scenarios(folder: str | Path, man: dict) -> dict[str, dict]:
    """The resolved scenarios a results folder keeps (`scenarios/<name>.yaml`), as plain data, in the
    manifest's order; a missing file gives {"name": name}, a damaged one a ScenarioError naming it."""
    folder = Path(folder)
    scenarios = {}
    for entry in man.get("scenarios", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ScenarioError(f"{folder / RESULT_MARKER} is damaged (a scenario entry without a name)")
        path = folder / "scenarios" / f"{entry['name']}.yaml"
        try:
            scenarios[entry["name"]] = (yaml.safe_load(path.read_text()) if path.exists() else None) or {"name": entry["name"]}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise ScenarioError(f"{path} is damaged; rerun the command that made the folder") from None
    return scenarios


def load_results(folder: str | Path) -> SavedResults:
    """Read a results folder written by `crisis-sim run` (or raise ScenarioError naming what is missing)."""
    folder = Path(folder)
    man = read_manifest(folder)
    scenarios = saved_scenarios(folder, man)

    def read(name: str) -> pd.DataFrame:
        try:
            df = pd.read_csv(folder / name)
        except FileNotFoundError:
            raise ScenarioError(f"{folder / name} is missing; the folder is incomplete") from None
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ScenarioError(f"{folder / name} is damaged ({str(exc)[:100]}); rerun the command that made "
                                "the folder") from None
        if "team" in df:
            df["team"] = df["team"].fillna("").astype(str)  # system-wide rows have an empty team
        if "metric" in df:
            df = with_zone(df)  # folders written before zones have no zone column
            df["zone"] = df["zone"].astype(object).fillna("").astype(str)  # whole-city rows have an empty zone
        return df

    comparison = read("comparison.csv") if (folder / "comparison.csv").exists() else None
    return SavedResults(folder=folder, manifest=man, scenarios=scenarios, summary=read("summary.csv"),
                        metrics=read("metrics.csv"), hourly=read("hourly.csv"), comparison=comparison,
                        calls_path=folder / "calls.parquet")


def same_bytes(a: str | Path, b: str | Path, names: tuple[str, ...] = (
        "summary.csv", "metrics.csv", "comparison.csv", "hourly.csv")) -> dict[str, bool | None]:
    """For each table, whether two results folders hold it byte for byte (None: in neither)."""
    out: dict[str, bool | None] = {}
    for name in names:
        pa, pb = Path(a) / name, Path(b) / name
        if not pa.exists() and not pb.exists():
            out[name] = None
        else:
            out[name] = pa.exists() and pb.exists() and pa.read_bytes() == pb.read_bytes()
    return out
