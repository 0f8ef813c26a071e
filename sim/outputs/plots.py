"""Slide-ready charts drawn from a saved results folder (never from the model).

Every chart reads the tidy tables of a results folder (`load_results`) and saves one PNG
(150 dpi) and one SVG, 16:9 at 13.33 × 7.5 inches (or 4:3), into `<folder>/figures/` or
another new folder. One house style for all of them: each scenario in its identity colour
(identity.py: by what it is, the same in every chart of every run), scenario labels rather
than ids, and a caption that says where, that the numbers are simulated and not a forecast,
and what any interval drawn covers (captions.py). How they look for a talk (title, aspect,
theme, type scale, which charts, one call type) comes from `presentation`: the baseline
scenario's `charts:` block under the options given.

Two styles: `talk` (large type, no text under 18 pt, for slides) and `paper` (compact type).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..analysis.stats import t_interval
from ..errors import ScenarioError
from . import captions as _captions
from .captions import money_unit
from .formatting import MINUS, axis_number, compact, fmt, id_words, interval
from .identity import RESPONDERS
from .results import SavedResults, load_results
from .style import (
    DARK_SWAPS, DAYS_PER_YEAR, Ink, Style, error_bars, figure_legend, finish, finite, get_style, keep_ink,
    legend_above, look, new_figure, wrap, wrap_labels,
)

# Who responds: segments in stacking order (identity.py), each in the colour of the team kind that came.
RESPONDER_LABELS = {key: words for key, (words, _colour, _hatch) in RESPONDERS.items()}

OUTCOMES = {
    "arrests": "Arrests",
    "involuntary_holds": "Involuntary holds",
    "ed_transports": "ED transports",
    "use_of_force": "Use of force",
    "linked_to_services": "Linked to services",
}


# ---------------------------------------------------------------------------- data helpers


def _years_factor(results: SavedResults) -> float:
    """Multiply a total over the simulated window by this to get a total per year."""
    return DAYS_PER_YEAR / float(results.manifest["days"])


def _system_values(results: SavedResults, metric: str) -> pd.DataFrame:
    """Per-replication values of a system-wide metric: columns scenario, replication, value."""
    s = results.summary
    return s[(s["metric"] == metric) & (s["team"] == "") & (s["zone"] == "")][["scenario", "replication", "value"]]


def _metric_row(results: SavedResults, scenario: str, metric: str, team: str = "") -> pd.Series | None:
    m = results.metrics
    rows = m[(m["scenario"] == scenario) & (m["metric"] == metric) & (m["team"] == team) & (m["zone"] == "")]
    return rows.iloc[0] if len(rows) else None


def _comparison_row(results: SavedResults, scenario: str, metric: str) -> pd.Series | None:
    c = results.comparison
    if c is None:
        return None
    rows = c[(c["scenario"] == scenario) & (c["metric"] == metric) & (c["team"] == "") & (c["zone"] == "")]
    return rows.iloc[0] if len(rows) else None


# a count metric -> how to count it in calls.parquet (for charts of one call type)
CALL_COUNTS = {"arrests": ("disposition", "arrest"), "involuntary_holds": ("disposition", "involuntary_hold"),
               "ed_transports": ("disposition", "ed_transport"), "crisis_center": ("disposition", "crisis_center"),
               "use_of_force": ("use_of_force", True), "injuries": ("injury", True), "linked_to_services": ("linked", True),
               "police_contacts": ("police_on_scene", True)}


def _counts_from_calls(results: SavedResults, metric: str) -> tuple[pd.Series, pd.Series]:
    """(count, calls) per scenario and replication, counted in calls.parquet (of results.call_type when set)."""
    column, value = CALL_COUNTS[metric]
    calls = results.calls(["scenario", "replication", column])
    hit = (calls[column] == value).groupby([calls["scenario"], calls["replication"]], sort=False).sum()
    total = calls.groupby(["scenario", "replication"], sort=False).size()
    return hit.astype(float), total.astype(float)


def rate_per_100_calls(results: SavedResults, metric: str) -> pd.DataFrame:
    """Mean and 95% t-interval of a count per 100 crisis calls, taken per replication (of one call type when the
    results are narrowed to one with `results.call_type`)."""
    if results.call_type is not None:
        counts, calls = _counts_from_calls(results, metric)
    else:
        counts = _system_values(results, metric).set_index(["scenario", "replication"])["value"]
        calls = _system_values(results, "calls").set_index(["scenario", "replication"])["value"]
    ratio = (100 * counts / calls.where(calls > 0)).rename("value").reset_index()
    rows = []
    for name, grp in ratio.groupby("scenario", sort=False):
        mean, _sd, lo, hi, n = t_interval(grp["value"].to_numpy())
        rows.append({"scenario": name, "mean": mean, "ci_low": lo, "ci_high": hi, "n": n})
    return pd.DataFrame(rows, columns=["scenario", "mean", "ci_low", "ci_high", "n"])


def responder_shares(results: SavedResults) -> pd.DataFrame:
    """Share of crisis calls by who responded, per scenario (mean over replications).

    Rows: scenario; columns: the RESPONDERS keys (identity.py): a civilian team alone or with
    police on scene (a backup that arrived), a co-responder, police, by phone, unserved.
    Several teams of one kind add up.
    """
    calls = results.calls(["scenario", "replication", "team", "disposition", "police_on_scene"])
    kinds = {
        name: {team: (spec or {}).get("kind", "police") for team, spec in (results.scenarios[name].get("teams") or {}).items()}
        for name in results.scenarios
    }
    # count the calls of each (scenario, replication, team, by phone, police on scene) first, then name the
    # category of those few groups: the same counts as naming every call, without a Python loop over calls
    phone = (calls["disposition"] == "resolved_by_phone").rename("phone")
    groups = calls.groupby(["scenario", "replication", "team", phone, calls["police_on_scene"].astype(bool)],
                           observed=True, sort=False).size().reset_index(name="n")
    kind = np.array([kinds.get(s, {}).get(t, "police") for s, t in zip(groups["scenario"], groups["team"])],
                    dtype=object)
    kind = np.where((kind == "civilian") & groups["police_on_scene"].to_numpy(bool), "civilian_backup", kind)
    category = np.where(groups["phone"].to_numpy(bool), "phone", np.where(groups["team"] == "", "unserved", kind))
    counts = groups.assign(category=category).groupby(["scenario", "replication", "category"])["n"].sum()
    shares = counts / counts.groupby(level=["scenario", "replication"]).transform("sum")
    table = shares.groupby(level=["scenario", "category"]).mean().unstack(fill_value=0.0)
    return table.reindex(columns=list(RESPONDERS), fill_value=0.0)


def utilisation_by_hour(results: SavedResults) -> pd.DataFrame:
    """Busy share of staffed time by scenario, team and hour of day, pooled over replications.

    Columns: scenario, team, hour, busy_hours, staffed_hours, utilisation (NaN where no unit
    was ever on shift in that hour).
    """
    h = results.hourly.groupby(["scenario", "team", "hour"], sort=False)[["busy_hours", "staffed_hours"]].sum()
    h = h.reset_index()
    h["utilisation"] = h["busy_hours"] / h["staffed_hours"].where(h["staffed_hours"] > 0)
    return h


# ---------------------------------------------------------------------------- figure helpers


def caption(results: SavedResults, intervals: bool = True, money: bool = False) -> str:
    """The line under a run chart: the place, simulated and not a forecast, how, what intervals cover, notes."""
    return _captions.run_caption(results, intervals=intervals, money=money)


def _finish(fig: Figure, results: SavedResults, style: Style, title: str, out_dir: Path, stem: str,
            intervals: bool = True, money: bool = False) -> list[Path]:
    if style.call_type:
        stem, title = f"{stem}_{style.call_type}", f"{title}: {_type_words(results, style.call_type)}"
    return finish(fig, style, title, caption(results, intervals, money), out_dir, stem)


def _type_words(results: SavedResults, call_type: str) -> str:
    return f"{id_words(call_type)} calls"


def _scenario_legend(ax, ink: Ink, style: Style) -> None:
    handles = [Patch(facecolor=ink.colour(n), hatch=ink.hatch(n), edgecolor=ink.edge(n), label=wrap(ink.labels[n], 40))
               for n in ink.names]
    legend_above(ax, handles, ncols=len(ink.names))


# ---------------------------------------------------------------------------- the charts


def plot_outcomes(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Outcomes per 100 crisis calls (arrests, holds, ED transports, force, linkage), by scenario, with 95% CIs."""
    st = get_style(style)
    ink = Ink.of(results, st)
    with matplotlib.rc_context(st.rc()):
        fig, ax = new_figure(st)
        n = len(ink.names)
        width = 0.8 / n
        group_x = np.arange(len(OUTCOMES))
        tallest = 0.0
        for i, name in enumerate(ink.names):
            x = group_x - 0.4 + width * (i + 0.5)
            rates = [rate_per_100_calls(results, metric) for metric in OUTCOMES]
            rows = [r[r["scenario"] == name] for r in rates]
            mean = [float(r["mean"].iloc[0]) if len(r) else math.nan for r in rows]
            lo = [float(r["ci_low"].iloc[0]) if len(r) else math.nan for r in rows]
            hi = [float(r["ci_high"].iloc[0]) if len(r) else math.nan for r in rows]
            ax.bar(x, mean, width * 0.92, color=ink.colour(name), hatch=ink.hatch(name),
                   edgecolor=ink.edge(name), linewidth=0.8)
            error_bars(ax, x, mean, lo, hi)
            for xi, m, h in zip(x, mean, hi):
                if math.isfinite(m):
                    top = h if math.isfinite(h) else m
                    tallest = max(tallest, top)
                    # beside each other the values fit up to three scenarios; beyond, they stand upright
                    if n > 3:  # upright, starting just above the interval
                        ax.text(xi, top, f" {m:.1f}", ha="left", va="center", rotation=90, rotation_mode="anchor",
                                fontsize=st.min_pt, color=st.ink)
                    else:
                        ax.text(xi, top, f"{m:.1f}", ha="center", va="bottom", color=st.ink,
                                fontsize=st.min_pt if n > 2 else st.annotation_pt)
        ax.set_xticks(group_x, [wrap(v, 12) for v in OUTCOMES.values()])
        ax.set_ylabel("Per 100 crisis calls")
        ax.set_ylim(0, tallest * (1.12 if n <= 3 else 1.3) if tallest > 0 else 1)
        ax.tick_params(axis="x", length=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        _scenario_legend(ax, ink, st)
        return _finish(fig, results, st, "What happens to people in crisis: outcomes per 100 calls", out_dir,
                       "outcomes_per_100_calls")


def plot_who_responds(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Who responds: share of crisis calls answered by a civilian team alone, a civilian team with police on scene,
    a co-responder, police, by phone, or unserved, per scenario."""
    st = get_style(style)
    ink = Ink.of(results, st)
    shares = responder_shares(results).reindex(ink.names, fill_value=0.0)
    shown = [c for c in RESPONDERS if (shares[c] > 0).any()]
    with matplotlib.rc_context(st.rc() | {"axes.grid": False}):
        fig, ax = new_figure(st)
        y = np.arange(len(ink.names))[::-1]  # first scenario (the baseline) on top
        left = np.zeros(len(ink.names))
        long_labels = len(ink.names) > 4 or max(len(ink.labels[n]) for n in ink.names) > 40
        for category in shown:
            words, colour, hatch = RESPONDERS[category]
            if st.theme == "dark":
                colour = DARK_SWAPS.get(colour, colour)
            values = shares[category].to_numpy()
            ax.barh(y, values, left=left, height=0.5 if long_labels else 0.62, color=colour, hatch=hatch,
                    edgecolor=RESPONDERS["police"][1] if category == "civilian_backup" else
                    ("#222222" if hatch or st.patterned else "white"), linewidth=0.8, label=words)
            light = _is_light(colour)
            for yi, l, v in zip(y, left, values):
                if v >= 0.06:  # a label needs about this much bar to fit
                    keep_ink(ax.text(l + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=st.annotation_pt,
                                     color="#111111" if light else "white", fontweight="bold",
                                     bbox=dict(boxstyle="round,pad=0.15", facecolor=colour, edgecolor="none")
                                     if hatch else None))
            left += values
        if long_labels:  # each scenario's label above its bar, the whole width of the slide
            ax.set_yticks([])
            for yi, n in zip(y, ink.names):
                ax.text(0, yi + 0.27, ink.labels[n], ha="left", va="bottom", fontsize=st.min_pt or st.tick_pt,
                        color=st.ink)
            ax.set_ylim(-0.5, len(ink.names) - 0.2)
        else:
            ax.set_yticks(y, [wrap(ink.labels[n], 26) for n in ink.names])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Share of crisis calls")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        handles, _labels = ax.get_legend_handles_labels()
        figure_legend(fig, handles, min(len(shown), 3))
        return _finish(fig, results, st, "Who responds to crisis calls", out_dir, "who_responds", intervals=False)


def _is_light(colour: str) -> bool:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5


def plot_response_time(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Response time (call to first unit on scene) as a cumulative distribution per scenario, median and 90th percentile marked."""
    st = get_style(style)
    ink = Ink.of(results, st)
    calls = results.calls(["scenario", "team", "response_min"])
    calls = calls[(calls["team"] != "") & calls["response_min"].notna()]
    # the curve is drawn through 501 quantiles: exact enough to read, small enough for SVG
    levels = np.linspace(0, 1, 501)
    with matplotlib.rc_context(st.rc() | {"axes.grid.axis": "both"}):
        fig, ax = new_figure(st)
        x_max = 0.0
        for i, name in enumerate(ink.names):
            times = calls.loc[calls["scenario"] == name, "response_min"].to_numpy()
            if len(times) == 0:
                continue
            x_max = max(x_max, float(np.quantile(times, 0.98)))
            median = _metric_row(results, name, "response_min_median")
            p90 = _metric_row(results, name, "response_min_p90")
            label = ink.labels[name]
            if median is not None and p90 is not None and len(ink.names) <= 3:
                label += f": median {median['mean']:.0f} min, 90th percentile {p90['mean']:.0f} min"
            ax.plot(np.quantile(times, levels), levels, color=ink.colour(name), linestyle=ink.linestyle(name),
                    linewidth=3, label=label)
            # markers sit on the reference line, nudged apart so overlapping intervals stay readable
            nudge = (i - (len(ink.names) - 1) / 2) * 0.022
            for row, level in ((median, 0.5), (p90, 0.9)):
                if row is None:
                    continue
                error_bars(ax, [level + nudge], [row["mean"]], [row["ci_low"]], [row["ci_high"]], horizontal=True,
                            colour=ink.colour(name))
                ax.plot(row["mean"], level + nudge, marker=ink.marker(name), markersize=12, color=ink.colour(name),
                        markeredgecolor="#222222", zorder=6, linestyle="none")
        for level, text in ((0.5, "median"), (0.9, "90th percentile")):
            ax.axhline(level, color="#888888", linewidth=1, linestyle=":", zorder=1)
            ax.text(1.0, level, f" {text}", transform=ax.get_yaxis_transform(), va="center", ha="left",
                    fontsize=st.annotation_pt, color="#555555")
        ax.set_xlim(0, x_max * 1.02 if x_max > 0 else 1)
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Minutes from the call to the first unit on scene")
        ax.set_ylabel("Calls reached within")
        handles, _labels = ax.get_legend_handles_labels()
        figure_legend(fig, handles, 1 if len(ink.names) <= 3 else 2)
        return _finish(fig, results, st, "How fast help arrives", out_dir, "response_time")


def plot_police_hours(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Police hours spent on crisis calls per year by scenario, with the hours freed versus the baseline."""
    st = get_style(style)
    ink = Ink.of(results, st)
    per_year = _years_factor(results)
    baseline = results.manifest.get("baseline", ink.names[0])
    with matplotlib.rc_context(st.rc()):
        fig, ax = new_figure(st)
        x = np.arange(len(ink.names))
        rows = [_metric_row(results, n, "police_hours_crisis") for n in ink.names]
        mean = [r["mean"] * per_year if r is not None else math.nan for r in rows]
        lo = [r["ci_low"] * per_year if r is not None else math.nan for r in rows]
        hi = [r["ci_high"] * per_year if r is not None else math.nan for r in rows]
        for xi, name, m in zip(x, ink.names, mean):
            ax.bar(xi, m, 0.6, color=ink.colour(name), hatch=ink.hatch(name), edgecolor=ink.edge(name))
        error_bars(ax, x, mean, lo, hi)
        top = bar_top(mean, hi)
        for xi, name, m, h in zip(x, ink.names, mean, hi):
            if not math.isfinite(m):
                continue
            y = h if math.isfinite(h) else m
            text = f"{m:,.0f} h"
            diff = _comparison_row(results, name, "police_hours_crisis") if name != baseline else None
            if diff is not None and math.isfinite(diff["diff_mean"]):
                change = [diff[k] * per_year for k in ("diff_mean", "ci_low", "ci_high")]
                roomy = len(ink.names) <= (4 if st.aspect == "16:9" else 2)
                text += "\n" + (_hours_change(*change) if roomy else _hours_change_short(*change))
            elif name == baseline:
                text += "\nbaseline"
            ax.text(xi, y + top * 0.02, text, ha="center", va="bottom",
                    fontsize=st.annotation_pt * (1 if len(ink.names) <= 4 else 0.85), color=st.ink,
                    linespacing=1.25)
        ax.set_ylim(0, top * 1.45)
        _bar_names(ax, x, ink, st)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("Police hours per year" if len(ink.names) <= 4 else "Hours a year")
        return _finish(fig, results, st, "Police time spent on crisis calls", out_dir, "police_hours")


def bar_top(means, highs) -> float:
    """The top of the tallest bar with its interval: the scale of the headroom above the bars. Never zero
    (a run where every bar is 0, e.g. no police hours at all, still gets an axis from 0 to 1)."""
    top = max([h if math.isfinite(h) else m for m, h in zip(means, highs) if math.isfinite(m)], default=0.0)
    return top if top > 0 else 1.0


def _bar_names(ax, x, ink: Ink, st: Style, key: bool = True) -> None:
    """Scenario names under their bars, or, when they would not fit side by side, a colour key above the plot."""
    ax.tick_params(axis="x", length=0)
    chars = int(ax.get_figure().get_figwidth() * 0.85 * 72 / (max(st.tick_pt, st.min_pt) * 0.62))  # under the plot
    if len(ink.names) <= 4 and max(len(ink.labels[n]) for n in ink.names) <= 60:
        ax.set_xticks(x, wrap_labels([ink.labels[n] for n in ink.names], total_chars=chars))
        return
    ax.set_xticks([])
    if key:
        figure_legend(ax.get_figure(), [Patch(facecolor=ink.colour(n), hatch=ink.hatch(n), edgecolor=ink.edge(n),
                                              label=ink.labels[n]) for n in ink.names], 2)


def _hours_change(d: float, lo: float, hi: float) -> str:
    """Plain words for a change in police hours: freed or added only when the 95% CI says so."""
    if finite(lo, hi) and hi < 0:
        return f"{-d:,.0f} h/yr freed\n(95% CI {-hi:,.0f}–{-lo:,.0f})"
    if finite(lo, hi) and lo > 0:
        return f"{d:,.0f} h/yr more\n(95% CI {lo:,.0f}–{hi:,.0f})"
    spread = f", 95% CI {interval(d, lo, hi, 'hours', diff=True, minus=MINUS, style='to')}" if finite(lo, hi) else ""
    return f"no clear change\n({fmt(d, 'hours', diff=True, minus=MINUS)} h/yr{spread})"


def _hours_change_short(d: float, lo: float, hi: float) -> str:
    """The change in police hours in few words, for charts with many scenarios."""
    if finite(lo, hi) and hi < 0:
        return f"{-d:,.0f} h/yr\nfreed"
    if finite(lo, hi) and lo > 0:
        return f"{d:,.0f} h/yr\nmore"
    return "no clear\nchange"


def plot_cost(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Cost per year by scenario: staffing and downstream (arrests, holds, transports) stacked, 95% CI on the total."""
    st = get_style(style)
    ink = Ink.of(results, st)
    per_year = _years_factor(results)
    with matplotlib.rc_context(st.rc()):
        fig, ax = new_figure(st)
        x = np.arange(len(ink.names))

        def yearly(metric: str, field: str = "mean") -> list[float]:
            rows = [_metric_row(results, n, metric) for n in ink.names]
            return [r[field] * per_year if r is not None else math.nan for r in rows]

        staffing, downstream = yearly("cost_staffing"), yearly("cost_downstream")
        total, lo, hi = yearly("cost_total"), yearly("cost_total", "ci_low"), yearly("cost_total", "ci_high")
        # one hatch here means "downstream", so scenarios are told apart by colour and axis label only
        for xi, name, s, d in zip(x, ink.names, staffing, downstream):
            colour = ink.colour(name)
            ax.bar(xi, s, 0.6, color=colour, edgecolor=ink.edge(name), hatch=ink.hatch(name))
            # downstream: the scenario's colour, lighter and hatched, so the scenario stays recognisable
            ax.bar(xi, d, 0.6, bottom=s, color=colour, alpha=0.45, hatch="//", edgecolor="#222222", linewidth=0.8)
        error_bars(ax, x, total, lo, hi)
        top = bar_top(total, hi)
        for xi, t, h in zip(x, total, hi):
            if math.isfinite(t):
                ax.text(xi, (h if math.isfinite(h) else t) + top * 0.02,
                        f"Total {compact(t)}" if len(ink.names) <= 4 else compact(t), ha="center",
                        va="bottom", fontsize=st.annotation_pt, fontweight="bold", color=st.ink)
        ax.set_ylim(0, top * (1.15 if len(ink.names) <= 4 else 1.25))
        _bar_names(ax, x, ink, st, key=False)
        ax.yaxis.set_major_formatter(FuncFormatter(axis_number))
        ax.set_ylabel(f"Cost per year{money_unit(results)}" if len(ink.names) <= 4 else f"A year{money_unit(results)}")
        parts = [Patch(facecolor="#777777", edgecolor="#777777", label="Staffing (unit-hours on shift)"),
                 Patch(facecolor="#777777", alpha=0.45, hatch="//", edgecolor="#222222",
                       label="Downstream (arrests, holds, ED, crisis centre, linkage)")]
        if not ax.get_xticks().size:  # the scenarios' colour key joins the parts' key
            parts = [Patch(facecolor=ink.colour(n), hatch=ink.hatch(n), edgecolor=ink.edge(n), label=ink.labels[n])
                     for n in ink.names] + parts
        figure_legend(fig, parts, 2)
        return _finish(fig, results, st, "Cost per year: staffing and downstream", out_dir, "cost", money=True)


def plot_utilisation(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Utilisation by hour of day for every team of every scenario (heatmap); grey cells are hours with no unit on shift."""
    st = get_style(style)
    ink = Ink.of(results, st)
    util = utilisation_by_hour(results)
    panels = [(name, [(name, t) for t in dict.fromkeys(util.loc[util["scenario"] == name, "team"])])
              for name in ink.names]
    panels = [(name, rows) for name, rows in panels if rows]
    n_rows = sum(len(rows) for _, rows in panels)
    if len(panels) > 4:  # one panel, a row per scenario and team: many panel titles would not fit a slide
        panels = [(None, [row for _, rows in panels for row in rows])]
    # numbers in the cells need wide cells (16:9, no long row labels beside them) and few rows
    numbered = n_rows <= 10 and st.aspect == "16:9" and panels[0][0] is not None
    cmap = matplotlib.colormaps[st.heatmap].with_extremes(bad="#E6E6E6")

    def team_label(name: str, team: str) -> str:
        return (results.scenarios.get(name) or {}).get("teams", {}).get(team, {}).get("label") or team

    with matplotlib.rc_context(st.rc() | {"axes.grid": False}):
        fig, axes = new_figure(st, nrows=len(panels), ncols=1, sharex=True, squeeze=False,
                                gridspec_kw={"height_ratios": [len(t) + (0.6 if n else 0) for n, t in panels]})
        image = None
        for ax, (name, rows) in zip(axes[:, 0], panels):
            grid = np.full((len(rows), 24), np.nan)
            for i, (scenario, team) in enumerate(rows):
                mine = util[(util["scenario"] == scenario) & (util["team"] == team)]
                grid[i] = mine.set_index("hour")["utilisation"].reindex(range(24)).to_numpy()
            image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, vmin=0, vmax=1,
                              interpolation="nearest", extent=(-0.5, 23.5, len(rows) - 0.5, -0.5))
            if name is not None:
                ax.set_yticks(range(len(rows)), [team_label(s_, t) for s_, t in rows])
                ax.set_title(wrap(ink.labels[name], 55), loc="left", fontsize=st.base_pt, fontweight="bold",
                             color=st.ink)
            else:
                short = {n: ink.labels[n] if len(ink.labels[n]) <= 24 else ink.labels[n][:23].rstrip() + "…"
                         for n in ink.names}
                ax.set_yticks(range(len(rows)), [f"{short[s_]}: {team_label(s_, t)}" for s_, t in rows])
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if numbered:  # small cells would crowd the numbers; the colour still reads
                for (i, h), v in np.ndenumerate(grid):
                    if math.isfinite(v):
                        light = _is_light(matplotlib.colors.to_hex(cmap(min(v, 1.0))))
                        keep_ink(ax.text(h, i, f"{v * 100:.0f}", ha="center", va="center",
                                         fontsize=max(st.annotation_pt * 0.8, st.min_pt),
                                         color="#111111" if light else "white"))
        bottom = axes[-1, 0]
        bottom.set_xticks(range(0, 24, 3), [f"{h:02d}:00" if len(panels) > 1 or len(panels[0][1]) <= 6 else f"{h}"
                                            for h in range(0, 24, 3)])
        numbers = ("Numbers: % of staffed time busy, all replications pooled." if numbered else
                   "The colour shows the busy share.")
        bottom.set_xlabel(wrap(f"Hour of day.  {numbers}  Grey: no unit on shift.", 90 if panels[0][0] else 48),
                          fontsize=st.tick_pt)
        if image is not None:
            bar = fig.colorbar(image, ax=axes[:, 0], fraction=0.03, pad=0.01,
                               format=PercentFormatter(1.0, decimals=0))
            bar.set_label("Busy share of staffed time")
            bar.outline.set_visible(False)
        return _finish(fig, results, st, "How busy each team is, hour by hour", out_dir, "utilisation_by_hour",
                       intervals=False)


# ---------------------------------------------------------------------------- geography


def zone_response(results: SavedResults) -> pd.DataFrame:
    """Per scenario and zone: calls, response median and p90 (mean over replications, 95% CI)."""
    m = results.metrics
    if "zone" not in m:
        return pd.DataFrame(columns=["scenario", "zone", "metric", "mean", "ci_low", "ci_high"])
    rows = m[(m["zone"] != "") & (m["team"] == "")
             & m["metric"].isin(["calls", "response_min_median", "response_min_p90"])]
    return rows[["scenario", "zone", "metric", "mean", "ci_low", "ci_high"]]


def _zone_xy(results: SavedResults, name: str) -> dict[str, tuple[float, float]] | None:
    zones = (results.scenarios.get(name, {}).get("geography") or {}).get("zones") or {}
    if zones and all("x" in z and "y" in z for z in zones.values()):
        return {k: (float(z["x"]), float(z["y"])) for k, z in zones.items()}
    return None


def plot_response_by_zone(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Response time by zone for each scenario: median and 90th percentile, on the map (circle area: calls) when
    zones have x, y, else as bars ranked by the first scenario's 90th percentile."""
    st = get_style(style)
    ink = Ink.of(results, st)
    data = zone_response(results)
    names = [n for n in ink.names if (data["scenario"] == n).any()]
    if not names:
        return []
    value = {(r.scenario, r.zone, r.metric): r for r in data.itertuples()}
    zones = list(dict.fromkeys(data.loc[data["scenario"] == names[0], "zone"]))
    for n in names[1:]:
        zones += [z for z in dict.fromkeys(data.loc[data["scenario"] == n, "zone"]) if z not in zones]
    xy = [_zone_xy(results, n) for n in names]
    with matplotlib.rc_context(st.rc() | {"axes.grid": False}):
        if all(p is not None for p in xy):
            fig, axes = new_figure(st, nrows=1, ncols=len(names), squeeze=False)
            medians = [value[k].mean for k in value if k[2] == "response_min_median" and k[0] in names]
            norm = matplotlib.colors.Normalize(vmin=0, vmax=max(max(medians, default=1.0), 1.0))
            cmap = matplotlib.colormaps[st.heatmap].reversed()
            for ax, name, places in zip(axes[0], names, xy):
                total = sum(value[(name, z, "calls")].mean for z in places if (name, z, "calls") in value) or 1.0
                xs = np.array([p[0] for p in places.values()])
                ys = np.array([p[1] for p in places.values()])
                span = max(np.ptp(xs), np.ptp(ys), 1.0)
                for zone, (x, y) in places.items():
                    med = value.get((name, zone, "response_min_median"))
                    p90 = value.get((name, zone, "response_min_p90"))
                    calls = value.get((name, zone, "calls"))
                    share = calls.mean / total if calls is not None else 0.0
                    radius = span * (0.08 + 0.16 * math.sqrt(share))
                    colour = cmap(norm(med.mean)) if med is not None and finite(med.mean) else "#DDDDDD"
                    ax.add_patch(matplotlib.patches.Circle((x, y), radius, facecolor=colour, edgecolor="#222222",
                                                           linewidth=1.2, zorder=3))
                    text = zone if med is None or not finite(med.mean) else \
                        f"{zone}\n{med.mean:.0f} | {p90.mean:.0f} min"
                    # dark text on a white halo reads on every colour and past the edge of a small circle
                    ax.text(x, y, text, ha="center", va="center", fontsize=st.annotation_pt * 0.85, color="#111111",
                            zorder=4, path_effects=[withStroke(linewidth=4, foreground="white")])
                pad = span * 0.22
                ax.set_xlim(xs.min() - pad, xs.max() + pad)
                ax.set_ylim(ys.min() - pad, ys.max() + pad)
                ax.set_aspect("equal")
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
                ax.set_title(ink.labels[name], fontsize=st.base_pt, fontweight="bold", color="#222222")
            bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes[0, :], fraction=0.03,
                               pad=0.01)
            bar.set_label("Median minutes, call to first unit on scene")
            bar.outline.set_visible(False)
        else:
            fig, ax = new_figure(st)
            base = names[0]
            order = sorted(zones, key=lambda z: -getattr(value.get((base, z, "response_min_p90")), "mean", 0.0))
            y = np.arange(len(order))
            height = 0.8 / len(names)
            for i, name in enumerate(names):
                off = (i - (len(names) - 1) / 2) * height
                med = [getattr(value.get((name, z, "response_min_median")), "mean", math.nan) for z in order]
                p90 = [getattr(value.get((name, z, "response_min_p90")), "mean", math.nan) for z in order]
                ax.barh(y + off, p90, height * 0.9, color=ink.colour(name), alpha=0.35, hatch=ink.hatch(name))
                ax.barh(y + off, med, height * 0.9, color=ink.colour(name), hatch=ink.hatch(name),
                        label=ink.labels[name])
            ax.set_yticks(y, order)
            ax.invert_yaxis()
            ax.set_xlabel("Minutes from the call to the first unit on scene: median (solid), 90th percentile (light)")
            legend_above(ax, ncols=len(names))
        return _finish(fig, results, st, "Response time by zone: median | 90th percentile (min)",
                       out_dir, "response_by_zone")


@dataclass(frozen=True)
class Chart:
    """A chart of the standard set: file stem, a title for the report, how to draw it, and whether it can be
    drawn for one call type (`--call-type`: from calls.parquet)."""

    stem: str
    title: str
    draw: Callable[[SavedResults, Path, str], list[Path]]
    by_call_type: bool = False


NEEDS_CALLS = ("outcomes_per_100_calls", "who_responds", "response_time", "monthly")
"""Charts drawn from calls.parquet: left out for a run saved with --no-calls."""


def _difference(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Each scenario against the baseline: paired differences with 95% CIs (comparison.csv), per year and per 100 calls."""
    from .difference_chart import plot_difference  # it draws with this module's helpers

    return plot_difference(results, out_dir, style)


def _monthly(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Calls, police contacts, arrests and holds month by month, a program's launch marked (runs with `starts_day`)."""
    from .monthly_chart import plot_monthly

    return plot_monthly(results, out_dir, style)


CHARTS = (
    Chart("outcomes_per_100_calls", "Outcomes per 100 crisis calls", plot_outcomes, by_call_type=True),
    Chart("who_responds", "Who responds", plot_who_responds, by_call_type=True),
    Chart("difference", "Against the baseline: paired differences", _difference),
    Chart("response_time", "Response time", plot_response_time, by_call_type=True),
    Chart("police_hours", "Police hours on crisis calls", plot_police_hours),
    Chart("cost", "Cost per year", plot_cost),
    Chart("utilisation_by_hour", "Utilisation by hour of day", plot_utilisation),
)
# drawn only for results that have zones (scenarios with `geography`)
ZONE_CHARTS = (Chart("response_by_zone", "Response time by zone", plot_response_by_zone),)


def _who_pays(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """Each scenario's change in cost per year against the baseline, for the new teams' budget, police staffing and each payer's downstream cost."""
    from .cost_plots import plot_who_pays  # it draws with this module's helpers

    return plot_who_pays(results, out_dir, style)


CHARTS += (Chart("who_pays", "Who pays and who saves", _who_pays),)


def _what_each_adds(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """What each piece of a program adds (drawn only for take-one-away comparisons)."""
    from .adds_chart import plot_what_each_adds

    return plot_what_each_adds(results, out_dir, style)


EXTRA_CHARTS = (Chart("monthly", "Before and after the launch", _monthly),
                Chart("what_each_adds", "What each piece adds", _what_each_adds))
"""Charts drawn only for runs they fit (they return no files otherwise); not in the report's standard set."""


def presentation(results: SavedResults, style="talk", **options) -> Style:
    """The style a run's charts are drawn in: the baseline scenario's `charts:` block, under the options given.

    A Style built by the caller (`sim.look(...)`) is taken as it is, with `options` on top.
    Options: aspect, theme, font_scale, titles, only, call_type (None: not set).
    """
    given = {k: v for k, v in options.items() if v is not None and v != {}}
    if isinstance(style, Style):
        return look(style, **given)
    baseline = results.manifest.get("baseline") or next(iter(results.scenarios), None)
    block = (results.scenarios.get(baseline) or {}).get("charts") or {}
    merged = {k: block.get(k) for k in ("aspect", "theme", "font_scale", "only") if block.get(k) is not None}
    if block.get("titles"):
        merged["titles"] = dict(block["titles"])
    merged |= {k: v for k, v in given.items() if k != "titles"}
    if given.get("titles"):
        merged["titles"] = {**merged.get("titles", {}), **given["titles"]}
    return look(style if style is not None else block.get("style") or "talk", **merged)


def chart_names() -> list[str]:
    return [c.stem for c in CHARTS + ZONE_CHARTS + EXTRA_CHARTS]


def draw_all(folder: str | Path, style="talk", out: str | Path | None = None, part: tuple[int, int] = (0, 1),
             **options) -> list[Path]:
    """Draw the standard charts of a results folder into `<folder>/figures/` (or `out`), PNG and SVG.

    `options` (aspect, theme, font_scale, titles, only, call_type) override the baseline
    scenario's `charts:` block; see `presentation`. With a call type, only the charts that
    can be drawn for one call type are drawn, and their files end in `_TYPE`. `part=(k, n)`
    draws only the k-th of n shares of the charts (so n processes can share them).
    """
    if not isinstance(style, Style) and style is not None:
        get_style(style)
    results = load_results(folder)
    st = presentation(results, style, **options)
    charts = CHARTS + ZONE_CHARTS + EXTRA_CHARTS
    unknown = [n for n in st.only or () if n not in chart_names()]
    if unknown:
        raise ScenarioError(f"--only: unknown chart {unknown[0]!r}; charts of a run: {', '.join(chart_names())}")
    if st.call_type is not None:
        results = results.of_call_type(st.call_type)
        whole = [n for n in st.only or () if not next(c for c in charts if c.stem == n).by_call_type]
        if whole:
            raise ScenarioError(f"--only {whole[0]} is drawn for all calls, not one call type; with --call-type: "
                                + ", ".join(c.stem for c in charts if c.by_call_type))
        charts = tuple(c for c in charts if c.by_call_type)
    out_dir = Path(out) if out is not None else Path(folder) / "figures"
    k, n = part
    charts = [c for c in charts if st.wants(c.stem) and (results.has_calls or c.stem not in NEEDS_CALLS)]
    return [path for i, chart in enumerate(charts) if i % n == k for path in chart.draw(results, out_dir, st)]


run_caption = caption  # the public name (sim.run_caption)
