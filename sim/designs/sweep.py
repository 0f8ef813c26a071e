"""Sweeps: one scenario run at many values of some of its keys, with common random numbers.

A sweep file names a scenario and the key paths to vary. Every point of the sweep is a
derived scenario, validated like any scenario before anything runs; all points run in one
experiment, so replication r of every point sees the same calls when demand is not varied.

With `baseline:` (another scenario file) the baseline runs beside the points in the same
replications, and `differences.csv` holds each point's paired difference from it (against.py):
what the scenario changes, at each setting, against, say, police only.
"""

from __future__ import annotations

import itertools
import math
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..analysis.targets import MetricRef, Target, parse_metric, parse_target
from ..errors import ScenarioError, ScenarioErrors
from ..scenario.bounds import check_magnitudes
from ..scenario.loading import (
    format_validation_errors,
    get_key_path,
    load_raw,
    load_scenario,
    parse_key_path,
    read_yaml,
    validate_scenario,
)
from ..scenario.schema import Scenario
from ..scenario.variants import derive, short_value
from .against import baseline_names, baseline_scenarios, paired_values, shared_keys
from .executors import DASK_TIMEOUT_S
from .experiment import Experiment, run_experiment

DEFAULT_METRICS = ("response_min_p90", "fallback_share", "police_hours_crisis", "cost_total")


