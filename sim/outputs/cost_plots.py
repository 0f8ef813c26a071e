"""Who pays and who saves: each scenario's change in cost per year against the baseline, by payer."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..analysis.stats import paired_difference, welch_difference
from .formatting import axis_number, compact
from .captions import money_unit
from .plots import _finish, _years_factor
from .results import SavedResults
from .style import drawing, figure_legend, finite, new_figure, scenario_inks

PAYER_WORDS = {"justice": "Justice", "health": "Health care", "behavioral_health": "Behavioral health",
               "city": "City, other", "police": "Police, other"}


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
    """Each scenario's change in cost per year against the baseline: the new teams' budget, police staffing and each payer's downstream cost, with 95% CIs."""
    table = who_pays_table(results)
    if table.empty:
        return []
    st, ink, names = scenario_inks(results, style, table["scenario"])
    parts = list(dict.fromkeys(table["part"]))
    base_label = ink.labels.get(results.manifest.get("baseline"), "baseline")
    labelled = len(names) <= 2  # value labels only where there is room for them
    with drawing(st), matplotlib.rc_context({"axes.grid": True, "axes.grid.axis": "x"}):
        fig, ax = new_figure(st)
        span = np.nanmax(np.abs(table[["ci_low", "ci_high", "diff_mean"]].replace([np.inf, -np.inf], np.nan)
                                .to_numpy()))
        span = span if math.isfinite(span) and span > 0 else 1.0
        y0 = np.arange(len(parts))[::-1].astype(float)
        height = 0.8 / len(names)
        for j, name in enumerate(names):
            mine = table[table["scenario"] == name].set_index("part").reindex(parts)
            d = mine["diff_mean"].to_numpy()
            y = y0 + 0.4 - height * (j + 0.5)
            ax.barh(y, d, height * 0.9, color=ink.colour(name), hatch=ink.hatch(name),
                    edgecolor=ink.edge(name), label=ink.labels[name])
            for yi, v, lo, hi in zip(y, d, mine["ci_low"], mine["ci_high"]):
                if finite(v, lo, hi):
                    ax.errorbar(v, yi, xerr=[[v - lo], [hi - v]], fmt="none", ecolor="#222222", elinewidth=1.8,
                                capsize=4, zorder=5)
                if not labelled or not math.isfinite(v):
                    continue
                edge = max(abs(v), abs(lo) if math.isfinite(lo) else 0, abs(hi) if math.isfinite(hi) else 0)
                if v == 0:
                    text, x, ha = "no change", span * 0.04, "left"
                else:
                    text = f"{'saves' if v < 0 else 'pays'} {compact(abs(v))}"
                    x, ha = (-edge - span * 0.04, "right") if v < 0 else (edge + span * 0.04, "left")
                ax.text(x, yi, text, ha=ha, va="center", fontsize=st.annotation_pt * 0.85, color="#222222")
        ax.axvline(0, color="#222222", linewidth=1.2)
        ax.set_xlim(-span * 1.6, span * 1.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
        ax.xaxis.set_major_formatter(FuncFormatter(axis_number))
        against = base_label if len(base_label) <= 24 else "the baseline"
        ax.set_xlabel(f"Change in cost per year{money_unit(results)} against {against} (left of 0: saves)",
                      fontsize=st.tick_pt)
        ax.set_yticks(y0, parts)
        ax.tick_params(axis="y", length=0)
        handles, _labels = ax.get_legend_handles_labels()
        figure_legend(fig, handles, min(len(names), 3))
        return _finish(fig, results, st, "Who pays and who saves", out_dir, "who_pays", money=True)
