"""A program's launch over time: calls, police contacts, arrests and holds month by month.

Drawn for runs where a team has `starts_day`. With common random numbers the scenario without
the program is the same city on the same calls, so the lines lie on each other until the
launch and part after it: the before/after a presenter shows for one city. Runs shorter than
four months are drawn by week (shorter than four weeks, by day).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..analysis.stats import t_interval
from .results import SavedResults
from .style import DAYS_PER_YEAR, Ink, figure_legend, get_style, new_figure, wrap

STEM = "monthly"
MONTH_DAYS = DAYS_PER_YEAR / 12
PANELS = (
    ("calls", "Crisis calls"),
    ("police_contacts", "Calls with police on scene"),
    ("arrests", "Arrests"),
    ("holds", "Involuntary holds"),
)


def launches(results: SavedResults) -> list[tuple[str, str, float]]:
    """(scenario, team label, starts_day) for every team with a launch day in the run's scenarios."""
    out = []
    for s in results.manifest["scenarios"]:
        spec = results.scenarios.get(s["name"]) or {}
        for team, t in (spec.get("teams") or {}).items():
            if (t or {}).get("starts_day") is not None:
                out.append((s["name"], t.get("label") or team, float(t["starts_day"])))
    return out


def period_days(days: float) -> tuple[float, str]:
    """The bin: a month (365/12 days) for runs of four months or more, a week for four weeks or more, else a day."""
    if days >= 4 * MONTH_DAYS:
        return MONTH_DAYS, "Month"
    return (7.0, "Week") if days >= 28 else (1.0, "Day")


def monthly_table(results: SavedResults) -> pd.DataFrame:
    """Per scenario and period (whole periods of the measured days only): the mean count over replications and
    its 95% CI for calls, police contacts, arrests and holds. Columns: scenario, period, measure, mean, ci_low, ci_high."""
    man = results.manifest
    days, warmup = float(man["days"]), float(man.get("warmup_days", 0))
    width, _word = period_days(days)
    n_periods = int(math.floor(days / width + 1e-9))
    calls = results.calls(["scenario", "replication", "arrival_min", "disposition", "police_on_scene"])
    period = np.floor((calls["arrival_min"].to_numpy(float) / 1440 - warmup) / width).astype(int)
    calls = calls.assign(period=period, calls=1, police_contacts=calls["police_on_scene"].astype(int),
                         arrests=(calls["disposition"] == "arrest").astype(int),
                         holds=(calls["disposition"] == "involuntary_hold").astype(int))
    calls = calls[(calls["period"] >= 0) & (calls["period"] < n_periods)]
    counts = calls.groupby(["scenario", "replication", "period"])[[p for p, _ in PANELS]].sum()
    reps = results.calls(["scenario", "replication"]).drop_duplicates()
    full = pd.MultiIndex.from_tuples([(s, r, p) for s, r in reps.itertuples(index=False) for p in range(n_periods)],
                                     names=["scenario", "replication", "period"])
    counts = counts.reindex(full, fill_value=0)
    rows = []
    for (name, p), grp in counts.groupby(level=["scenario", "period"], sort=False):
        for measure, _ in PANELS:
            mean, _sd, lo, hi, _n = t_interval(grp[measure].to_numpy(float))
            rows.append((name, p, measure, mean, lo, hi))
    return pd.DataFrame(rows, columns=["scenario", "period", "measure", "mean", "ci_low", "ci_high"])


def plot_monthly(results: SavedResults, out_dir: Path, style="talk") -> list[Path]:
    """Calls, police contacts, arrests and holds month by month (95% CI bands), each program's launch marked."""
    found = launches(results)
    if not found or not results.has_calls:
        return []
    from .plots import _finish

    st = get_style(style)
    ink = Ink.of(results, st)
    table = monthly_table(results)
    width, word = period_days(float(results.manifest["days"]))
    with matplotlib.rc_context(st.rc() | {"axes.grid": True, "axes.grid.axis": "y"}):
        fig, axes = new_figure(st, nrows=2, ncols=2, sharex=True, squeeze=False)
        for ax, (measure, title) in zip(axes.flat, PANELS):
            top = 0.0
            for name in ink.names:
                mine = table[(table["scenario"] == name) & (table["measure"] == measure)].sort_values("period")
                if mine.empty:
                    continue
                x = mine["period"].to_numpy() + 1
                lo, hi = mine["ci_low"].to_numpy(float), mine["ci_high"].to_numpy(float)
                ok = np.isfinite(lo) & np.isfinite(hi)
                ax.fill_between(x[ok], np.maximum(lo[ok], 0), hi[ok], color=ink.colour(name), alpha=0.18, linewidth=0)
                ax.plot(x, mine["mean"], color=ink.colour(name), linestyle=ink.linestyle(name), linewidth=3,
                        marker=ink.marker(name), markersize=7)
                top = max(top, float(np.nanmax(np.where(ok, hi, mine["mean"]))))
            for _name, _team, day in found:
                ax.axvline(day / width + 0.5, color=st.ink, linestyle="--", linewidth=2, zorder=1)
            ax.set_ylim(0, top * 1.15 if top > 0 else 1)
            ax.set_title(f"{title} per {word.lower()}", loc="left", fontsize=st.base_pt)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
            ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
            ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
        for ax in axes[-1]:
            ax.set_xlabel(f"{word} of the measured period")
        launch_words = "; ".join(f"{team} starts on day {day:g}" for _n, team, day in dict.fromkeys(found))
        handles = [Line2D([], [], color=ink.colour(n), linestyle=ink.linestyle(n), marker=ink.marker(n), linewidth=3,
                          label=wrap(ink.labels[n], 36)) for n in ink.names]
        handles.append(Line2D([], [], color=st.ink, linestyle="--", linewidth=2, label=wrap(f"Launch: {launch_words}", 50)))
        figure_legend(fig, handles, min(len(handles), 3))
        return _finish(fig, results, st, "Before and after the launch", out_dir, STEM)