class SweepSpec(BaseModel):
    """A sweep file: which scenario, which keys to vary over which values, how to run it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self):
        check_magnitudes(self)
        return self

    scenario: str = Field(description="Scenario file; a relative path is relative to the sweep file.")
    name: str | None = Field(None, pattern=r"^[a-z0-9_]+$",
                             description="Id of the sweep for folder names; default: <scenario name>_sweep.")
    label: str | None = Field(None, description="Plain-words title for charts.")
    vary: dict[str, list[Any]] = Field(min_length=1, description="Dotted key path (list index allowed) -> values.")
    mode: Literal["grid", "zip"] = Field("grid", description="grid: all combinations; zip: the i-th value of every key together.")
    replications: int | None = Field(None, ge=1, le=10_000, description="Default: the scenario's run.replications.")
    days: float | None = Field(None, gt=0, description="Simulated days after warm-up; default: the scenario's.")
    warmup_days: float | None = Field(None, ge=0, description="Warm-up days; default: the scenario's.")
    seed: int | None = Field(None, ge=0, description="Base seed; default: the scenario's.")
    target: str | None = Field(None, description='A line on the charts, e.g. "response_min_p90<=20".')
    metrics: list[str] | None = Field(None, min_length=1, description="Metrics to chart, e.g. utilization[peer_team].")
    labels: dict[str, str] = Field(default_factory=dict, description="Plain words for a varied key on chart axes.")
    baseline: str | None = Field(None, description="A scenario file to compare every point with (paired, in the "
                                 "same replications), e.g. ../police_only.yaml; a relative path is relative to the "
                                 "sweep file. Varied keys it has too are set in it as well.")

    @field_validator("vary")
    @classmethod
    def _non_empty(cls, v):
        for key, values in v.items():
            if not values:
                raise ValueError(f"{key}: give at least one value")
        return v


@dataclass(frozen=True)
class SweepPoint:
    """One derived scenario of a sweep and the values it sets."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: every point's scenario, ready to run."""

    spec: SweepSpec
    base: Scenario
    points: list[SweepPoint]
    target: Target | None
    metrics: list[MetricRef]
    file: str | None = None
    baseline: Scenario | None = None
    baseline_runs: tuple[Scenario, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name or f"{self.base.name}_sweep"

    @property
    def keys(self) -> list[str]:
        return list(self.spec.vary)

    def key_label(self, key: str) -> str:
        return self.spec.labels.get(key) or describe_key(key, self.base)

    @property
    def compared(self) -> list[MetricRef]:
        """The charted metrics the baseline has too (a team only the scenario has cannot be compared)."""
        if self.baseline is None:
            return []
        out = []
        for ref in self.metrics:
            try:
                ref.check(self.baseline, "baseline")
            except ScenarioError:
                continue
            out.append(ref)
        return out

    @property
    def shared(self) -> list[str]:
        """The varied keys the baseline has too (set in it as well)."""
        return shared_keys(self.baseline, self.keys) if self.baseline is not None else []

    def baseline_names(self) -> list[str]:
        """Per point, the baseline run beside it (empty without a baseline)."""
        if self.baseline is None:
            return []
        return baseline_names(self.baseline, self.shared, [p.values for p in self.points])

    def base_values(self) -> dict[str, Any]:
        """Each varied key's value in the scenario as it is (None where the scenario does not set it)."""
        raw = self.base.to_dict()
        out = {}
        for key in self.keys:
            try:
                out[key] = cell(get_key_path(raw, key))
            except ScenarioError:
                out[key] = None
        return out

    def table(self) -> pd.DataFrame:
        """points.csv: one row per point with its scenario name and one column per varied key (and, with a
        baseline, the baseline run it is compared with)."""
        rows = [{"point": p.index, "scenario": p.scenario.name, **{k: cell(v) for k, v in p.values.items()}}
                for p in self.points]
        table = pd.DataFrame(rows, columns=["point", "scenario", *self.keys])
        if self.baseline is not None:
            table["baseline"] = self.baseline_names()
        return table


def cell(value: Any) -> Any:
    """A varied value as a table cell: numbers and strings as they are, anything else as JSON."""
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return json.dumps(value, sort_keys=True)


# plain words for the parts of a key path (charts and tables show these; the raw key stays in the CSVs)
_KEY_WORDS = {
    "on_scene_min": "time on scene", "response_min": "travel time", "duration_min": "visit time",
    "mean": "(mean, min)", "sd": "(sd, min)", "probability": "chance", "max_wait_min": "max wait (min)",
    "cost_per_unit_hour": "cost per unit-hour", "units": "units on shift", "start": "shift starts at",
    "end": "shift ends at", "probability_by_risk": "chance by risk:", "crisis_calls_per_day": "crisis calls a day",
    "share": "share", "fixed_per_year": "fixed cost a year",
}


def describe_key(key: str, scenario: Scenario | None = None) -> str:
    """Plain words for a key path: teams.peer_team.shifts[0].units -> "Peer + clinician team units (shift 1)"."""
    parts = parse_key_path(key)
    words: list[str] = []
    shift = None
    i = 0
    if parts[0] == "teams" and len(parts) > 1:
        team = scenario.teams.get(str(parts[1])) if scenario else None
        words.append(team.label if team and team.label else str(parts[1]).replace("_", " "))
        i = 2
    elif parts[0] in ("demand", "run"):
        i = 1
    for part in parts[i:]:
        if isinstance(part, int):
            shift = part
        elif part != "shifts":
            words.append(_KEY_WORDS.get(str(part), str(part).replace("_min", " (min)").replace("_", " ")))
    text = " ".join(words)
    if shift is not None and "shifts" in [p for p in parts if isinstance(p, str)]:
        text += f" (shift {shift + 1})"
    elif shift is not None:
        text += f" [{shift}]"
    return text[:1].upper() + text[1:]


MAX_POINTS = 10_000
"""Most points a sweep may have (each point is a whole scenario run for every replication)."""


def _combinations(spec: SweepSpec, file: str | None) -> list[dict[str, Any]]:
    keys = list(spec.vary)
    lists = [spec.vary[k] for k in keys]
    count = min(map(len, lists), default=0) if spec.mode == "zip" else math.prod(map(len, lists))
    if count > MAX_POINTS:
        sizes = " × ".join(str(len(v)) for v in lists)
        raise ScenarioError(f"the sweep has {count:,} points ({sizes}); at most {MAX_POINTS:,} can run. Vary fewer "
                            "keys or fewer values, or use `crisis-sim sensitivity` for many inputs", file=file,
                            path="vary")
    if spec.mode == "zip":
        lengths = {k: len(v) for k, v in spec.vary.items()}
        if len(set(lengths.values())) > 1:
            sizes = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise ScenarioError(f"mode zip needs lists of the same length: {sizes}", file=file, path="vary")
        combos = list(zip(*lists))
    else:
        combos = list(itertools.product(*lists))
    return [dict(zip(keys, c)) for c in combos]


def expand(spec: SweepSpec, base_raw: dict, file: str | None = None, scenario_file: str | None = None,
           baseline: Scenario | None = None) -> Sweep:
    """Validate the sweep and build every point's scenario (raises ScenarioError before anything runs)."""
    base = validate_scenario(base_raw, file=scenario_file)
    for key in spec.vary:
        try:
            parts = parse_key_path(key)
        except ScenarioError as exc:
            raise ScenarioError(exc.message, file=file, path=f"vary.{key}") from None
        if parts[0] == "name":
            raise ScenarioError("the name is set per point by the sweep; vary something else", file=file,
                                path=f"vary.{key}")
    points = []
    name = base.name
    for i, values in enumerate(_combinations(spec, file)):
        described = ", ".join(f"{describe_key(k, base)} = {short_value(v)}" for k, v in values.items())
        try:
            where = ", ".join(f"{k}={short_value(v)}" for k, v in values.items())
            scenario = derive(base_raw, values, f"{name}__p{i}", f"{base.display_label}: {described}",
                              file=scenario_file, context=f"at sweep point {where}")
        except ScenarioErrors as exc:
            raise ScenarioErrors([ScenarioError(e.message, file=file, path=e.path) for e in exc.errors]) from None
        except ScenarioError as exc:
            raise ScenarioError(f"not a key of scenario {name!r}: {exc.message}", file=file,
                                path=f"vary.{exc.path}") from None
        points.append(SweepPoint(i, values, scenario))
    try:
        target = parse_target(spec.target, "target") if spec.target else None
        if target is not None:
            target.ref.check(base, "target")
        refs = [parse_metric(m, f"metrics[{j}]") for j, m in enumerate(spec.metrics or [])]
        for j, ref in enumerate(refs):
            ref.check(base, f"metrics[{j}]")
    except ScenarioError as exc:
        raise ScenarioError(exc.message, file=file, path=exc.path) from None
    if not refs:
        refs = [MetricRef(m) for m in DEFAULT_METRICS]
    if target is not None and target.ref not in refs:
        refs.insert(0, target.ref)
    for key in spec.labels:
        if key not in spec.vary:
            raise ScenarioError(f"labels names {key!r}, which is not a varied key", file=file, path=f"labels.{key}")
    sweep = Sweep(spec=spec, base=base, points=points, target=target, metrics=refs, file=file, baseline=baseline)
    if baseline is None:
        return sweep
    try:
        runs = baseline_scenarios(baseline, sweep.shared, [p.values for p in points], sweep.baseline_names())
    except ScenarioErrors as exc:
        raise ScenarioErrors([ScenarioError(e.message, file=file, path="baseline") for e in exc.errors]) from None
    return Sweep(spec=spec, base=base, points=points, target=target, metrics=refs, file=file, baseline=baseline,
                 baseline_runs=tuple(runs))


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and expand a sweep file."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError("a sweep file is a mapping with scenario, vary and mode", file=str(path))
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioErrors(format_validation_errors(exc, data, str(path), root=SweepSpec)) from None
    scenario_path = path.parent / spec.scenario
    if not scenario_path.exists():
        raise ScenarioError(f"scenario file {spec.scenario!r} not found (looked in {path.parent})", file=str(path),
                            path="scenario")
    baseline = None
    if spec.baseline is not None:
        baseline_path = path.parent / spec.baseline
        if not baseline_path.is_file():
            raise ScenarioError(f"baseline scenario file {spec.baseline!r} not found (looked in {path.parent})",
                                file=str(path), path="baseline")
        baseline = load_scenario(baseline_path)
    return expand(spec, load_raw(scenario_path), file=str(path), scenario_file=str(scenario_path), baseline=baseline)


def make_sweep(scenario: str | Path | Scenario, vary: dict[str, list[Any]], baseline: str | Path | Scenario | None = None,
               **options) -> Sweep:
    """A sweep from Python (notebooks): a scenario or its file, the keys to vary, optionally a baseline scenario
    (or its file) to compare every point with, and SweepSpec options."""
    against = load_scenario(baseline) if isinstance(baseline, (str, Path)) else baseline
    if against is not None:
        options["baseline"] = str(baseline) if isinstance(baseline, (str, Path)) else against.name
    if isinstance(scenario, Scenario):
        raw, file = scenario.to_dict(), None
        spec = SweepSpec(scenario=scenario.name, vary=vary, **options)
    else:
        raw, file = load_raw(scenario), str(scenario)
        spec = SweepSpec(scenario=str(scenario), vary=vary, **options)
    return expand(spec, raw, scenario_file=file, baseline=against)


@dataclass
class SweepResult:
    """A sweep's experiment and its tables with one column per varied key."""

    kind = "sweep"

    sweep: Sweep
    experiment: Experiment
    summary: pd.DataFrame = field(init=False)
    metrics: pd.DataFrame = field(init=False)

    differences: pd.DataFrame | None = field(init=False)

    def __post_init__(self):
        self.summary = with_keys(self.experiment.summary, self.sweep)
        self.metrics = with_keys(self.experiment.metrics, self.sweep)
        self.differences = differences(self.sweep, self.experiment.summary) if self.sweep.baseline else None


def differences(sweep: Sweep, summary: pd.DataFrame) -> pd.DataFrame:
    """differences.csv: per point and charted metric, the paired difference from its baseline run over replications
    (mean, 95% t interval of the per-replication differences, p value) and the two levels."""
    from ..analysis.stats import paired_difference

    pairs = sweep.table()
    rows = []
    for ref in sweep.compared:
        values = ref.values(summary)[["scenario", "replication", "value"]]
        diffs = paired_values(values, pairs)
        levels = values.groupby("scenario")["value"].mean()
        for point in pairs.itertuples(index=False):
            d = diffs.loc[diffs["scenario"] == point.scenario, "value"].to_numpy()
            mean, lo, hi, p = paired_difference(d, [0.0] * len(d))
            rows.append({**{k: v for k, v in zip(pairs.columns, point) if k != "point"}, "metric": ref.metric,
                         "team": ref.team, "diff_mean": mean, "ci_low": lo, "ci_high": hi, "p_value": p,
                         "level": levels.get(point.scenario), "baseline_level": levels.get(point.baseline),
                         "n": len(d)})
    return pd.DataFrame(rows)


def with_keys(table: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """The table with one column per varied key, right after the scenario column (baseline runs: no keys)."""
    points = sweep.table().drop(columns=["point", "baseline"], errors="ignore")
    out = table.merge(points, on="scenario", how="left", sort=False)
    cols = ["scenario", *sweep.keys] + [c for c in table.columns if c != "scenario"]
    return out[cols]


def run_sweep(sweep: Sweep, workers: int = 1, scheduler: str | None = None,
              on_done: Callable[[int], None] | None = None, dask_timeout_s: float = DASK_TIMEOUT_S,
              keep_calls: bool = True) -> SweepResult:
    """Run every point of the sweep for the same replications (common random numbers); `keep_calls=False`
    drops the per-call table (calls.parquet) in the workers."""
    spec = sweep.spec
    experiment = run_experiment([p.scenario for p in sweep.points] + list(sweep.baseline_runs),
                                replications=spec.replications, seed=spec.seed,
                                days=spec.days, warmup_days=spec.warmup_days, workers=workers, scheduler=scheduler,
                                on_done=on_done, dask_timeout_s=dask_timeout_s, keep_calls=keep_calls)
    return SweepResult(sweep, experiment)


def total_jobs(sweep: Sweep) -> int:
    """Replications the sweep will run (for a progress bar)."""
    return (len(sweep.points) + len(sweep.baseline_runs)) * (sweep.spec.replications or sweep.base.run.replications)
