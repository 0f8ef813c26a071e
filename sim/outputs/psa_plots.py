"""Charts of a probabilistic sensitivity analysis: cost against effect per draw, the probability
of saving, and which uncertain input drives the difference. Drawn from the saved folder alone."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .captions import place
from .formatting import axis_number
from .identity import identities
from .psa_results import load_psa
from .style import DAYS_PER_YEAR, Ink, finish, get_style, legend_above, new_figure, wrap

PROBABILITIES = (
    ("cost_total", "Costs less, all payers"),
    ("cost_city", "Costs the city less"),
    ("police_hours_crisis", "Fewer police hours on crisis calls"),
    ("involuntary_holds", "Fewer involuntary holds"),
    ("arrests", "Fewer arrests"),
)
DRIVER_METRIC = "cost_total"


def psa_caption(psa: dict) -> str:
    m = psa["manifest"]
    reps = int(m["replications_per_draw"])
    where = place(psa.get("scenarios", {}), m.get("baseline"))
    return ((f"{where.rstrip('.')}. " if where else "")
            + f"Simulated, not a forecast: {m['draws']} draws of {len(m['uncertain_inputs'])} uncertain inputs × {reps} "
            f"replication{'s' if reps != 1 else ''} × {float(m['days']):g} days, the same inputs and calls for every "
            "scenario within a draw; the spread covers uncertainty in the inputs and simulation noise.")


def _finish(fig: Figure, psa: dict, st, title: str, out_dir: Path, stem: str) -> list[Path]:
    return finish(fig, st, title, psa_caption(psa), out_dir, stem)


def _labels(psa: dict) -> dict[str, str]:
    return {s["name"]: s["label"] for s in psa["manifest"]["scenarios"]}


def _colours(psa: dict, st) -> dict[str, str]:
    """Each scenario's identity colour (identity.py), as in the run charts."""
    names = [s["name"] for s in psa["manifest"]["scenarios"]]
    ink = Ink(names, {}, st, identities({n: psa.get("scenarios", {}).get(n) or {} for n in names}))
    return {n: ink.colour(n) for n in names}


def draw_differences(psa: dict, metric: str, team: str = "") -> pd.DataFrame:
    """Per draw and scenario, the scenario's value minus the baseline's (columns: draw, scenario, diff)."""
    p = psa["psa"]
    p = p[(p["metric"] == metric) & (p["team"] == team)]
    wide = p.pivot(index="draw", columns="scenario", values="value")
    base = psa["manifest"]["baseline"]
    if base not in wide:
        return pd.DataFrame(columns=["draw", "scenario", "diff"])
    diff = wide.drop(columns=base).sub(wide[base], axis=0)
    return diff.reset_index().melt(id_vars="draw", var_name="scenario", value_name="diff")


def plot_cost_effect(psa: dict, out_dir: Path, style: str = "talk") -> list[Path]:
    """Each draw a dot: change in police hours (x) against change in all-payer cost (y), per year."""
    st = get_style(style)
    per_year = DAYS_PER_YEAR / float(psa["manifest"]["days"])
    labels, colours = _labels(psa), _colours(psa, st)
    base_label = labels.get(psa["manifest"]["baseline"], "baseline")
    hours = draw_differences(psa, "police_hours_crisis").rename(columns={"diff": "hours"})
    cost = draw_differences(psa, "cost_total").rename(columns={"diff": "cost"})
    both = hours.merge(cost, on=["draw", "scenario"])
    with matplotlib.rc_context(st.rc() | {"axes.grid": True, "axes.grid.axis": "both"}):
        fig, ax = new_figure(st)
        handles = []
        for name in [n for n in labels if n in set(both["scenario"])]:
            mine = both[both["scenario"] == name]
            x, y = mine["hours"] * per_year, mine["cost"] * per_year
            ax.scatter(x, y, s=22, alpha=0.45, color=colours[name], edgecolors="none")
            ax.scatter([x.mean()], [y.mean()], s=260, color=colours[name], edgecolors="#222222", linewidths=2,
                       marker="D", zorder=5)
            handles.append(Line2D([], [], marker="o", linestyle="", color=colours[name], markersize=12,
                                  label=f"{labels.get(name, name)} (diamond: mean)"))
        ax.axhline(0, color="#222222", linewidth=1.2)
        ax.axvline(0, color="#222222", linewidth=1.2)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.0f}".replace("-", "\u2212") if v else "0"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ("+" if v > 0 else "") + axis_number(v)))
        ax.set_xlabel(f"Change in police hours on crisis calls per year vs {base_label}")
        ax.set_ylabel("Change in cost per year,\nall payers")
        ax.text(0.01, 0.02, "below 0: costs less", transform=ax.transAxes, fontsize=st.annotation_pt,
                color="#444444", va="bottom")
        ax.text(0.01, 0.98, "above 0: costs more", transform=ax.transAxes, fontsize=st.annotation_pt,
                color="#444444", va="top")
        legend_above(ax, handles, ncols=len(handles))
        return _finish(fig, psa, st, "Cost against police time, one dot per plausible city", out_dir,
                       "psa_cost_effect")


