"""The difference chart: what each scenario changes against the baseline, as the docs say to read it.

Each scenario's paired difference from the baseline with its 95% CI, straight from
`comparison.csv` (common random numbers make these intervals far narrower than the
scenarios' own, which may overlap while the difference is clear). Shown per 100 of the
baseline's crisis calls (bottom axis: outcomes of different sizes side by side) and per year
(top axis and the words), with plain words: "317 fewer arrests a year".
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..analysis.catalogue import metric
from .formatting import MINUS
from .results import SavedResults
from .style import DAYS_PER_YEAR, figure_legend, finite, new_figure, scenario_inks, wrap

STEM = "difference"
# metric, its words as a row, and the noun for "fewer ..." / "more ..."
ROWS = (
    ("arrests", "Arrests", "arrests"),
    ("involuntary_holds", "Involuntary holds", "involuntary holds"),
    ("ed_transports", "ED transports", "ED transports"),
    ("use_of_force", "Uses of force", "uses of force"),
    ("police_contacts", "Calls with police on scene", "calls with police on scene"),
    ("repeat_calls", "Repeat crises", "repeat crises"),
    ("linked_to_services", "People linked to services", "people linked to services"),
)


KEY_ROWS = ("Arrests", "Involuntary holds", "Calls with police on scene", "People linked to services")


def _whole_city(table: pd.DataFrame) -> pd.DataFrame:
    keep = table["team"] == ""
    if "zone" in table:
        keep &= table["zone"].fillna("").astype(str) == ""
    return table[keep]


def baseline_calls(results: SavedResults) -> float:
    """The baseline's mean crisis calls over the measured days (metrics.csv)."""
    m = _whole_city(results.metrics)
    row = m[(m["scenario"] == results.manifest.get("baseline")) & (m["metric"] == "calls")]
    return float(row["mean"].iloc[0]) if len(row) else math.nan


def words(value: float, low: float, high: float, noun: str) -> str:
    """"317 fewer arrests a year (309 to 325)" (the 95% CI), or "no clear change in arrests" when the CI spans 0."""
    def n(v: float) -> str:
        return f"{abs(v):,.0f}" if abs(v) >= 10 else f"{abs(v):,.1f}"

    if not finite(value, low, high):
        return f"{'fewer' if value < 0 else 'more'} {noun}: {n(value)} a year" if math.isfinite(value) else ""
    if high < 0:
        return f"{n(value)} fewer {noun} a year ({n(high)} to {n(low)})"
    if low > 0:
        return f"{n(value)} more {noun} a year ({n(low)} to {n(high)})"
    sign = lambda v: (MINUS if v < 0 else "+") + n(v)  # noqa: E731
    return f"no clear change in {noun} ({sign(low)} to {sign(high)} a year)"


def short_words(value: float, low: float, high: float) -> str:
    """"317 fewer (309–325)" a year, for a row that already names what: two scenarios side by side."""
    def n(v: float) -> str:
        return f"{abs(v):,.0f}" if abs(v) >= 10 else f"{abs(v):,.1f}"

    if finite(value, low, high) and high < 0:
        return f"{n(value)} fewer ({n(high)}–{n(low)})"
    if finite(value, low, high) and low > 0:
        return f"{n(value)} more ({n(low)}–{n(high)})"
    return "no clear change" if finite(value, low, high) else ""


