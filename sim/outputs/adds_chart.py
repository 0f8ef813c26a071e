"""What each piece of a program adds: the full program against the same city without one piece.

A run whose baseline is the full program and whose other scenarios are labelled "Without …"
(e.g. scenarios/peer_value/: "Without the peer on the team", "Without the follow-up
program") reads as a take-one-away comparison: what a piece adds is the baseline minus the
scenario without it, per year, with the paired 95% CI from `comparison.csv` (its sign
turned round). The chart and the words below are drawn only for such runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from ..analysis.catalogue import metric
from .formatting import MINUS, compact
from .results import SavedResults
from .captions import run_caption
from .style import DAYS_PER_YEAR, Ink, drawing, error_bars, figure_legend, finish, finite, get_style, new_figure, wrap

STEM = "what_each_adds"
TITLE = "What each piece adds"
WITHOUT = "without "
# (metric, panel title, words for "more" and "fewer" in the report)
PANELS = (
    ("repeat_calls", "Repeat crises", "more repeat crises", "fewer repeat crises"),
    ("linked_to_services", "People linked to services", "more people linked to services",
     "fewer people linked to services"),
    ("police_contacts", "Police contacts", "more police contacts", "police contacts avoided"),
    ("cost_total", "Cost, all payers", "more in cost", "less in cost"),
)


def pieces(results: SavedResults) -> list[tuple[str, str]]:
    """(scenario, what it takes away) for each "Without …" scenario of a run with a comparison."""
    if results.comparison is None:
        return []
    baseline = results.manifest.get("baseline")
    out = []
    for s in results.manifest["scenarios"]:
        label = results.label(s["name"])
        if s["name"] != baseline and label.lower().startswith(WITHOUT):
            out.append((s["name"], label[len(WITHOUT):]))
    return out


def added(results: SavedResults, scenario: str, name: str) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) per year of what the piece adds: baseline minus the scenario without it."""
    c = results.comparison
    rows = c[(c["scenario"] == scenario) & (c["metric"] == name) & (c["team"] == "")]
    if not len(rows):
        return (math.nan, math.nan, math.nan)
    row = rows.iloc[0]
    per_year = DAYS_PER_YEAR / float(results.manifest["days"]) if metric(name).per_period else 1.0
    return (-row["diff_mean"] * per_year, -row["ci_high"] * per_year, -row["ci_low"] * per_year)


def plot_what_each_adds(results: SavedResults, out_dir: Path, style: str = "talk") -> list[Path]:
    """What each piece of the program adds per year (repeat crises, people linked, police contacts, cost): the full
    program minus the same city without that piece, with 95% CIs."""
    found = pieces(results)
    if not found:
        return []
    st = get_style(style)
    ink = Ink([n for n, _ in found], {n: what[:1].upper() + what[1:] for n, what in found}, st)
    with drawing(st):
        fig, axes = new_figure(st, nrows=1, ncols=len(PANELS))
        x = np.arange(len(found))
        for ax, (name, title, _more, _fewer) in zip(axes, PANELS):
            values = [added(results, n, name) for n, _ in found]
            mean = [v[0] for v in values]
            for xi, (n, _), m in zip(x, found, mean):
                ax.bar(xi, m if math.isfinite(m) else 0, 0.7, color=ink.colour(n), hatch=ink.hatch(n),
                       edgecolor=ink.edge(n))
            error_bars(ax, x, mean, [v[1] for v in values], [v[2] for v in values])
            ax.axhline(0, color="#222222", linewidth=1)
            ends = [v for m in values for v in m if math.isfinite(v)]
            reach = max([abs(v) for v in ends], default=1.0) or 1.0
            for xi, (m, lo, hi) in zip(x, values):
                if not math.isfinite(m):
                    continue
                end = (hi if m >= 0 else lo) if finite(lo, hi) else m
                text = compact(m) if metric(name).unit == "money" else f"{m:,.0f}".replace("-", MINUS)
                ax.text(xi, end + (0.04 if m >= 0 else -0.04) * reach, text, ha="center",
                        va="bottom" if m >= 0 else "top", fontsize=st.annotation_pt, color="#222222")
            ax.set_ylim(min(0.0, *ends) - 0.2 * reach, max(0.0, *ends) + 0.2 * reach)
            ax.set_title(wrap(title, 14), fontsize=st.base_pt, loc="left")
            ax.set_xticks([])
            ax.spines["bottom"].set_visible(False)
            ax.yaxis.set_major_formatter(lambda v, _pos: compact(v) if v else "0")
        axes[0].set_ylabel("Added per year")
        handles = [Patch(facecolor=ink.colour(n), hatch=ink.hatch(n), edgecolor=ink.edge(n), label=ink.labels[n])
                   for n, _ in found]
        figure_legend(fig, handles, len(found))
        baseline = results.label(results.manifest.get("baseline"))
        caption = run_caption(results, extra=f"Full program: {baseline}. Below zero: fewer. Effects are assumptions "
                              "with ranges (docs/assumptions.md).")
        return finish(fig, st, TITLE, caption, out_dir, STEM)


def what_each_adds_words(results: SavedResults) -> list[str]:
    """One plain sentence per piece: what it adds per year, saying "no clear change" where the 95% CI spans zero."""
    sentences = []
    for scenario, what in pieces(results):
        parts = []
        for name, title, more, fewer in PANELS:
            m, lo, hi = added(results, scenario, name)
            if not finite(m, lo, hi):
                continue
            show = compact if metric(name).unit == "money" else (lambda v: f"{v:,.0f}".replace("-", MINUS))
            if lo > 0 or hi < 0:  # the interval says which way: give sizes, "fewer" with positive bounds
                a, b = (lo, hi) if m > 0 else (-hi, -lo)
                parts.append(f"{show(abs(m))} {more if m > 0 else fewer} (95% CI {show(a)} to {show(b)})")
            else:
                span = f"{show(lo)} to {show(hi)}"
                parts.append(f"no clear change in {title.lower()} (95% CI {span})")
        if parts:
            sentences.append(f"{what[:1].upper() + what[1:]} adds, per year: " + "; ".join(parts) + ".")
    return sentences
