"""Charts for sweeps, the staffing finder and sensitivity analysis, drawn from saved tables.

Slide-sized (16:9), large type, colour-blind-safe (Okabe-Ito), plain-language labels, 95%
confidence intervals, and a caption saying how many replications and days were simulated.
Charts only read results; they never run the model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from ..analysis import catalogue
from ..analysis.targets import MetricRef, parse_metric, parse_target
from .captions import place
from .formatting import MINUS, axis_number, change_words, chart_value, directions
from .results import saved_scenarios
from .style import Style, caption_line, drawing, figure_legend, finish, get_style, new_figure, wrap

# verdict colours (Okabe-Ito green, vermilion, orange)
MET, NOT_MET, UNDECIDED = "#009E73", "#D55E00", "#E69F00"


def metric_label(ref: MetricRef, team_labels: dict[str, str] | None = None) -> str:
    """Plain words for a metric (from the catalogue), naming the team for a per-team metric."""
    return catalogue.label(ref.metric, (team_labels or {}).get(ref.team, ref.team) if ref.team else None)


def is_share(ref: MetricRef) -> bool:
    return catalogue.metric(ref.metric).unit == "share"


def _percent_axis(ax, ref: MetricRef, axis: str = "y") -> None:
    if is_share(ref):
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif catalogue.metric(ref.metric).unit in ("money", "hours", "count"):
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(axis_number))


def _difference_axis(ax, ref: MetricRef, axis: str) -> None:
    """An axis of differences: of shares in percentage points ("12 pts"), of amounts as their own numbers."""
    if is_share(ref):
        which = ax.yaxis if axis == "y" else ax.xaxis
        which.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:.0f}".replace("-", MINUS) + " pts"))
        which.set_major_locator(MaxNLocator(6))
    else:
        _percent_axis(ax, ref, axis)


def _target_line(ax, target, ref: MetricRef) -> None:
    if target is None or target.ref != ref:
        return
    word = "at most" if target.op == "<=" else "at least"
    label = f"Target: {word} {chart_value(target.value, ref.metric) if is_share(ref) else f'{target.value:g}'}"
    ax.axhline(target.value, color="#000000", linestyle="--", linewidth=2.2, label=label, zorder=1)


def _integer_ticks(ax, values) -> None:
    vals = [v for v in values if isinstance(v, (int, float, np.integer, np.floating))]
    if vals and all(float(v).is_integer() for v in vals) and len(vals) <= 25:
        ax.set_xticks(sorted({float(v) for v in vals}))
        ax.set_xticklabels([f"{v:g}" for v in sorted({float(v) for v in vals})])


def design_place(folder: Path, info: dict) -> str:
    """Where a design's scenario is set (its `city`, else its description's first sentence), for the caption:
    read from the first scenario the folder ran (every point of a design shares the place)."""
    specs = saved_scenarios(folder, info)
    first = next(iter(specs), None)
    return place(specs, first) if first is not None else ""


def _open(folder: str | Path, style: str, out: str | Path | None) -> tuple[Style, Path, Path, dict]:
    """The style, the folder, where its charts go, and its manifest."""
    folder = Path(folder)
    figures = Path(out) if out is not None else folder / "figures"
    return get_style(style), folder, figures, json.loads((folder / "manifest.json").read_text())


# --- sweeps ----------------------------------------------------------------------------


def draw_sweep(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """All charts of a sweep results folder: a staffing curve per metric, heatmaps for two keys, and with a
    baseline the paired difference from it per metric."""
    st, folder, figures, info = _open(folder, style, out)
    sweep = info["sweep"]
    metrics = pd.read_csv(folder / "metrics.csv")
    metrics["team"] = metrics["team"].fillna("").astype(str)
    if "zone" in metrics:  # the curves are for the whole city
        metrics = metrics[metrics["zone"].isna() | (metrics["zone"] == "")]
    points = pd.read_csv(folder / "points.csv")
    baseline_rows = metrics[metrics["scenario"].isin(points["baseline"])] if "baseline" in points else metrics.iloc[0:0]
    metrics = metrics[metrics["scenario"].isin(points["scenario"])]
    diffs = (pd.read_csv(folder / "differences.csv", dtype={"team": str}).fillna({"team": ""})
             if (folder / "differences.csv").exists() else None)
    team_labels = sweep.get("team_labels", {})
    target = parse_target(sweep["target"]) if sweep.get("target") else None
    keys, key_labels = sweep["keys"], sweep["key_labels"]
    caption = caption_line(info["replications"], info["days"], place=design_place(folder, info))
    reference = Reference(sweep.get("base_values", {}).get(keys[0]), sweep.get("baseline_label"))
    paths: list[Path] = []
    for text in sweep["metrics"]:
        ref = parse_metric(text)
        rows = metrics[(metrics["metric"] == ref.metric) & (metrics["team"] == ref.team)]
        if rows.empty:
            continue
        stem = f"sweep_{ref.metric}" + (f"_{ref.team}" if ref.team else "")
        base_rows = baseline_rows[(baseline_rows["metric"] == ref.metric) & (baseline_rows["team"] == ref.team)]
        mine = diffs[(diffs["metric"] == ref.metric) & (diffs["team"] == ref.team)] if diffs is not None else None
        paired = mine is not None and not mine.empty
        level_caption = caption + (f" The change against {reference.baseline} with paired 95% CIs: "
                                   f"sweep_diff_{stem.removeprefix('sweep_')}." if paired else "")
        with drawing(st):
            paths += staffing_curve(st, rows, keys, key_labels, ref, target, figures, stem, level_caption, team_labels,
                                    sweep.get("label"), days=float(info["days"]),
                                    reference=reference._replace(levels=base_rows["mean"].tolist()))
            if len(keys) == 2 and sweep["mode"] == "grid":
                paths += heatmap(st, rows, keys, key_labels, ref, target, figures,
                                 f"heatmap_{stem.removeprefix('sweep_')}", caption, team_labels)
            if paired:
                words = (f" Differences from {reference.baseline} in the same replications (common random numbers), "
                         "paired 95% CIs.")
                shared = [key_labels.get(k, k).lower() for k in sweep.get("shared_keys") or []]
                words += f" {reference.baseline} is run with the same {', '.join(shared)}." if shared else ""
                paths += difference_curve(st, mine, keys, key_labels, ref, figures,
                                          f"sweep_diff_{stem.removeprefix('sweep_')}", caption + words, team_labels,
                                          reference, days=float(info["days"]))
    return paths


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series)


class Reference(NamedTuple):
    """What a sweep curve is read against: the scenario's own setting of the first varied key (a vertical line),
    and the baseline scenario's value of the metric (a horizontal line; one per baseline run)."""

    setting: object = None
    baseline: str | None = None
    levels: list = []


