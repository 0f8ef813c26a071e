"""Fit a scenario to a CAD export: every number with a comment saying n, method and fit quality.

What a CAD export can say, and how it is read:
- volume: calls per day over the days the export covers (gaps left out), crisis and other;
- when: hourly and weekday profiles (all calls; the model gives crisis and other calls one shape);
- what: the call-type mix (and risk, when MAP.yaml maps it), phone resolution when a
  disposition says so, outcome shares by call type;
- how long: on-scene (arrived → cleared) by call type and travel (dispatched → arrived),
  lognormal or gamma by likelihood, or the empirical quantiles when neither fits (KS distance
  over 0.05); transport by disposition as the extra arrived → cleared time of those calls;
- who: units on duty by hour, from the unit column (the most distinct units seen working in
  that hour of the day) or, without one, from calls in progress; written as shifts.
A CAD export does not say which calls are the same person, so no `repeat` block is fitted:
the volume includes repeat crises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml
from scipy import special, stats

from ..errors import ScenarioError
from ..scenario.loading import validate_scenario
from ..scenario.schema import DISPOSITIONS, RISKS, Scenario
from .cad import OTHER, PHONE, CadData
from .geofit import MIN_CELL, GeoFit, fit_geography

MIN_FIT = 30          # fewest values for a distribution of its own (else the team's overall one)
KS_EMPIRICAL = 0.05   # above this KS distance neither family fits: use the empirical quantiles
MAX_FIT_VALUES = 50_000  # families are fitted on this many evenly spaced order statistics
FLOOR_MIN = 0.5       # zero durations (minute-resolution clocks) count as half a minute
NO_TRANSPORT = ("resolved_on_scene", "linked_to_services")
UNITS_PERCENTILE = 95


# ------------------------------------------------------------------------ distributions

@dataclass
class DistFit:
    """A fitted duration distribution and the words that justify it."""

    dist: dict
    n: int
    comment: str
    median: float


def labels(column: pd.Series) -> np.ndarray:
    """A categorical column's values as an object array (indexing its categories: fast)."""
    return np.asarray(column.cat.categories, dtype=object)[column.cat.codes.to_numpy()]


class _Masks:
    """Row masks of a categorical column by value, each computed once from the integer codes."""

    def __init__(self, column: pd.Series):
        self.codes = column.cat.codes.to_numpy()
        self.index = {c: i for i, c in enumerate(column.cat.categories)}
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, value: str) -> np.ndarray:
        if value not in self.cache:
            self.cache[value] = self.codes == self.index.get(value, -2)
        return self.cache[value]


def _gamma_mle(x: np.ndarray) -> tuple[float, float]:
    """Gamma shape and scale by maximum likelihood (Minka's start, then Newton steps)."""
    mean = x.mean()
    s = math.log(mean) - np.log(x).mean()
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s) if s > 0 else 1e3
    for _ in range(6):
        k -= (math.log(k) - special.digamma(k) - s) / (1 / k - special.polygamma(1, k))
        k = max(k, 1e-3)
    return k, mean / k


def _ks(sorted_x: np.ndarray, cdf: np.ndarray) -> float:
    n = len(sorted_x)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n)))


def _round(v: float) -> float:
    return float(f"{v:.3g}") if v < 100 else round(v, 1)


