"""The backtest folder: table, verdicts, charts (observed against the simulated band) and a page.

Never runs the model: it draws and writes a BacktestResult made by sim.designs.backtest.
"""

from __future__ import annotations

import base64
import html
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import __version__
from ..analysis.workload import MEASURES
from .results import manifest, write_atomically, write_manifest, write_scenarios
from .style import drawing, finish, get_style, legend_above, new_figure

OBSERVED = "#000000"
SIMULATED = "#0072B2"
OUTSIDE = "#D55E00"


def caption(result) -> str:
    return (f"Simulated: {result.replications} histories × {result.days} days of {result.scenario.display_label}; "
            f"95% band for one history, whole curve. Observed: {Path(result.source).name}.")


def draw_measure(result, measure: str, out_dir: Path, style: str = "talk") -> list[Path]:
    """One chart: the observed points against the simulated mean and its band."""
    st = get_style(style)
    label, unit, x_label = MEASURES[measure]
    t = result.table[result.table["measure"] == measure]
    with drawing(st):
        fig, ax = new_figure(st)
        hourly = measure.endswith("_by_hour")
        x = t["x"].to_numpy(float) if hourly else np.arange(len(t))
        if hourly:
            ax.fill_between(x, t["band_low"].clip(lower=0), t["band_high"], color=SIMULATED, alpha=0.25, lw=0)
            ax.plot(x, t["sim_mean"], color=SIMULATED, lw=3)
            ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
            ax.set_xlim(-0.5, 23.5)
        else:
            lo, hi = t["band_low"].clip(lower=0).to_numpy(), t["band_high"].to_numpy()
            ax.bar(x, hi - lo, bottom=lo, width=0.5, color=SIMULATED, alpha=0.25)
            ax.hlines(t["sim_mean"], x - 0.25, x + 0.25, color=SIMULATED, lw=3)
            ax.set_xticks(x, [f"{q * 100:.0f}th" for q in t["x"]])
        out = ~t["inside"].to_numpy(bool)
        ax.plot(x[~out], t["observed"].to_numpy()[~out], "o", color=OBSERVED, ms=9, zorder=5)
        ax.plot(x[out], t["observed"].to_numpy()[out], "X", color=OUTSIDE, ms=13, zorder=6)
        ax.set_xlabel(x_label)
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        handles = [Line2D([], [], marker="o", ls="", color=OBSERVED, ms=9, label="Observed (CAD export)"),
                   Patch(color=SIMULATED, alpha=0.35, label="Simulated: mean and 95% band")]
        if out.any():
            handles.append(Line2D([], [], marker="X", ls="", color=OUTSIDE, ms=11, label="Outside the band"))
        legend_above(ax, handles, ncols=len(handles))
        n_out = int(out.sum())
        verdict = "inside the simulated band" if n_out == 0 else f"{n_out} of {len(t)} points outside the band"
        paths = finish(fig, st, f"{label}: {verdict}", textwrap.shorten(caption(result), 150), out_dir,
                       f"backtest_{measure}")
    return paths


def _at(measure: str, x: float) -> str:
    return f"{int(x):02d}:00" if measure.endswith("_by_hour") else f"{x * 100:.0f}th percentile"