def row_summary(rows: pd.DataFrame, labels: dict[str, str] | None = None) -> tuple[str, str | None]:
    """One row of a chart with many scenarios in words, and the scenario with the largest clear change (or None).

    How many change which way (95% CI clear of 0) and the largest clear change a year: "Fewer with 3 of 4,
    more with 1; largest: Peer-embedded teams, 195 fewer a year"; without `labels` the scenario is left out
    ("largest: 195 fewer a year"), for a chart that shows it by its marker."""
    rows = rows[np.isfinite(rows["diff_year"].to_numpy(float))]
    if rows.empty:
        return "", None
    clear = [finite(lo, hi) and (hi < 0 or lo > 0) for lo, hi in zip(rows["low_year"], rows["high_year"])]
    fewer = int(sum(c and d < 0 for c, d in zip(clear, rows["diff_year"])))
    more = int(sum(c and d > 0 for c, d in zip(clear, rows["diff_year"])))
    n = len(rows)
    if not fewer and not more:
        return f"No clear change with any of {n}", None
    parts = [f"{word} with {'all ' + str(n) if k == n else f'{k} of {n}'}" for word, k in (("Fewer", fewer),
                                                                                         ("more", more)) if k]
    parts[0] = parts[0][:1].upper() + parts[0][1:]
    sure = rows[clear]
    top = sure.loc[sure["diff_year"].abs().idxmax()]
    size = abs(top["diff_year"])
    amount = f"{size:,.0f}" if size >= 10 else f"{size:,.1f}"
    who = f"{labels.get(top['scenario'], top['scenario'])}, " if labels is not None else ""
    return (f"{', '.join(parts)}; largest: {who}{amount} {'fewer' if top['diff_year'] < 0 else 'more'} a year",
            str(top["scenario"]))


def difference_table(results: SavedResults) -> pd.DataFrame:
    """Per scenario and row: the paired difference per year and per 100 baseline calls, with 95% CIs and words.

    Columns: scenario, metric, row, diff_year, low_year, high_year, per_100, low_100, high_100, words.
    Per year = comparison.csv × 365 / days; per 100 calls = comparison.csv × 100 / the baseline's mean calls.
    """
    cols = ["scenario", "metric", "row", "diff_year", "low_year", "high_year", "per_100", "low_100", "high_100", "words"]
    if results.comparison is None:
        return pd.DataFrame(columns=cols)
    c = _whole_city(results.comparison)
    per_year = DAYS_PER_YEAR / float(results.manifest["days"])
    calls = baseline_calls(results)
    per_100 = 100 / calls if calls and math.isfinite(calls) else math.nan
    out = []
    for name in [s["name"] for s in results.manifest["scenarios"]]:
        for key, row_words, noun in ROWS:
            hit = c[(c["scenario"] == name) & (c["metric"] == key)]
            if not len(hit):
                continue
            r = hit.iloc[0]
            d, lo, hi = (float(r[k]) for k in ("diff_mean", "ci_low", "ci_high"))
            factor = per_year if metric(key).per_period else 1.0
            out.append((name, key, row_words, d * factor, lo * factor, hi * factor, d * per_100, lo * per_100,
                        hi * per_100, words(d * factor, lo * factor, hi * factor, noun)))
    return pd.DataFrame(out, columns=cols)