def _setting_line(ax, st: Style, reference: Reference | None, numeric_x: bool, xs) -> None:
    """A dotted vertical line at the scenario's own setting of the varied key, when it is among the values drawn."""
    if reference is None or reference.setting is None or not numeric_x:
        return
    try:
        x = float(reference.setting)
    except (TypeError, ValueError):
        return
    if min(xs) <= x <= max(xs):
        ax.axvline(x, color=st.ink, linestyle=":", linewidth=2.2, zorder=1, label=f"As in the scenario: {x:g}")


def _curves(ax, st: Style, rows: pd.DataFrame, keys: list[str], key_labels: dict, value: str, band: str,
            alone: str) -> bool:
    """`value` against the first varied key, a line with its 95% CI band (ci_low, ci_high) per value of the other
    keys (`alone` names the line when there are none); returns whether the x axis is numeric."""
    x_key, others = keys[0], keys[1:]
    groups = [((), rows)] if not others else list(rows.groupby(others, sort=True))
    numeric_x = _numeric(rows[x_key])
    for i, (gkey, grp) in enumerate(groups):
        grp = grp.sort_values(x_key) if numeric_x else grp
        x = grp[x_key].to_numpy(float) if numeric_x else np.arange(len(grp))
        color = st.palette[i % len(st.palette)]
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        label = ", ".join(f"{key_labels.get(k, k)}: {v:g}" if isinstance(v, (int, float)) else f"{key_labels.get(k, k)}: {v}"
                          for k, v in zip(others, gkey)) or alone
        lo, hi = grp["ci_low"].to_numpy(float), grp["ci_high"].to_numpy(float)
        finite = np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(x[finite], lo[finite], hi[finite], color=color, alpha=0.2, linewidth=0,
                        label=band if i == 0 else None)
        ax.plot(x, grp[value], marker="o", markersize=9, linewidth=3, color=color, label=label)
        if not numeric_x:
            ax.set_xticks(x)
            ax.set_xticklabels([str(v) for v in grp[x_key]])
    if numeric_x:
        _integer_ticks(ax, rows[x_key].tolist())
    return numeric_x