def render_page(result, quality_text: str, figures: Path) -> str:
    """A self-contained HTML page: verdicts, charts (embedded), the table and the data-quality report."""
    css = ("body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1a1a1a;"
           "font-size:18px;line-height:1.5;margin:0}main{max-width:1200px;margin:0 auto;padding:1.2rem 1rem 3rem}"
           "h1{font-size:2rem;margin:.4rem 0 .6rem}h2{font-size:1.45rem;margin:2.2rem 0 .6rem;border-bottom:2px solid "
           "#d9d9d9}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:.45rem "
           ".6rem;border-bottom:1px solid #d9d9d9;text-align:left}thead th{background:#f4f6f8}td.num{text-align:right}"
           ".ok{color:#007a52;font-weight:700}.bad{color:#b34700;font-weight:700}figure{margin:1.5rem 0}figure img{"
           "width:100%;border:1px solid #d9d9d9}pre{background:#f4f6f8;padding:.8rem;overflow-x:auto;font-size:.8rem}"
           ".note{color:#555;font-size:.9rem}")
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(v.label)}</td><td class='{'ok' if v.outside == 0 else 'bad'}'>{'inside' if v.outside == 0 else 'outside'}"
        f"</td><td>{e(v.verdict)}</td></tr>" for v in result.verdicts.itertuples())
    charts = ""
    for v in result.verdicts.itertuples():
        png = figures / f"backtest_{v.measure}.png"
        if png.exists():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            charts += (f"<figure><img alt='{e(v.label)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{e(v.label)}: {e(v.verdict)}</figcaption></figure>")
    table = "".join(
        f"<tr><td>{e(MEASURES[r.measure][0])}</td><td>{_at(r.measure, r.x)}</td><td class='num'>{r.observed:.2f}</td>"
        f"<td class='num'>{r.sim_mean:.2f}</td><td class='num'>{r.band_low:.2f} – {r.band_high:.2f}</td>"
        f"<td>{'yes' if r.inside else 'no'}</td></tr>" for r in result.table.itertuples())
    n_ok = int((result.verdicts["outside"] == 0).sum())
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width, initial-scale=1'><title>Backtest: {e(result.scenario.display_label)}</title>"
            f"<style>{css}</style></head><body><main>"
            f"<h1>Backtest: {e(result.scenario.display_label)} against {e(Path(result.source).name)}</h1>"
            f"<p>{n_ok} of {len(result.verdicts)} measures inside the simulated 95% band. Each replication is another "
            f"history of {result.days} days (the days the export covers); a measure passes when the export's whole "
            f"curve lies inside the band of one history.</p>"
            f"<h2>Verdicts</h2><table><thead><tr><th>measure</th><th>verdict</th><th>where</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><h2>Charts</h2>{charts}"
            f"<h2>Every point</h2><table><thead><tr><th>measure</th><th>at</th><th>observed</th><th>simulated mean</th>"
            f"<th>95% band</th><th>inside</th></tr></thead><tbody>{table}</tbody></table>"
            f"<h2>Data quality of the export</h2><pre>{e(quality_text)}</pre>"
            f"<p class='note'>{e(caption(result))} crisis-sim {e(__version__)}.</p></main></body></html>")


def write_backtest(result, out: str | Path, quality_text: str, command: str | None = None,
                   style: str = "talk", charts: bool = True) -> Path:
    """Write the backtest folder atomically: backtest.csv, verdicts.csv, simulated.csv, figures/, backtest.html."""

    def fill(folder: Path) -> None:
        result.table.to_csv(folder / "backtest.csv", index=False)
        result.verdicts.to_csv(folder / "verdicts.csv", index=False)
        result.simulated.to_csv(folder / "simulated.csv", index=False)
        write_scenarios(folder, [result.scenario])
        (folder / "data_quality.txt").write_text(quality_text + "\n", encoding="utf-8")
        figures = folder / "figures"
        if charts:
            for measure in result.verdicts["measure"]:
                draw_measure(result, measure, figures, style)
        (folder / "backtest.html").write_text(render_page(result, quality_text, figures), encoding="utf-8")
        write_manifest(folder, manifest(
            "backtest", [result.scenario], seed=result.seed, replications=result.replications, days=result.days,
            warmup_days=result.scenario.run.warmup_days, executor=result.executor, wall_time_s=result.wall_time_s,
            command=command, backtest={"source": result.source, "all_inside": result.all_inside,
                                       "measures_outside": [m for m, o in zip(result.verdicts["measure"],
                                                                               result.verdicts["outside"]) if o]}))

    return write_atomically(out, Path(out), fill)