def probability_table(psa: dict) -> pd.DataFrame:
    """scenario, metric, label, prob_lower for the PROBABILITIES rows found in psa_comparison.csv."""
    c = psa["psa_comparison"]
    c = c[c["team"] == ""]
    rows = []
    for name in dict.fromkeys(c["scenario"]):
        for metric, label in PROBABILITIES:
            hit = c[(c["scenario"] == name) & (c["metric"] == metric)]
            if len(hit):
                rows.append((name, metric, label, float(hit.iloc[0]["prob_lower"])))
    return pd.DataFrame(rows, columns=["scenario", "metric", "label", "prob_lower"])


def plot_probability(psa: dict, out_dir: Path, style: str = "talk") -> list[Path]:
    """Per scenario, the share of draws in which it costs less (or has fewer police hours, holds, arrests)."""
    st = get_style(style)
    labels, colours = _labels(psa), _colours(psa, st)
    base_label = labels.get(psa["manifest"]["baseline"], "baseline")
    table = probability_table(psa)
    names = list(dict.fromkeys(table["scenario"]))
    items = [label for _, label in PROBABILITIES if label in set(table["label"])]
    with matplotlib.rc_context(st.rc() | {"axes.grid.axis": "x"}):
        fig, ax = new_figure(st)
        height = 0.8 / max(len(names), 1)
        y0 = np.arange(len(items))[::-1]
        for j, name in enumerate(names):
            mine = table[table["scenario"] == name].set_index("label").reindex(items)["prob_lower"].to_numpy()
            y = y0 + 0.4 - height * (j + 0.5)
            ax.barh(y, mine, height * 0.9, color=colours[name], label=labels.get(name, name))
            for yi, p in zip(y, mine):
                if math.isfinite(p):
                    ax.text(p + 0.01, yi, f"{p:.0%}", va="center", fontsize=st.annotation_pt, color="#222222")
        ax.axvline(0.5, color="#888888", linewidth=1, linestyle="--")
        ax.set_xlim(0, 1.08)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_yticks(y0, items)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"Share of plausible cities (draws) in which it holds, vs {wrap(base_label, 40)}",
                      fontsize=st.tick_pt)
        legend_above(ax, ncols=len(names))
        return _finish(fig, psa, st, "How sure are we? Probability of each result", out_dir, "psa_probability")


def plot_drivers(psa: dict, out_dir: Path, style: str = "talk", metric: str = DRIVER_METRIC,
                 top: int = 8) -> list[Path]:
    """Which uncertain input drives each scenario's cost difference: Spearman rank correlation over draws."""
    st = get_style(style)
    labels, colours = _labels(psa), _colours(psa, st)
    d = psa["drivers"]
    d = d[d["metric"] == metric].dropna(subset=["spearman"])
    names = list(dict.fromkeys(d["scenario"]))
    if not names:
        return []
    words = {i["key_path"]: i.get("label") or i["key_path"] for i in psa["manifest"]["uncertain_inputs"]}
    strongest = d.assign(size=d["spearman"].abs()).groupby("key_path")["size"].max().sort_values(ascending=False)
    keys = list(strongest.head(top).index)[::-1]  # strongest at the top
    base_label = labels.get(psa["manifest"]["baseline"], "baseline")
    with matplotlib.rc_context(st.rc() | {"axes.grid": True, "axes.grid.axis": "x"}):
        fig, ax = new_figure(st)
        height = 0.8 / len(names)
        y0 = np.arange(len(keys))
        for j, name in enumerate(names):
            mine = d[d["scenario"] == name].set_index("key_path")["spearman"].reindex(keys)
            y = y0 + 0.4 - height * (j + 0.5)
            ax.barh(y, mine.to_numpy(), height * 0.9, color=colours[name], label=labels.get(name, name))
            for yi, r in zip(y, mine.to_numpy()):
                if np.isfinite(r):
                    ax.text(r + (0.02 if r >= 0 else -0.02), yi, f"{r:+.2f}".replace("-", "\u2212"), va="center",
                            ha="left" if r >= 0 else "right", fontsize=st.annotation_pt * 0.8)
        ax.set_yticks(y0, [words.get(k, k) for k in keys], fontsize=st.tick_pt * 0.85)
        ax.axvline(0, color="#222222", linewidth=1)
        ax.set_xlim(-1.15, 1.15)
        ax.set_xlabel("Rank correlation with the change in all-payer cost (+: more of the input, higher cost)",
                      fontsize=st.tick_pt)
        ax.tick_params(axis="y", length=0)
        legend_above(ax, ncols=len(names))
        return _finish(fig, psa, st, f"Which uncertain input drives the cost difference from {base_label}", out_dir,
                       "psa_drivers")


PSA_CHARTS = (
    ("psa_probability", "How sure are we? Probability of each result", plot_probability),
    ("psa_cost_effect", "Cost against police time, one dot per plausible city", plot_cost_effect),
    ("psa_drivers", "Which uncertain input drives the cost difference", plot_drivers),
)


def draw_psa(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """Draw the PSA charts of a results folder into `<folder>/figures/` (or `out`); return the files."""
    get_style(style)
    psa = load_psa(folder)
    out_dir = Path(out) if out is not None else Path(folder) / "figures"
    return [p for _, _, draw in PSA_CHARTS for p in draw(psa, out_dir, style)]