def plot_difference(results: SavedResults, out_dir: Path, style="talk") -> list[Path]:
    """Each scenario against the baseline: paired differences with 95% CIs from comparison.csv, per 100 of the
    baseline's calls and per year, in plain words."""
    table = difference_table(results)
    if table.empty:
        return []
    from .plots import _finish  # the run charts' caption and call-type naming

    st, ink, names = scenario_inks(results, style, table["scenario"])
    rows = [r for _, r, _ in ROWS if r in set(table["row"])]
    if len(names) > 3:  # many scenarios: the rows a decision turns on, so each keeps room to read
        rows = [r for r in rows if r in KEY_ROWS] or rows
    labelled = len(names) <= 2  # words beside each row; with more scenarios they would collide
    base_label = ink.labels.get(results.manifest.get("baseline"), "the baseline")
    per_year_of_100 = (baseline_calls(results) / 100) * DAYS_PER_YEAR / float(results.manifest["days"])
    with matplotlib.rc_context(st.rc() | {"axes.grid": True, "axes.grid.axis": "x"}):
        fig, ax = new_figure(st)
        y0 = np.arange(len(rows))[::-1].astype(float)
        step = 0.8 / len(names)
        for j, name in enumerate(names):
            mine = table[table["scenario"] == name].set_index("row").reindex(rows)
            y = y0 + 0.4 - step * (j + 0.5) if len(names) > 1 else y0
            for yi, (_, r) in zip(y, mine.iterrows()):
                if not math.isfinite(r["per_100"]):
                    continue
                if finite(r["low_100"], r["high_100"]):
                    ax.plot([r["low_100"], r["high_100"]], [yi, yi], color=ink.colour(name), linewidth=5,
                            solid_capstyle="butt", linestyle=ink.linestyle(name), zorder=3)
                ax.plot(r["per_100"], yi, marker=ink.marker(name), markersize=15 if len(names) <= 3 else 10, color=ink.colour(name),
                        markeredgecolor=st.ink, zorder=4, linestyle="none")
                if labelled:
                    text = wrap(r["words"], 36) if len(names) == 1 else short_words(r["diff_year"], r["low_year"],
                                                                                     r["high_year"])
                    if len(names) > 1:  # the scenario's marker starts its words
                        ax.plot([1.03], [yi], marker=ink.marker(name), markersize=11, color=ink.colour(name),
                                markeredgecolor=st.ink, transform=ax.get_yaxis_transform(), clip_on=False)
                    ax.annotate(text, (1.0, yi), xycoords=("axes fraction", "data"),
                                xytext=(14 if len(names) == 1 else 30, 0), textcoords="offset points", ha="left",
                                va="center", fontsize=st.min_pt or st.annotation_pt, color=st.ink,
                                annotation_clip=False)
        ax.axvline(0, color=st.ink, linewidth=1.4, zorder=2)
        span = np.nanmax(np.abs(table[["low_100", "high_100", "per_100"]].to_numpy(float)))
        span = span if math.isfinite(span) and span > 0 else 1.0
        ax.set_xlim(-span * 1.15, span * 1.15)
        ax.set_yticks(y0, [wrap(r, 18 if len(names) <= 3 else 30) for r in rows])
        ax.tick_params(axis="y", length=0)
        against = base_label if len(base_label) <= 24 else "the baseline"
        scale = math.isfinite(per_year_of_100) and per_year_of_100 > 0
        if len(names) > 3 and scale:  # no room for a second axis: the factor in words
            ax.set_xlabel(f"← fewer   change per 100 calls (× {per_year_of_100:,.0f} = per year)   more →")
        else:
            ax.set_xlabel(f"← fewer   Change per 100 crisis calls against {against}   more →")
        if scale and len(names) <= 3:
            top = ax.secondary_xaxis("top", functions=(lambda v: v * per_year_of_100, lambda v: v / per_year_of_100))
            top.set_xlabel("Change per year")
            top.xaxis.set_major_formatter(lambda v, _p: f"{v:,.0f}".replace("-", MINUS))
            top.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(lambda v, _p: f"{v:g}".replace("-", MINUS))
        if len(names) > 2:  # many scenarios: each row in words at its right, the largest change by its marker
            for yi, row in zip(y0, rows):
                text, top = row_summary(table[table["row"] == row])
                head, _sep, tail = text.partition("; ")
                if top is not None:
                    ax.plot([1.035], [yi], marker=ink.marker(top), markersize=13, color=ink.colour(top),
                            markeredgecolor=st.ink, transform=ax.get_yaxis_transform(), clip_on=False)
                ax.annotate(head + (f";\n{tail}" if tail else ""), (1.0, yi), xycoords=("axes fraction", "data"),
                            xytext=(34, 0), textcoords="offset points", ha="left", va="center",
                            fontsize=st.min_pt or st.annotation_pt, color=st.ink, annotation_clip=False,
                            linespacing=1.1)
        if len(names) == 2:
            ax.annotate("a year, 95% CI", (1.0, 1.0), xycoords="axes fraction", xytext=(30, 36),
                        textcoords="offset points", ha="left", va="bottom", fontsize=st.min_pt or st.annotation_pt,
                        color=st.ink, annotation_clip=False)
        if len(names) > 1:
            handles = [Line2D([], [], color=ink.colour(n), marker=ink.marker(n), markersize=13, linewidth=5,
                              linestyle=ink.linestyle(n), label=wrap(ink.labels[n], 40)) for n in names]
            figure_legend(fig, handles, min(len(names), 3))
        title = "What changes against the baseline: paired differences"
        return _finish(fig, results, st, title, out_dir, STEM)