def staffing_curve(st: Style, rows: pd.DataFrame, keys: list[str], key_labels: dict, ref: MetricRef, target, figures: Path,
                   stem: str, caption: str, team_labels: dict, title: str | None = None,
                   days: float | None = None, reference: Reference | None = None) -> list[Path]:
    """The metric against the first varied key, a line (with its 95% CI band) per value of the others; a dotted
    line at the scenario's own setting and, with a baseline, a dashed line at the baseline's value."""
    x_key = keys[0]
    fig, ax = new_figure(st)
    numeric_x = _curves(ax, st, rows, keys, key_labels, "mean", "95% confidence interval", "Mean")
    if numeric_x:
        _setting_line(ax, st, reference, numeric_x, rows[x_key].astype(float).tolist())
    if reference is not None and reference.baseline and reference.levels:
        levels = [v for v in reference.levels if math.isfinite(v)]
        if levels and max(levels) - min(levels) <= 1e-9 * max(1.0, abs(max(levels))):  # one baseline run
            ax.axhline(levels[0], color="#777777", linestyle="--", linewidth=2.6, zorder=1,
                       label=f"{reference.baseline}: {chart_value(levels[0], ref.metric)}")
    _target_line(ax, target, ref)
    _percent_axis(ax, ref)
    if is_share(ref):
        # a share cannot pass 100%: with few replications the t-interval can, so the axis stops there
        top = 1.05 if rows["mean"].max() <= 1 else ax.get_ylim()[1]
        ax.set_ylim(0, min(ax.get_ylim()[1], top))
    ax.set_xlabel(key_labels.get(x_key, x_key))
    entry = catalogue.metric(ref.metric)
    if entry.unit in ("count", "hours", "money"):  # amounts are read against zero, not against the lowest point
        ax.set_ylim(bottom=0)
    period = f" per {days:g} days" if entry.per_period and days else ""
    ax.set_ylabel(wrap(metric_label(MetricRef(ref.metric)) + period, 28))
    handles, labels = ax.get_legend_handles_labels()
    if len(labels) > 1:  # in a band under the title, never over a curve
        figure_legend(fig, handles, 3)
    heading = f"{metric_label(ref, team_labels)}" + (f" ({title})" if title else "")
    return finish(fig, st, wrap(heading, 70), caption, figures, stem)


def difference_curve(st: Style, rows: pd.DataFrame, keys: list[str], key_labels: dict, ref: MetricRef, figures: Path,
                     stem: str, caption: str, team_labels: dict, reference: Reference,
                     days: float | None = None) -> list[Path]:
    """Each point's paired difference from the baseline (differences.csv) against the first varied key, a line with
    its 95% CI band per value of the others, a line at zero ("the same as the baseline") and plain words at the
    scenario's own setting ("At 5: 329 fewer arrests")."""
    x_key, others = keys[0], keys[1:]
    fig, ax = new_figure(st)
    numeric_x = _curves(ax, st, rows, keys, key_labels, "diff_mean", "95% CI of the paired difference", "Difference")
    said = None  # the scenario as it is: the first line's point at its own setting
    if numeric_x and isinstance(reference.setting, (int, float)):
        first = rows if not others else next(iter(rows.groupby(others, sort=True)))[1]
        at = first[np.isclose(first[x_key].to_numpy(float), float(reference.setting))]
        said = at.iloc[0] if len(at) else None
    ax.axhline(0, color="#777777", linestyle="--", linewidth=2.6, zorder=1, label=f"Same as {reference.baseline}")
    if numeric_x:
        _setting_line(ax, st, reference, numeric_x, rows[x_key].astype(float).tolist())
    _difference_axis(ax, ref, "y")
    entry = catalogue.metric(ref.metric)
    period = f" per {days:g} days" if entry.per_period and days else ""
    down, up = directions(ref.metric)
    ax.set_xlabel(key_labels.get(x_key, x_key))
    ax.set_ylabel(f"Change{period}\n← {down}   {up} →")
    if said is not None:  # the scenario as it is, in words
        d, lo, hi = said["diff_mean"], said["ci_low"], said["ci_high"]
        sure = "" if not (math.isfinite(lo) and math.isfinite(hi)) or lo > 0 or hi < 0 else " (not clear: the CI spans 0)"
        text = f"As in the scenario ({float(reference.setting):g}): {change_words(d, ref.metric, named=False)}{sure}"
        ax.annotate(wrap(text, 40), (float(reference.setting), d), xytext=(14, 14), textcoords="offset points",
                    ha="left", va="bottom", fontsize=st.annotation_pt, color=st.ink,
                    arrowprops={"arrowstyle": "-", "color": st.ink, "linewidth": 1.2})
    handles, labels = ax.get_legend_handles_labels()
    figure_legend(fig, handles, 3)
    heading = f"{metric_label(ref, team_labels)}: the change against {reference.baseline}"
    return finish(fig, st, wrap(heading, 58), caption, figures, stem)


