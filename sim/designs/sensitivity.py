"""Sensitivity analysis: which assumption drives a result?

Inputs (numeric scenario keys) vary over ranges. A Latin hypercube sample of the ranges
gives standardised regression coefficients (SRC: the change in the metric, in standard
deviations, per standard deviation of the input, with the other inputs held fixed by the
regression) and Spearman rank correlations per input. One-at-a-time runs at each input's
low and high value, the others at the scenario's own values, give the tornado chart. Every
point runs the same replications with common random numbers.

With a baseline scenario (`--baseline police_only.yaml`) the result explained is the
difference "scenario − baseline" in each replication: a paired difference under common
random numbers, whose 95% CI (a t interval of the per-replication differences) is much
narrower than either level's. Inputs the baseline has too are set in it as well (against.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from ..analysis.stats import paired_difference, t_interval
from ..analysis.targets import MetricRef
from ..engine.streams import stream
from ..errors import ScenarioError
from ..scenario.loading import get_key_path
from ..scenario.schema import Scenario
from ..scenario.variants import derive
from .against import baseline_names, baseline_scenarios, paired_values, shared_keys
from .executors import DASK_TIMEOUT_S
from .experiment import Experiment, run_experiment
from .sweep import describe_key

_VARY = re.compile(r"^\s*([^=]+?)\s*=\s*([-+0-9.eE]+)\s*:\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Factor:
    """One input: a numeric key path, its range, and its value in the scenario."""

    key: str
    low: float
    high: float
    base: float
    integer: bool

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map [0, 1) to the range (integers get equal-width bins, so each value is as likely)."""
        if self.integer:
            return np.clip(np.floor(self.low + u * (self.high - self.low + 1)), self.low, self.high)
        return self.low + u * (self.high - self.low)

    def value(self, x: float):
        return int(round(x)) if self.integer else float(x)


def parse_vary(text: str, scenario: Scenario) -> Factor:
    """`teams.peer_team.on_scene_min.mean=40:90` -> a Factor checked against the scenario."""
    m = _VARY.match(text)
    if not m:
        raise ScenarioError(f"cannot read {text!r}; write KEY.PATH=LOW:HIGH, e.g. teams.peer_team.on_scene_min.mean=40:90",
                            path="--vary")
    key = m.group(1)
    try:
        low, high = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise ScenarioError(f"{text!r}: LOW and HIGH must be numbers", path="--vary") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ScenarioError(f"{text!r}: need LOW < HIGH", path="--vary")
    if key.split(".")[0].split("[")[0] == "run":
        raise ScenarioError(f"{key!r} is a run setting, not an input of the model, and varying it would have no "
                            "effect; set it for the whole design with --days, --warmup-days, --seed or -r",
                            path="--vary")
    try:
        base = get_key_path(scenario.to_dict(), key)
    except ScenarioError:
        raise ScenarioError(f"{key!r} is not a key of scenario {scenario.name!r}", path="--vary") from None
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise ScenarioError(f"{key!r} is {base!r}, not a number; vary a numeric key", path="--vary")
    integer = isinstance(base, int)
    if integer and not (low.is_integer() and high.is_integer()):
        raise ScenarioError(f"{key!r} takes whole numbers; give a whole-number range", path="--vary")
    return Factor(key, low, high, float(base), integer)