def fit_duration(values: np.ndarray, what: str) -> DistFit:
    """Lognormal or gamma, whichever has the higher likelihood; empirical if neither fits."""
    x = np.sort(values[np.isfinite(values)])
    n = len(x)
    if n == 0:
        raise ValueError(f"no values to fit {what}")
    zeros = int((x < FLOOR_MIN).sum())
    x = np.maximum(x, FLOOR_MIN)
    sample = x if n <= MAX_FIT_VALUES else x[((np.arange(MAX_FIT_VALUES) + 0.5) * n / MAX_FIT_VALUES).astype(np.int64)]
    logs = np.log(sample)
    mu, sigma = logs.mean(), max(logs.std(), 1e-6)
    k, theta = _gamma_mle(sample)
    ll_ln = float(stats.norm.logpdf(logs, mu, sigma).sum() - logs.sum())
    ll_g = float(stats.gamma.logpdf(sample, k, scale=theta).sum())
    ks_ln = _ks(x, special.ndtr((np.log(x) - mu) / sigma))
    ks_g = _ks(x, special.gammainc(k, x / theta))
    median = float(np.median(x))
    note = f"; {zeros:,} zero times counted as {FLOOR_MIN} min" if zeros else ""
    if ll_ln >= ll_g:
        family, ks = "lognormal", ks_ln
        mean, sd = math.exp(mu + sigma**2 / 2), math.exp(mu + sigma**2 / 2) * math.sqrt(math.expm1(sigma**2))
    else:
        family, ks = "gamma", ks_g
        mean, sd = k * theta, math.sqrt(k) * theta
    lls = f"log-likelihood per value lognormal {ll_ln / len(sample):.3f}, gamma {ll_g / len(sample):.3f}"
    if ks > KS_EMPIRICAL:
        q = np.quantile(x, (np.arange(100) + 0.5) / 100)
        return DistFit({"dist": "empirical", "values": [round(float(v), 1) for v in q]}, n,
                       f"{what}: n={n:,}; empirical (100 quantiles): neither family fits (KS distance lognormal "
                       f"{ks_ln:.3f}, gamma {ks_g:.3f} > {KS_EMPIRICAL}); median {median:.1f} min{note}", median)
    return DistFit({"dist": family, "mean": _round(mean), "sd": _round(sd)}, n,
                   f"{what}: n={n:,}; {family} by maximum likelihood ({lls}); KS distance {ks:.3f}; "
                   f"median {median:.1f} min (data){note}", median)


# ------------------------------------------------------------------------ units on duty

def hour_bins(start_min: np.ndarray, end_min: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, hour bin) for every clock hour each interval overlaps."""
    first = np.floor(start_min / 60).astype(np.int64)
    last = np.floor(np.maximum(end_min - 1e-9, start_min) / 60).astype(np.int64)
    counts = last - first + 1
    rows = np.repeat(np.arange(len(first)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, np.repeat(first, counts) + offsets


def busy_by_hour_bin(start_min: np.ndarray, end_min: np.ndarray, n_bins: int) -> np.ndarray:
    """Unit-hours worked in each clock hour (mean units busy in that hour)."""
    rows, bins = hour_bins(start_min, end_min)
    overlap = np.minimum(end_min[rows], (bins + 1) * 60.0) - np.maximum(start_min[rows], bins * 60.0)
    ok = (bins >= 0) & (bins < n_bins)
    return np.bincount(bins[ok], weights=np.maximum(overlap[ok], 0) / 60, minlength=n_bins)[:n_bins]


@dataclass
class UnitsEstimate:
    by_hour: list[int]
    method: str
    n: int


def estimate_units(data: CadData) -> UnitsEstimate:
    """Units on duty by hour of day, from the unit column if there is one, else from calls in progress."""
    f = data.frame
    start, end = data.minutes("dispatched"), data.minutes("cleared")
    ok = np.isfinite(start) & np.isfinite(end) & (end >= start) & (end - start <= data.cad_map.max_duration_hours * 60)
    covered = data.observed_mask_by_day()
    n_bins = len(covered) * 24
    has_unit = labels(f["unit"]) != ""
    if data.cad_map.columns.unit is not None and has_unit.any():
        ok &= has_unit
        rows, bins = hour_bins(start[ok], end[ok])
        unit_code = f["unit"].cat.codes.to_numpy()[ok][rows].astype(np.int64)
        inside = (bins >= 0) & (bins < n_bins)
        n_units = len(f["unit"].cat.categories)
        if n_bins * n_units <= 200_000_000:  # a bins × units grid of flags: linear time
            seen = np.zeros((n_bins, n_units), dtype=bool)
            seen[bins[inside], unit_code[inside]] = True
            per_bin = seen.sum(axis=1).astype(float)
        else:
            keys = np.unique(bins[inside] * n_units + unit_code[inside])
            per_bin = np.bincount(keys // n_units, minlength=n_bins)[:n_bins].astype(float)
        method = (f"the {UNITS_PERCENTILE}th percentile over days of the distinct units seen working in that hour "
                  f"(unit column, {int(ok.sum()):,} calls with dispatched and cleared times); units on duty but "
                  "given no call that hour are not seen, so this is a floor")
    else:
        per_bin = busy_by_hour_bin(start[ok], end[ok], n_bins)
        share = ok.sum() / max(len(ok), 1)
        per_bin = per_bin / max(share, 1e-9)
        method = (f"estimated from calls in progress (no unit column): the {UNITS_PERCENTILE}th percentile over days "
                  f"of the units busy in that hour ({int(ok.sum()):,} calls with dispatched and cleared times, scaled "
                  f"to all calls); units on duty but idle are not seen, so this is a floor: set your roster")
    grid = per_bin.reshape(-1, 24)[covered]
    by_hour = np.ceil(np.percentile(grid, UNITS_PERCENTILE, axis=0)).astype(int) if len(grid) else np.ones(24, int)
    return UnitsEstimate([max(int(u), 1) for u in by_hour], method, int(ok.sum()))


def shifts_from_hours(units: list[int]) -> list[dict]:
    """Consecutive hours with the same units become one shift, every day of the week."""
    shifts, start = [], 0
    for h in range(1, 25):
        if h == 24 or units[h] != units[start]:
            shifts.append({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": f"{start:02d}:00",
                           "end": f"{h:02d}:00", "units": int(units[start])})
            start = h
    return shifts


# ------------------------------------------------------------------------ shares and profiles

def _shares(counts: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Shares rounded to `digits` that sum to exactly 1 (the remainder goes to the largest)."""
    total = sum(counts.values())
    out = {k: round(v / total, digits) for k, v in counts.items()}
    biggest = max(out, key=out.get)
    out[biggest] = round(1 - sum(v for k, v in out.items() if k != biggest), digits)
    return out