def heatmap(st: Style, rows: pd.DataFrame, keys: list[str], key_labels: dict, ref: MetricRef, target, figures: Path, stem: str,
            caption: str, team_labels: dict) -> list[Path]:
    """The metric over a grid of two varied keys; cells whose 95% interval is within the target are ticked."""
    x_key, y_key = keys
    table = rows.pivot_table(index=y_key, columns=x_key, values="mean", aggfunc="first").sort_index(ascending=False)
    lo = rows.pivot_table(index=y_key, columns=x_key, values="ci_low", aggfunc="first").reindex_like(table)
    hi = rows.pivot_table(index=y_key, columns=x_key, values="ci_high", aggfunc="first").reindex_like(table)
    fig, ax = new_figure(st)
    ax.grid(False)
    data = table.to_numpy(float)
    image = ax.imshow(data, cmap=st.heatmap, aspect="auto")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(wrap(metric_label(MetricRef(ref.metric)), 30), fontsize=st.base_pt)
    bar.ax.tick_params(labelsize=st.tick_pt)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: chart_value(v, ref.metric)))
    mid = np.nanmean([np.nanmin(data), np.nanmax(data)]) if np.isfinite(data).any() else 0
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            value = data[r, c]
            text = chart_value(value, ref.metric)
            if target is not None and target.ref == ref:
                bound = hi.iat[r, c] if target.op == "<=" else lo.iat[r, c]
                ok = bound <= target.value if target.op == "<=" else bound >= target.value
                text += " ✓" if ok else ""
            ax.text(c, r, text, ha="center", va="center", fontsize=st.annotation_pt, fontweight="bold",
                    color="white" if value < mid else "black")
    ax.set_xticks(range(data.shape[1]))
    ax.set_xticklabels([f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in table.columns])
    ax.set_yticks(range(data.shape[0]))
    ax.set_yticklabels([f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in table.index])
    ax.set_xlabel(key_labels.get(x_key, x_key))
    ax.set_ylabel(wrap(key_labels.get(y_key, y_key), 30))
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    note = ""
    if target is not None and target.ref == ref:
        word = "at most" if target.op == "<=" else "at least"
        note = f"  ✓ = the 95% interval is within the target ({word} {chart_value(target.value, ref.metric)})"
    return finish(fig, st, wrap(metric_label(ref, team_labels), 70), caption + note, figures, stem)


# --- the staffing finder -------------------------------------------------------------