@dataclass(frozen=True)
class SensitivityDesign:
    """What to vary, what to watch, and how many runs."""

    scenario: Scenario
    factors: tuple[Factor, ...]
    metric: MetricRef
    samples: int = 64
    replications: int = 3
    days: float | None = None
    warmup_days: float | None = None
    seed: int | None = None
    baseline: Scenario | None = None

    def check(self) -> None:
        if not self.factors:
            raise ScenarioError('give at least one --vary "KEY.PATH=LOW:HIGH"', path="--vary")
        keys = [f.key for f in self.factors]
        if len(set(keys)) != len(keys):
            raise ScenarioError("a key is varied twice", path="--vary")
        if self.samples < len(self.factors) + 2:
            raise ScenarioError(f"need at least {len(self.factors) + 2} samples for {len(self.factors)} inputs "
                                "(the regression has one coefficient per input)", path="--samples")
        self.metric.check(self.scenario, "--metric")
        if self.baseline is not None:
            try:
                self.metric.check(self.baseline, "--metric")
            except ScenarioError as exc:
                raise ScenarioError(f"the baseline {self.baseline.name!r} has no such result to subtract: "
                                    f"{exc.message}", path="--metric") from None

    def shared(self) -> tuple[Factor, ...]:
        """The inputs the baseline has too: they are set in the baseline as well."""
        if self.baseline is None:
            return ()
        keys = shared_keys(self.baseline, [f.key for f in self.factors])
        return tuple(f for f in self.factors if f.key in keys)

    @property
    def seed_value(self) -> int:
        return self.scenario.run.seed if self.seed is None else self.seed

    def points(self) -> pd.DataFrame:
        """One row per run point: kind (base, low, high, lhs), the factor for low/high, and a column per key."""
        rows = [{"kind": "base", "factor": "", **{f.key: f.value(f.base) for f in self.factors}}]
        for f in self.factors:
            for kind, x in (("low", f.low), ("high", f.high)):
                rows.append({"kind": kind, "factor": f.key,
                             **{g.key: g.value(x if g is f else g.base) for g in self.factors}})
        sampler = qmc.LatinHypercube(d=len(self.factors), rng=stream(self.seed_value, 0, "sensitivity.latin_hypercube"))
        unit = sampler.random(self.samples)
        for i in range(self.samples):
            rows.append({"kind": "lhs", "factor": "",
                         **{f.key: f.value(f.from_unit(unit[i:i + 1, j])[0]) for j, f in enumerate(self.factors)}})
        table = pd.DataFrame(rows)
        table.insert(0, "point", range(len(table)))
        table.insert(1, "scenario", [f"{self.scenario.name}__s{i}" for i in range(len(table))])
        if self.baseline is not None:  # each point's baseline run: one per set of values of the shared inputs
            table["baseline"] = baseline_names(self.baseline, [f.key for f in self.shared()],
                                               table.to_dict("records"))
        return table

    def scenarios(self, points: pd.DataFrame) -> list[Scenario]:
        """Every point's scenario, validated (a value out of a key's allowed range is bad input)."""
        out = []
        for row in points.itertuples(index=False):
            values = dict(zip(points.columns, row))
            changes = {f.key: values[f.key] for f in self.factors}
            where = ", ".join(f"{f.key}={values[f.key]:g}" for f in self.factors)
            out.append(derive(self.scenario, changes, values["scenario"],
                              f"{self.scenario.display_label} ({values['kind']})", context=f"with {where}"))
        return out

    def baseline_runs(self, points: pd.DataFrame) -> pd.DataFrame:
        """One row per baseline run: its scenario name and the values of the shared inputs it is run with."""
        shared = [f.key for f in self.shared()]
        if self.baseline is None:
            return pd.DataFrame(columns=["scenario", *shared])
        runs = points.drop_duplicates("baseline")[["baseline", *shared]].rename(columns={"baseline": "scenario"})
        return runs.reset_index(drop=True)

    def baseline_scenarios(self, points: pd.DataFrame) -> list[Scenario]:
        """The baseline as run beside the points (validated like them), with the shared inputs set."""
        if self.baseline is None:
            return []
        return baseline_scenarios(self.baseline, [f.key for f in self.shared()], points.to_dict("records"),
                                  list(points["baseline"]))


@dataclass
class SensitivityResult:
    """The runs, the per-point metric, and per-input coefficients."""

    kind = "sensitivity"
    design: SensitivityDesign
    points: pd.DataFrame
    experiment: Experiment
    samples: pd.DataFrame = field(init=False)
    coefficients: pd.DataFrame = field(init=False)
    r_squared: float = field(init=False)

    def __post_init__(self):
        self.samples = point_means(self.points, self.experiment.summary, self.design.metric)
        self.coefficients, self.r_squared = coefficients(self.design, self.samples, self.experiment.summary)