def _profile(counts: np.ndarray, exposure: np.ndarray) -> list[float]:
    rate = counts / np.maximum(exposure, 1e-9)
    return [round(float(v), 3) for v in rate / rate.mean()]


def _corr(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


# ------------------------------------------------------------------------ the fit

@dataclass
class Fitted:
    """The fitted scenario: YAML text with comments, the validated Scenario and the headline estimates."""

    text: str
    scenario: Scenario
    estimates: dict = field(default_factory=dict)


class _Doc:
    """YAML lines with a comment above each fitted value."""

    def __init__(self):
        self.lines: list[str] = []

    def comment(self, indent: int, text: str) -> None:
        for part in text.split("\n"):
            self.lines.append(" " * indent + "# " + part)

    def key(self, indent: int, key: str, value=None, comment: str | None = None) -> None:
        if comment:
            self.comment(indent, comment)
        if value is None:
            self.lines.append(" " * indent + f"{key}:")
        else:
            flow = yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False).strip()
            if flow.endswith("\n..."):
                flow = flow[:-4].strip()
            flow = flow.removesuffix("...").strip()
            self.lines.append(" " * indent + f"{key}: {flow}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def fit_scenario(data: CadData, name: str, label: str | None = None) -> Fitted:
    """A complete scenario fitted to the export, with a comment on every fitted value."""
    f = data.frame
    cmap = data.cad_map
    days = data.days_observed
    crisis = (f["call_type"] != OTHER).to_numpy()
    n_crisis, n_other = int(crisis.sum()), int((~crisis).sum())
    if n_crisis == 0:
        raise ScenarioError(f"no rows map to a crisis call type ({len(f):,} usable rows, all other police calls); map "
                            "at least one CAD type code to a call type in MAP.yaml `types`", file=data.source,
                            path=f"column {cmap.columns.type!r}")
    received = data.minutes("received")
    covered = data.observed_mask_by_day()
    day_of = np.floor(received / 1440).astype(np.int64)
    est: dict = {}
    doc = _Doc()
    source = data.source
    doc.comment(0, f"Fitted by `crisis-sim fit` from {source} ({data.quality.rows_kept:,} of "
                   f"{data.quality.rows_read:,} rows used; {days:.1f} days observed,\n"
                   f"{data.quality.rows_read - data.quality.rows_kept:,} rows dropped: see the data-quality report "
                   "written beside this file). Every value says n, method and fit quality.\n"
                   "A CAD export does not say which calls are the same person, so there is no `repeat` block: "
                   "the volume includes repeat crises.")
    doc.key(0, "name", name)
    doc.key(0, "label", label or f"{name} (fitted)")
    doc.key(0, "description", f"Fitted to the CAD export {source.rsplit('/', 1)[-1]} ({days:.0f} days observed).")
    doc.key(0, "run", None, "run settings (not fitted): a short warm-up is enough without repeat crises")
    doc.key(2, "days", 365)
    doc.key(2, "warmup_days", 7)
    doc.key(2, "replications", 10)
    doc.key(2, "seed", 2026)

    doc.key(0, "demand")
    daily = np.bincount(day_of[crisis], minlength=len(covered))[: len(covered)][covered]
    per_day = n_crisis / days
    half = stats.t.ppf(0.975, max(len(daily) - 1, 1)) * daily.std(ddof=1) / math.sqrt(len(daily)) if len(daily) > 1 else float("nan")
    est["crisis_calls_per_day"] = per_day
    doc.key(2, "crisis_calls_per_day", round(per_day, 2),
            f"n={n_crisis:,} crisis calls over {days:.1f} days observed (gaps left out); method: count / days; "
            f"95% CI {per_day - half:.2f}-{per_day + half:.2f} (from daily counts)")

    hour = np.floor(received / 60).astype(np.int64) % 24
    weekday = day_of % 7
    in_days = covered[day_of]
    hourly = _profile(np.bincount(hour[in_days], minlength=24), np.full(24, covered.sum()))
    hourly_crisis = _profile(np.bincount(hour[in_days & crisis], minlength=24), np.full(24, covered.sum()))
    odd = (day_of % 2 == 1)
    split = _corr(np.bincount(hour[in_days & odd], minlength=24), np.bincount(hour[in_days & ~odd], minlength=24))
    est["hourly_profile"] = hourly
    doc.key(2, "hourly_profile", hourly,
            f"n={int(in_days.sum()):,} calls (crisis and other: the model gives both one shape); method: calls per "
            f"hour of day, mean 1;\nfit: odd vs even days r={split:.3f}; crisis calls alone r={_corr(hourly, hourly_crisis):.3f}")
    exposure = np.bincount(np.flatnonzero(covered) % 7, minlength=7).astype(float)
    week = _profile(np.bincount(weekday[in_days], minlength=7), exposure)
    week_crisis = _profile(np.bincount(weekday[in_days & crisis], minlength=7), exposure)
    est["weekday_profile"] = week
    doc.key(2, "weekday_profile", week,
            f"Monday first; method: calls per observed day of each weekday ({', '.join(f'{int(e)}' for e in exposure)} "
            f"days), mean 1; fit: crisis calls alone r={_corr(week, week_crisis):.3f}")

    types = cmap.crisis_types()
    is_type = _Masks(f["call_type"])
    counts = {t: int(is_type(t).sum()) for t in types}
    present = {t: c for t, c in counts.items() if c > 0}
    absent = [t for t, c in counts.items() if c == 0]
    shares = _shares(present)
    est["call_types"] = shares
    is_risk = _Masks(f["risk"])
    doc.key(2, "call_types", None,
            f"n={n_crisis:,} crisis calls; method: share of each mapped type"
            + (f" (mapped but absent from the data: {', '.join(absent)})" if absent else "")
            + ("; risk: share of low / medium / high among calls with a risk" if cmap.risk else
               "; no risk in MAP.yaml, so all calls are low risk"))
    est["risk"] = {}
    for t, share in shares.items():
        entry = {"share": share}
        note = f"n={present[t]:,}; 95% CI ±{1.96 * math.sqrt(share * (1 - share) / n_crisis):.4f}"
        if cmap.risk is not None:
            rc = {r: int((is_type(t) & is_risk(r)).sum()) for r in RISKS}
            if sum(rc.values()) > 0:
                entry["risk"] = {r: v for r, v in _shares({r: c for r, c in rc.items() if c > 0}).items()}
                est["risk"][t] = entry["risk"]
                note += f"; risk from {sum(rc.values()):,} calls"
        doc.key(4, t, entry, note)

    disposition = labels(f["disposition"])
    is_disp = _Masks(f["disposition"])
    has_disp = cmap.columns.disposition is not None
    phone_codes = PHONE in cmap.dispositions.values()
    if has_disp and phone_codes:
        phone = {}
        for t in present:
            known = is_type(t) & ~is_disp("")
            k = int(known.sum())
            p = int((is_type(t) & is_disp(PHONE)).sum())
            if k and p:
                phone[t] = (round(p / k, 4), k, p)
        if phone:
            doc.key(2, "phone_resolution", None,
                    "method: share of calls of each type whose disposition maps to `phone` (no unit sent)")
            for t, (v, k, p) in phone.items():
                doc.key(4, t, v, f"n={k:,} with a disposition, {p:,} by phone")
            est["phone_resolution"] = {t: v[0] for t, v in phone.items()}

    durations = data.durations
    on_scene, travel = durations["on_scene"], durations["travel"]
    if n_other:
        other_fit = _fit_or_none(on_scene[~crisis], "other police calls, arrived → cleared")
        doc.key(2, "other_police_calls", None,
                f"police calls that are not crisis calls (MAP.yaml `other` and unmapped codes): n={n_other:,}")
        doc.key(4, "per_day", round(n_other / days, 2), f"n={n_other:,} over {days:.1f} days; method: count / days")
        est["other_per_day"] = n_other / days
        if other_fit is None:
            other_fit = DistFit({"dist": "lognormal", "mean": 38, "sd": 28}, 0,
                                "no usable arrived → cleared times: the base city's value (assumption)", float("nan"))
        doc.key(4, "on_scene_min", other_fit.dist, other_fit.comment)
        doc.key(4, "priority", 2, "not fitted: queue priority between medium- and high-risk crisis calls (assumption)")

    geo = _zones(doc, est, data) if cmap.columns.zone is not None else None

    team = cmap.team
    doc.key(0, "teams")
    doc.key(2, team.name)
    doc.key(4, "kind", team.kind)
    doc.key(4, "label", team.label)
    units = estimate_units(data)
    est["units_by_hour"] = units.by_hour
    doc.key(4, "shifts", None, f"units on duty by hour of day: {units.method};\nevery day alike; hours with the "
                               f"same units are one shift. By hour: {units.by_hour}")
    for s in shifts_from_hours(units.by_hour):
        doc.lines.append(" " * 6 + "- " + yaml.safe_dump(s, default_flow_style=True, width=10**9,
                                                            sort_keys=False).strip())
    doc.key(4, "cost_per_unit_hour", 0, "not in a CAD export: set your own (the base city uses 65, an assumption)")
    if geo is not None:
        doc.key(4, "bases", geo.bases,
                f"units based in each zone: {geo.n_units} units, each in the zone it was sent to most often "
                f"({geo.modal_share:.0%} of their calls were there); weights, applied to the units of each shift")
    response = _fit_or_none(travel, "travel, dispatched → arrived, all calls")
    if response is None:
        response = DistFit({"dist": "constant", "value": 0}, 0, "no usable dispatched → arrived times: travel 0", 0.0)
    est["travel_median"] = response.median
    by_type_travel = {t: float(np.nanmedian(travel[is_type(t)])) for t in present
                      if np.isfinite(travel[is_type(t)]).sum() >= MIN_FIT}
    if geo is None:
        doc.key(4, "response_min", response.dist, response.comment
                + (";\nmedian by type (one travel distribution per team in this version): "
                   + ", ".join(f"{t} {v:.1f}" for t, v in by_type_travel.items()) if by_type_travel else ""))

    plain = np.isin(disposition, NO_TRANSPORT) if has_disp else np.ones(len(f), bool)
    base_rows = crisis & plain
    overall = _fit_or_none(on_scene[base_rows], "on scene, arrived → cleared, crisis calls"
                           + (" resolved on scene or linked (no transport)" if has_disp else ""))
    if overall is None:
        overall = _fit_or_none(on_scene[crisis], "on scene, arrived → cleared, all crisis calls")
    if overall is None:
        raise ScenarioError("no crisis call has usable arrived and cleared times, so time on scene cannot be fitted; "
                            "check columns.arrived and columns.cleared in MAP.yaml (see the data-quality report)",
                            file=data.source, path="columns.cleared")
    doc.key(4, "on_scene_min", overall.dist, overall.comment)
    est["on_scene_median"] = {}
    by_type = {}
    for t in present:
        fit = _fit_or_none(on_scene[base_rows & is_type(t)], f"{t}")
        if fit is not None:
            by_type[t] = fit
            est["on_scene_median"][t] = fit.median
    if by_type:
        doc.key(4, "on_scene_min_by_type", None, "on scene by call type (types with fewer than "
                                                 f"{MIN_FIT} usable times use on_scene_min)")
        for t, fit in by_type.items():
            doc.key(6, t, fit.dist, fit.comment)

    if has_disp:
        transport = _transport(on_scene, is_type, is_disp, crisis, base_rows, list(present))
        if transport:
            doc.key(4, "transport_min", None,
                    "extra busy time after the scene, by disposition: arrived → cleared of calls with that "
                    "disposition minus the on-scene mean of calls of the same types without one "
                    "(gamma by mean and sd; the difference of variances gives the sd)")
            for d, (dist, comment) in transport.items():
                doc.key(6, d, dist, comment)
        outcome_rows = crisis & ~is_disp("") & ~is_disp(PHONE)
        n_out = int(outcome_rows.sum())
        if n_out:
            _outcome_table(doc, est, outcome_rows, is_disp, is_type, is_risk if cmap.risk is not None else None,
                           list(present))
    doc.key(0, "routing", None, "the export has one responding team: it takes every call")
    doc.lines.append("  - {match: {}, send: [" + team.name + "]}")
    text = doc.text()
    scenario = validate_scenario(yaml.safe_load(text), file=f"{name}.yaml (fitted)")
    return Fitted(text, scenario, est)


def _outcome_table(doc: _Doc, est: dict, rows: np.ndarray, is_disp, is_type, is_risk, types: list[str]) -> None:
    """The team's outcome table: shares of each disposition over all calls, by risk, by type and by type and risk
    (levels with at least MIN_FIT calls; the most specific level wins, as in any scenario's table)."""
    def shares(mask: np.ndarray) -> tuple[dict[str, float], int] | None:
        k = int(mask.sum())
        if k < MIN_FIT:
            return None
        return {d: round(float(is_disp(d)[mask].mean()), 4) for d in DISPOSITIONS}, k

    n_out = int(rows.sum())
    overall = {d: round(float(is_disp(d)[rows].mean()), 4) for d in DISPOSITIONS}
    est["outcomes"] = overall
    doc.key(4, "outcomes", None,
            f"n={n_out:,} dispatched crisis calls with a mapped disposition; method: share of each disposition "
            f"(the rest resolve on scene) over all calls, by risk, by type and by type and risk; levels with fewer "
            f"than {MIN_FIT} calls are left out (a less specific level then applies)"
            + (";\nrisk is the export's (from MAP.yaml `risk`), which the model reads as the call's true risk"
               if is_risk is not None else ""))
    doc.key(6, "default", overall, f"n={n_out:,}")
    levels = {}
    if is_risk is not None:
        levels["by_risk"] = {r: v for r in RISKS if (v := shares(rows & is_risk(r)))}
    levels["by_type"] = {t: v for t in types if (v := shares(rows & is_type(t)))}
    if is_risk is not None:
        levels["by_type_risk"] = {t: cells for t in types
                                  if (cells := {r: v for r in RISKS if (v := shares(rows & is_type(t) & is_risk(r)))})}
    for level, entries in levels.items():
        if not entries:
            continue
        doc.key(6, level)
        for key, value in entries.items():
            if level == "by_type_risk":
                doc.key(8, key)
                for r, (cell, k) in value.items():
                    doc.key(10, r, cell, f"n={k:,}")
            else:
                doc.key(8, key, value[0], f"n={value[1]:,}")
    est["outcomes_by_type"] = {t: v for t, (v, _) in levels["by_type"].items()}
    if "by_type_risk" in levels:
        est["outcomes_by_type_risk"] = {t: {r: v for r, (v, _) in cells.items()} for t, cells in levels["by_type_risk"].items()}
        est["outcomes_by_type_risk_n"] = {t: {r: k for r, (_, k) in cells.items()} for t, cells in levels["by_type_risk"].items()}


def _zones(doc: _Doc, est: dict, data: CadData) -> GeoFit | None:
    """Zone shares; with a unit column, also a `geography` block (returned, for the team's bases)."""
    f, cmap = data.frame, data.cad_map
    zone = labels(f["zone"])
    zc = pd.Series(zone[zone != ""]).value_counts()
    if not len(zc):
        return None
    shares = _shares({str(k): int(v) for k, v in zc.items()})
    est["zones"] = shares
    listing = (", ".join(f"{k} {v:.1%}" for k, v in list(shares.items())[:20])
               + ("" if len(shares) <= 20 else f" and {len(shares) - 20} more"))
    coords = None
    if cmap.zones is not None:
        missing = [z for z in shares if z not in cmap.zones]
        if missing:
            raise ScenarioError(f"no centroid for zone codes {', '.join(map(repr, missing[:10]))}"
                                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                                + f" found in column {cmap.columns.zone!r}; give every zone x and y (km), or leave "
                                  "`zones` out", file=data.source, path="zones")
        coords = {z: (cmap.zones[z].x, cmap.zones[z].y) for z in shares}
    geo = None
    if cmap.columns.unit is not None:
        geo = fit_geography(zone, labels(f["unit"]), data.durations["travel"], shares, coords, cmap.metric)
    if geo is None:
        doc.comment(2, f"zones from the zone column (n={int(zc.sum()):,}; shares): {listing}.\nNo unit column (or "
                       "no unit with a zone), so where units are based cannot be told: no geography; travel is "
                       "one distribution per team (`response_min`), fitted over all zones.")
        return None
    est["geography"] = {"bases": geo.bases, "travel_cv": geo.travel_cv, "travel_min": geo.travel_min,
                        "cell_calls": geo.cell_calls}
    doc.key(0, "geography", None, "where calls arise and how long units take to reach them (docs/model.md, "
                                  "\"Geography\"): fitted from the zone and unit columns")
    doc.key(2, "zones", None, f"n={int(zc.sum()):,} calls with a zone; method: share of each zone, most calls first"
                              + ("; x, y from MAP.yaml `zones` (km)" if coords else ""))
    for name, entry in geo.zones.items():
        code = geo.codes[name]
        doc.key(4, name, entry, None if code == name else f"CAD zone {code!r}")
    doc.key(2, "travel_min", None,
            f"mean minutes dispatched → arrived (turnout included) from a unit's base zone (rows) to the call's "
            f"zone (columns): n={geo.n_travel:,} calls; {geo.observed} cells with at least {MIN_CELL} calls have "
            f"their own mean; {geo.filled} others: {geo.fill_method}.\nA unit sent from the field is not at its "
            "base: the model starts every trip at the base, so check travel with `crisis-sim backtest`.")
    for row, cells in geo.travel_min.items():
        doc.key(4, row, cells)
    doc.key(2, "travel_cv", geo.travel_cv, "spread of one call's travel around its cell's mean "
                                           "(sd of travel ÷ the cell's mean, over the same calls)")
    return geo


def _fit_or_none(values: np.ndarray, what: str) -> DistFit | None:
    values = values[np.isfinite(values)]
    if len(values) < MIN_FIT:
        return None
    return fit_duration(values, what)


def _transport(on_scene, is_type, is_disp, crisis, base_rows, types) -> dict:
    """Transport time by disposition: the extra arrived → cleared time over plain calls of the same types."""
    base_mean, base_var = {}, {}
    for t in types:
        plain = on_scene[base_rows & is_type(t)]
        if np.isfinite(plain).sum() >= MIN_FIT:
            base_mean[t], base_var[t] = np.nanmean(plain), np.nanvar(plain)
    out = {}
    for d in DISPOSITIONS:
        if d in NO_TRANSPORT:
            continue
        rows = crisis & is_disp(d) & np.isfinite(on_scene)
        expected = np.full(len(on_scene), np.nan)
        expected_var = np.full(len(on_scene), np.nan)
        for t in base_mean:
            expected[is_type(t)] = base_mean[t]
            expected_var[is_type(t)] = base_var[t]
        rows &= np.isfinite(expected)
        n = int(rows.sum())
        if n < MIN_FIT:
            continue
        excess = on_scene[rows] - expected[rows]
        mean = float(excess.mean())
        half = 1.96 * float(excess.std(ddof=1)) / math.sqrt(n)
        if mean - half <= 0:
            continue  # no transport time the data can see
        var = float(np.var(on_scene[rows])) - float(expected_var[rows].mean())
        sd = math.sqrt(var) if var > (0.1 * mean) ** 2 else 0.1 * mean
        out[d] = ({"dist": "gamma", "mean": _round(mean), "sd": _round(sd)},
                  f"n={n:,}; difference of means {mean:.1f} min (95% CI {mean - half:.1f}-{mean + half:.1f})")
    return out