def draw_staffing_search(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """One panel per target: each staffing level tried, its 95% CI, whether it met the target, and the answer."""
    st_ = get_style(style)
    with drawing(st_):
        return _staffing_search(Path(folder), st_, Path(out) if out is not None else Path(folder) / "figures")


def _staffing_search(folder: Path, style: Style, figures: Path) -> list[Path]:
    info = json.loads((folder / "manifest.json").read_text())
    st = info["staffing"]
    search = pd.read_csv(folder / "search.csv")
    metrics = pd.read_csv(folder / "metrics.csv")
    metrics["team"] = metrics["team"].fillna("").astype(str)
    if "zone" in metrics:  # the curves are for the whole city
        metrics = metrics[metrics["zone"].isna() | (metrics["zone"] == "")]
    targets = [parse_target(t) for t in st["targets"]]
    team_labels = {st["team"]: st["team_label"]}
    fig, axes = new_figure(style, ncols=len(targets), squeeze=False)
    axes = list(axes[0])
    answer = st["answer"]
    colors = {"met": MET, "not met": NOT_MET, "undecided": UNDECIDED}
    words = {"met": "Meets the target", "not met": "Misses the target", "undecided": "Too close to call"}
    final = search.groupby("units").tail(1).set_index("units")
    first_step = search.groupby("units")["step"].min()
    reps = final["replications"]
    same_reps = reps.min() == reps.max()
    legend: dict[str, object] = {}
    for ax, target in zip(axes, targets):
        ref = target.ref
        rows = metrics[(metrics["metric"] == ref.metric) & (metrics["team"] == ref.team)].sort_values("units")
        for r in rows.itertuples():
            verdict = final.at[r.units, f"{target} verdict"]
            lo = r.ci_low if np.isfinite(r.ci_low) else r.mean
            hi = r.ci_high if np.isfinite(r.ci_high) else r.mean
            handle = ax.errorbar([r.units], [r.mean], yerr=[[r.mean - lo], [hi - r.mean]], fmt="o", markersize=13,
                                 color=colors[verdict], capsize=8, elinewidth=3, capthick=3, zorder=3)
            legend.setdefault(words[verdict], handle)
            # the replications only where a level got more than the others (the caption gives the range)
            note = f"#{first_step[r.units]}" + ("" if reps[r.units] == reps.min() else f", {int(reps[r.units])} reps")
            right_half = r.units > (st["min_units"] + st["max_units"]) / 2  # the note on the side with room
            ax.annotate(note, (r.units, r.mean), textcoords="offset points", xytext=(-12 if right_half else 12, 6),
                        ha="right" if right_half else "left", va="bottom", fontsize=style.annotation_pt * 0.85,
                        color="#333333")
        word = "at most" if target.op == "<=" else "at least"
        shown = chart_value(target.value, ref.metric) if is_share(ref) else f"{target.value:g}"
        line = ax.axhline(target.value, color="#000000", linestyle="--", linewidth=2.2, zorder=1)
        legend.setdefault("Target", line)
        if answer is not None:
            legend.setdefault(f"Answer: {answer} units",
                              ax.axvline(answer, color=MET, linewidth=10, alpha=0.25, zorder=0))
        _percent_axis(ax, ref)
        ax.set_title(wrap(f"{metric_label(ref, team_labels)} (target: {word} {shown})",
                          45 if len(targets) == 1 else 32), fontsize=style.base_pt, fontweight="normal", loc="left")
        ax.set_xlabel(wrap(st["staffing"][:1].upper() + st["staffing"][1:], 40))
        low = min(rows["units"].min(), st["min_units"])
        ax.set_xlim(low - 0.7, st["max_units"] + 0.7)
        step = max(1, int(np.ceil((st["max_units"] - low + 1) / (16 // len(targets)))))
        ax.set_xticks(range(int(low), st["max_units"] + 1, step))
        ax.margins(y=0.2)
        ax.set_ylim(bottom=0)
    handles = []
    for label, handle in legend.items():  # in a band under the title, never over a panel's title
        handle.set_label(label)
        handles.append(handle)
    figure_legend(fig, handles, min(len(handles), 4))
    what = "both targets" if len(targets) == 2 else "every target" if len(targets) > 2 else "the target"
    if answer is None:
        title = f"No staffing up to {st['max_units']} units meets {what}"
    else:
        title = f"{answer} units is the smallest staffing that meets {what}"
    reps_text = f"{reps.min()}" if same_reps else f"{reps.min()}–{reps.max()}"
    where = design_place(folder, info)
    caption = ((f"{where.rstrip('.')}. " if where else "")
               + f"Simulated, not a forecast: {reps_text} replications per staffing level × {info['days']:g} days, "
               "95% CI. #k = k-th staffing level tried"
               + ("" if same_reps else f" (with its replications where more than {reps.min()})"))
    return finish(fig, style, wrap(title, 70), caption, figures, "staffing_search")


# --- sensitivity analysis ------------------------------------------------------------


def _input_value(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.3g}"


def draw_sensitivity(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """The tornado chart (one input at a time, low and high) and the coefficients chart."""
    st, folder, figures, info = _open(folder, style, out)
    sens = info["sensitivity"]
    ref = parse_metric(sens["metric"])
    coef = pd.read_csv(folder / "coefficients.csv")
    samples = pd.read_csv(folder / "samples.csv")
    team_labels = sens.get("team_labels", {})
    caption = caption_line(info["replications"], info["days"], place=design_place(folder, info))
    against = sens.get("baseline_label") if sens.get("baseline") else None
    if against:
        labels = {i["key"]: i["label"] for i in sens["inputs"]}
        shared = [labels.get(k, k).lower() for k in sens.get("shared_inputs") or []]
        caption += (f" Differences from {against} in the same replications (common random numbers), paired 95% CIs."
                    + (f" {against} is run with the same {', '.join(shared)}." if shared else ""))
    with drawing(st):
        paths = tornado(st, coef, samples, ref, team_labels, figures, caption, against=against,
                        days=float(info["days"]))
        paths += coefficient_bars(st, coef, ref, team_labels, figures,
                              caption + f"; {sens['samples']} Latin hypercube samples, R² of the linear fit "
                              + (f"{sens['r_squared']:.2f}" if sens["r_squared"] is not None
                                 and math.isfinite(sens["r_squared"]) else "n/a"), against=against)
    return paths


def tornado(st: Style, coef: pd.DataFrame, samples: pd.DataFrame, ref: MetricRef, team_labels: dict, figures: Path,
            caption: str, against: str | None = None, days: float | None = None) -> list[Path]:
    """Bars from the base result to the result with each input at its low and high value (95% CI), widest on top.

    With `against` (the baseline's label) the result is the paired difference from the baseline: a line at zero
    marks "the same as the baseline", and the words say which way ("329 fewer arrests")."""
    coef = coef.assign(width=(coef["metric_at_high"] - coef["metric_at_low"]).abs()).sort_values("width")
    fig, ax = new_figure(st)
    base = float(coef["metric_at_base"].iloc[0])
    y = np.arange(len(coef))
    for i, r in enumerate(coef.itertuples()):
        same = chart_value(r.metric_at_low, ref.metric) == chart_value(r.metric_at_high, ref.metric)
        for kind, value, x_in, color, name in (
                ("low", r.metric_at_low, r.low, st.palette[0], "Input at its low value"),
                ("high", r.metric_at_high, r.high, st.palette[1], "Input at its high value")):
            ax.barh(i, value - base, left=base, height=0.6, color=color, label=name if i == 0 else None)
            end = samples[(samples["kind"] == kind) & (samples["factor"] == r.input)].iloc[0]
            if np.isfinite(end["ci_low"]) and np.isfinite(end["ci_high"]):
                ax.errorbar([value], [i], xerr=[[value - end["ci_low"]], [end["ci_high"] - value]], fmt="none",
                            ecolor="#000000", elinewidth=2, capsize=6, label="95% CI" if i == 0 and kind == "low" else None)
                value = end["ci_high"] if value >= base else end["ci_low"]
            if same and kind == "high":  # both ends give the same result: one label for both, not two on top
                continue
            text = f"{_input_value(r.low)} or {_input_value(r.high)}" if same else _input_value(x_in)
            ax.annotate(text, (value, i), xytext=(8 if value >= base else -8, 0),
                        textcoords="offset points", ha="left" if value >= base else "right", va="center",
                        fontsize=st.annotation_pt, fontweight="bold")
    entry = catalogue.metric(ref.metric)
    period = f" per {days:g} days" if entry.per_period and days else ""
    if against is None:
        ax.axvline(base, color="#000000", linewidth=2, label=f"As in the scenario: {chart_value(base, ref.metric)}")
        ax.set_xlabel(metric_label(ref, team_labels) + period)
        title = f"What moves {metric_label(ref, team_labels).lower()}?"
    else:
        ax.axvline(base, color="#000000", linewidth=2,
                   label=f"As in the scenario: {change_words(base, ref.metric, named=False)}{period}")
        ax.axvline(0, color="#777777", linewidth=2, linestyle=":", label=f"Same as {against}")
        down, up = directions(ref.metric)
        ax.set_xlabel(wrap(f"Difference from {against}{period}", 60) + f"\n← {down}   {up} →")
        title = f"What moves the difference in {metric_label(ref, team_labels).lower()} against {against}?"
    ax.set_yticks(y)
    ax.set_yticklabels([wrap(label, 28) for label in coef["label"]])
    if against:
        _difference_axis(ax, ref, "x")
    else:
        _percent_axis(ax, ref, axis="x")
    ax.margins(x=0.15)
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()  # in a band under the title: never over the bars
    figure_legend(fig, handles, 3 if len(handles) <= 3 else 2)
    return finish(fig, st, wrap(title, 58), caption + " Each input alone at the ends of its range (numbers at bar ends).",
                  figures, "tornado")


def coefficient_bars(st: Style, coef: pd.DataFrame, ref: MetricRef, team_labels: dict, figures: Path, caption: str,
                     against: str | None = None) -> list[Path]:
    """Standardised regression coefficients and rank correlations per input, strongest on top."""
    coef = coef.assign(strength=coef["src"].abs()).sort_values("strength")
    fig, ax = new_figure(st)
    y = np.arange(len(coef))
    ax.barh(y + 0.2, coef["src"], height=0.38, color=st.palette[0], label="Standardised regression coefficient")
    ax.barh(y - 0.2, coef["spearman"], height=0.38, color=st.palette[1], label="Rank correlation (Spearman)")
    ax.axvline(0, color="#000000", linewidth=1.5)
    ax.set_xlim(-1.05, 1.05)
    ax.set_yticks(y)
    ax.set_yticklabels([wrap(label, 28) for label in coef["label"]])
    ax.set_xlabel("Effect on the result (−1 to 1; 0 = no effect)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="best", frameon=False)
    title = f"Which assumption drives {metric_label(ref, team_labels).lower()}" + (
        f" against {against}?" if against else "?")
    return finish(fig, st, wrap(title, 70), caption, figures, "sensitivity_coefficients")


# --- warm-up ---------------------------------------------------------------------------


def draw_warmup(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """Welch's plot: each daily series averaged over replications and smoothed, with the
    recommended warm-up (MSER-5) and the scenario's own marked."""
    from ..analysis.warmup import SERIES, moving_average

    st, folder, figures, info = _open(folder, style, out)
    w = info["warmup"]
    daily = pd.read_csv(folder / "daily.csv")
    mean = daily.groupby("day")[list(SERIES)].mean()
    words = {"calls": "Calls a day", "repeat_calls": "Repeats a day", "busy_hours": "Busy unit-hours"}
    with drawing(st):
        fig, axes = new_figure(st, nrows=len(SERIES), ncols=1, sharex=True, squeeze=False)
        for ax, name in zip(axes[:, 0], SERIES):
            ax.plot(mean.index, mean[name], color="#BBBBBB", linewidth=1, label="Mean of replications")
            ax.plot(mean.index, moving_average(mean[name].to_numpy(), 15), color=st.palette[0], linewidth=3,
                    label="Welch moving average (15 days)")
            ax.set_title(words[name], loc="left", fontsize=st.tick_pt, fontweight="normal")
            ax.axvline(w["recommended_days"], color=MET, linewidth=3, label=f"MSER-5: {w['recommended_days']} days")
            ax.axvline(w["scenario_warmup_days"], color="#000000", linestyle="--", linewidth=2,
                       label=f"Scenario: {w['scenario_warmup_days']:g} days")
            ax.set_ylim(bottom=0)
        axes[-1, 0].set_xlabel("Day of the run, from an empty start")
        # inside the top panel, below its curve (every series starts near zero and rises)
        axes[0, 0].legend(loc="lower right", ncols=2, frameon=False, fontsize=st.tick_pt * 0.8)
        axes[0, 0].set_ylim(top=axes[0, 0].get_ylim()[1] * 1.05)
        title = wrap(f"Warm-up: {w['label']} settles after {w['recommended_days']} days", 60)
        return finish(fig, st, title, caption_line(info["replications"], info["days"], intervals=False,
                                                   place=design_place(folder, info)),
                      figures, "warmup")