def response_values(points: pd.DataFrame, summary: pd.DataFrame, metric: MetricRef) -> pd.DataFrame:
    """scenario (a point), replication, value: the metric in each replication of each point, or, when the points
    have a baseline column, the metric minus its baseline run's value in the same replication (paired)."""
    values = metric.values(summary)[["scenario", "replication", "value"]]
    if "baseline" not in points:
        return values[values["scenario"].isin(points["scenario"])].reset_index(drop=True)
    return paired_values(values, points)


def point_means(points: pd.DataFrame, summary: pd.DataFrame, metric: MetricRef) -> pd.DataFrame:
    """samples.csv: each point's inputs and the mean and 95% CI over replications of what is explained: the metric,
    or with a baseline the paired difference from it (then also `level` and `baseline_level`, the two means)."""
    response = response_values(points, summary, metric)
    stats_rows = []
    for name in points["scenario"]:
        mean, sd, lo, hi, n = t_interval(response.loc[response["scenario"] == name, "value"].to_numpy())
        stats_rows.append((mean, lo, hi, n))
    out = points.copy()
    out[["mean", "ci_low", "ci_high", "n"]] = pd.DataFrame(stats_rows, index=out.index)
    out.insert(2, "metric", str(metric))
    if "baseline" in points:
        levels = metric.values(summary).groupby("scenario")["value"].mean()
        out["level"] = out["scenario"].map(levels)
        out["baseline_level"] = out["baseline"].map(levels)
    return out


R2_WARN = 0.7  # below this the linear fit explains too little for SRCs to rank inputs; ranks are used instead
BOOTSTRAP = 400


def standardised_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised regression coefficients of y on the columns of x, and the fit's R²."""
    coef = np.full(x.shape[1], np.nan)
    if len(y) <= x.shape[1] + 1:
        return coef, math.nan
    if np.std(y) == 0:
        return np.zeros(x.shape[1]), math.nan
    sx, sy = np.std(x, axis=0), np.std(y)
    z = (x - x.mean(axis=0)) / np.where(sx > 0, sx, 1)
    zy = (y - y.mean()) / sy
    design = np.column_stack([np.ones(len(zy)), z])
    beta, *_ = np.linalg.lstsq(design, zy, rcond=None)
    r2 = float(1 - np.sum((zy - design @ beta) ** 2) / np.sum(zy**2))
    return np.where(sx > 0, beta[1:], 0.0), r2


def _ranks(a: np.ndarray) -> np.ndarray:
    return np.column_stack([stats.rankdata(c) for c in a.T]) if a.ndim == 2 else stats.rankdata(a)


