"""Who pays and who saves: each scenario's change in cost per year against the baseline, by payer."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..analysis.stats import paired_difference, welch_difference
from .formatting import axis_number, compact
from .plots import _finish, _years_factor
from .results import SavedResults
from .style import Ink, finite, get_style, new_figure

PAYER_WORDS = {"justice": "Justice", "health": "Health care", "behavioral_health": "Behavioral health",
               "city": "City, other", "police": "Police, other"}
SAVES, PAYS = "#009E73", "#D55E00"  # Okabe–Ito green and vermilion; the label says which, too


def cost_parts(results: SavedResults) -> list[tuple[str, str]]:
    """(label, how) for each bar: the new teams' budget line, police staffing, then each payer's downstream cost."""
    metrics = set(results.summary["metric"])
    parts = [("New teams (city budget)", "cost_new_teams"), ("Police staffing (city)", "police_staffing")]
    payers = [m for m in dict.fromkeys(results.summary["metric"]) if m.startswith("cost_downstream_")]
    parts += [(PAYER_WORDS.get(m.removeprefix("cost_downstream_"), m.removeprefix("cost_downstream_").replace("_", " ")
                               .capitalize()), m) for m in payers]
    if "cost_total" in metrics:
        parts.append(("All payers", "cost_total"))
    return parts


def _values(results: SavedResults, how: str) -> pd.DataFrame:
    """Per scenario and replication, the value of one bar (police staffing = staffing − new teams)."""
    s = results.summary[results.summary["team"] == ""]
    wide = s.pivot_table(index=["scenario", "replication"], columns="metric", values="value")
    if how == "police_staffing":
        if "cost_new_teams" not in wide:
            return pd.Series(dtype=float)
        return wide["cost_staffing"] - wide["cost_new_teams"]
    return wide[how] if how in wide else pd.Series(dtype=float)


def who_pays_table(results: SavedResults) -> pd.DataFrame:
    """scenario, part, diff_mean, ci_low, ci_high per year against the baseline (95% CI over replications)."""
    baseline = results.manifest.get("baseline")
    paired = {s["name"]: s.get("paired_with_baseline", True) for s in results.manifest["scenarios"]}
    per_year = _years_factor(results)
    rows = []
    for label, how in cost_parts(results):
        v = _values(results, how)
        if v.empty:
            continue
        base = v.xs(baseline, level="scenario") if baseline in v.index.get_level_values(0) else None
        for name in dict.fromkeys(v.index.get_level_values(0)):
            if name == baseline or base is None:
                continue
            mine = v.xs(name, level="scenario")
            if paired.get(name, True):
                joined = pd.concat([mine, base], axis=1, join="inner")
                d, lo, hi, _ = paired_difference(joined.iloc[:, 0], joined.iloc[:, 1])
            else:
                d, lo, hi, _ = welch_difference(mine, base)
            rows.append((name, label, d * per_year, lo * per_year, hi * per_year))
    return pd.DataFrame(rows, columns=["scenario", "part", "diff_mean", "ci_low", "ci_high"])


def plot_who_pays(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """One panel per scenario: the change in cost per year for each payer against the baseline, 95% CI."""
    table = who_pays_table(results)
    if table.empty:
        return []
    st = get_style(style)
    ink = Ink.of(results, st)
    names = [n for n in ink.names if n in set(table["scenario"])]
    parts = list(dict.fromkeys(table["part"]))
    base_label = ink.labels.get(results.manifest.get("baseline"), "baseline")
    with matplotlib.rc_context(st.rc() | {"axes.grid.axis": "x"}):
        fig, axes = new_figure(st, nrows=1, ncols=len(names), sharey=True, squeeze=False)
        span = np.nanmax(np.abs(table[["ci_low", "ci_high", "diff_mean"]].replace([np.inf, -np.inf], np.nan)
                                .to_numpy()))
        span = span if math.isfinite(span) and span > 0 else 1.0
        y = np.arange(len(parts))[::-1]
        for ax, name in zip(axes[0], names):
            mine = table[table["scenario"] == name].set_index("part").reindex(parts)
            d = mine["diff_mean"].to_numpy()
            colours = [SAVES if v < 0 else PAYS if v > 0 else "#999999" for v in d]
            ax.barh(y, d, 0.6, color=colours, edgecolor=["#222222" if p == "All payers" else c
                                                         for p, c in zip(parts, colours)],
                    linewidth=[2 if p == "All payers" else 0.5 for p in parts])
            for yi, v, lo, hi in zip(y, d, mine["ci_low"], mine["ci_high"]):
                if finite(v, lo, hi):
                    ax.errorbar(v, yi, xerr=[[v - lo], [hi - v]], fmt="none", ecolor="#222222", elinewidth=2,
                                capsize=5, zorder=5)
                if math.isfinite(v) and v == 0:
                    ax.text(span * 0.03, yi, "no change", ha="left", va="center", fontsize=st.annotation_pt * 0.85,
                            color="#666666")
                elif math.isfinite(v):
                    words = "saves" if v < 0 else "pays"
                    edge = max(abs(v), abs(lo) if math.isfinite(lo) else 0, abs(hi) if math.isfinite(hi) else 0)
                    x = -edge - span * 0.05 if v < 0 else edge + span * 0.05
                    ax.text(x, yi, f"{words} {compact(abs(v))}", ha="right" if v < 0 else "left", va="center",
                            fontsize=st.annotation_pt * 0.85, color="#222222")
            ax.axvline(0, color="#222222", linewidth=1.2)
            ax.set_xlim(-span * 2.6, span * 2.6)
            ax.set_title(ink.labels[name], loc="left", fontsize=st.base_pt, fontweight="bold")
            ax.xaxis.set_major_formatter(FuncFormatter(axis_number))
            ax.set_xlabel("Change in cost per year (95% CI)", fontsize=st.tick_pt)
            ax.tick_params(axis="y", length=0)
        axes[0][0].set_yticks(y, parts)
        return _finish(fig, results, st, f"Who pays and who saves, against {base_label}", out_dir,
                       "who_pays")