def coefficients(design: SensitivityDesign, samples: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Per input: SRC and rank-regression (SRRC) coefficients over the Latin hypercube with
    bootstrap 95% CIs, Spearman's rho, and the one-at-a-time swing (tornado).

    Inputs are ranked by |SRC| when the linear fit's R² is at least R2_WARN, else by |SRRC|
    (the `ranked_by` column says which).
    """
    keys = [f.key for f in design.factors]
    lhs = samples[samples["kind"] == "lhs"]
    x = lhs[keys].to_numpy(float)
    y = lhs["mean"].to_numpy(float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    src, r2 = standardised_coefficients(x, y)
    srrc, rank_r2 = standardised_coefficients(_ranks(x), _ranks(y)) if len(y) else (src * np.nan, math.nan)
    # bootstrap over the sampled points (a named stream: the same CIs for the same design)
    rng = stream(design.seed_value, 0, "sensitivity.bootstrap")
    boot_src, boot_srrc = [], []
    if len(y) > len(keys) + 1 and np.std(y) > 0:
        for _ in range(BOOTSTRAP):
            pick = rng.integers(0, len(y), len(y))
            boot_src.append(standardised_coefficients(x[pick], y[pick])[0])
            boot_srrc.append(standardised_coefficients(_ranks(x[pick]), _ranks(y[pick]))[0])
    boot_src, boot_srrc = np.array(boot_src), np.array(boot_srrc)

    def ci(boot: np.ndarray, j: int) -> tuple[float, float]:
        if boot.size == 0:
            return math.nan, math.nan
        col = boot[:, j][np.isfinite(boot[:, j])]
        return (float(np.quantile(col, 0.025)), float(np.quantile(col, 0.975))) if len(col) else (math.nan, math.nan)

    values = response_values(samples, summary, design.metric)  # per replication: the metric, or its difference
    base_value = float(samples.loc[samples["kind"] == "base", "mean"].iloc[0])
    rows = []
    for j, f in enumerate(design.factors):
        if np.std(y) > 0 and np.std(x[:, j]) > 0:
            rho, p = stats.spearmanr(x[:, j], y)
        else:
            rho, p = (0.0, 1.0) if len(y) else (math.nan, math.nan)
        at = {}
        for kind in ("low", "high"):
            row = samples[(samples["kind"] == kind) & (samples["factor"] == f.key)].iloc[0]
            at[kind] = (row["scenario"], float(row["mean"]))
        hi_v = values[values["scenario"] == at["high"][0]].set_index("replication")["value"]
        lo_v = values[values["scenario"] == at["low"][0]].set_index("replication")["value"]
        common = hi_v.index.intersection(lo_v.index)
        swing, swing_lo, swing_hi, swing_p = paired_difference(hi_v[common].to_numpy(), lo_v[common].to_numpy())
        rows.append({
            "input": f.key, "label": describe_key(f.key, design.scenario), "low": f.low, "high": f.high,
            "base": f.base, "src": float(src[j]), "src_ci_low": ci(boot_src, j)[0], "src_ci_high": ci(boot_src, j)[1],
            "srrc": float(srrc[j]), "srrc_ci_low": ci(boot_srrc, j)[0], "srrc_ci_high": ci(boot_srrc, j)[1],
            "spearman": float(rho), "spearman_p": float(p),
            "metric_at_base": base_value, "metric_at_low": at["low"][1], "metric_at_high": at["high"][1],
            "swing": swing, "swing_ci_low": swing_lo, "swing_ci_high": swing_hi, "swing_p": swing_p,
        })
    table = pd.DataFrame(rows)
    by = "src" if not (r2 < R2_WARN) else "srrc"  # NaN R² (no spread): SRCs, all zero
    table["ranked_by"] = by
    table["r_squared"] = r2
    table["rank_r_squared"] = rank_r2
    table["rank"] = table[by].abs().rank(ascending=False, method="min").astype("Int64")
    return table.sort_values("rank", kind="stable").reset_index(drop=True), r2


def run_sensitivity(design: SensitivityDesign, workers: int = 1, scheduler: str | None = None,
                    on_done: Callable[[int], None] | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> SensitivityResult:
    """Run the base, one-at-a-time and Latin hypercube points with common random numbers."""
    design.check()
    points = design.points()
    scenarios = design.scenarios(points) + design.baseline_scenarios(points)
    # the design writes no per-call table, so the workers drop it (memory and transfer)
    experiment = run_experiment(scenarios, replications=design.replications, seed=design.seed, days=design.days,
                                warmup_days=design.warmup_days, workers=workers, scheduler=scheduler, on_done=on_done,
                                dask_timeout_s=dask_timeout_s, keep_calls=False)
    return SensitivityResult(design, points, experiment)


def total_jobs(design: SensitivityDesign) -> int:
    return runs(design) * design.replications


def runs(design: SensitivityDesign) -> int:
    """Scenarios the design runs: the base, low and high per input, the samples, and the baseline runs."""
    return len(design.points()) + len(design.baseline_runs(design.points()))
