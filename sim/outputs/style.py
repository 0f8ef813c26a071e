"""One chart style for every chart crisis-sim draws: run charts, sweeps, the staffing finder,
sensitivity, and whatever later designs add.

16:9 at 13.33 × 7.5 inches (2000 × 1125 px at 150 dpi), PNG and SVG with text kept as text.
Two styles: `talk` (large type, for slides) and `paper` (compact type, grey-safe ink and
patterns). Styles apply through `matplotlib.rc_context` around each drawing, so importing
this module, or drawing, never changes matplotlib's global settings.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..errors import ScenarioError

FIGSIZE_IN = (40 / 3, 7.5)  # 13.33 × 7.5 in: exactly 2000 × 1125 px at 150 dpi
DPI = 150
DAYS_PER_YEAR = 365
STYLES = ("talk", "paper")

# Okabe & Ito (2008), the palette designed for colour-vision deficiency; blue, orange and
# green first because they stay apart for every common deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# For `paper`: evenly spaced in lightness, so they stay distinct when printed in gray.
GRAY_SAFE = ("#1A1A1A", "#7A7A7A", "#BDBDBD", "#4D4D4D", "#A0A0A0", "#DADADA", "#000000", "#F0F0F0")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "++", "--")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)), "-", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

@dataclass(frozen=True)
class Style:
    """Type sizes and ink for one audience."""

    name: str
    base_pt: float
    title_pt: float
    tick_pt: float
    caption_pt: float
    annotation_pt: float
    grid: bool
    palette: tuple[str, ...]
    patterned: bool
    heatmap: str

    def rc(self) -> dict:
        return {
            "svg.fonttype": "none",  # keep text as text in SVG: searchable, editable, and testable
            "font.size": self.base_pt,
            "axes.titlesize": self.title_pt,
            "axes.labelsize": self.base_pt,
            "xtick.labelsize": self.tick_pt,
            "ytick.labelsize": self.tick_pt,
            "legend.fontsize": self.tick_pt,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": self.grid,
            "axes.grid.axis": "y",
            "grid.color": "#DDDDDD",
            "grid.linewidth": 0.8,
            "axes.axisbelow": True,
            "hatch.linewidth": 1.0,
            "savefig.dpi": DPI,
        }


STYLE_SETTINGS = {
    "talk": Style("talk", base_pt=20, title_pt=26, tick_pt=18, caption_pt=14, annotation_pt=16, grid=False,
                  palette=OKABE_ITO, patterned=False, heatmap="viridis"),
    "paper": Style("paper", base_pt=13, title_pt=16, tick_pt=12, caption_pt=10, annotation_pt=11, grid=True,
                   palette=GRAY_SAFE, patterned=True, heatmap="cividis"),
}


def get_style(style: str) -> Style:
    if style not in STYLE_SETTINGS:
        raise ScenarioError(f"--style must be one of {', '.join(STYLES)}, got {style!r}")
    return STYLE_SETTINGS[style]


class Ink:
    """How each scenario (or series) is drawn: the same colour (and, for paper, pattern) in every chart."""

    def __init__(self, names: list[str], labels: dict[str, str], style: Style):
        self.names = list(names)
        self.labels = {n: labels.get(n, n) for n in self.names}
        self._index = {n: i for i, n in enumerate(self.names)}
        self.style = style

    @classmethod
    def of(cls, results, style: Style) -> "Ink":
        """The ink of a saved run's scenarios, in the run's order."""
        names = [s["name"] for s in results.manifest["scenarios"]]
        return cls(names, {n: results.label(n) for n in names}, style)

    def colour(self, name: str) -> str:
        return self.style.palette[self._index[name] % len(self.style.palette)]

    def hatch(self, name: str) -> str:
        return HATCHES[self._index[name] % len(HATCHES)] if self.style.patterned else ""

    def linestyle(self, name: str):
        return LINESTYLES[self._index[name] % len(LINESTYLES)] if self.style.patterned else "-"

    def marker(self, name: str) -> str:
        return MARKERS[self._index[name] % len(MARKERS)]


def new_figure(style: Style, **subplots) -> tuple[Figure, object]:
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    # room at the bottom for the caption line, which constrained layout does not place
    fig.get_layout_engine().set(rect=(0, 0.055 if style.name == "talk" else 0.045, 1, 0.945))
    axes = fig.subplots(**subplots)
    return fig, axes


def drawing(style: Style):
    """The context every chart is drawn in: the style's settings, restored afterwards."""
    return matplotlib.rc_context(style.rc())


def caption_line(replications: int, days: float, extra: str = "", intervals: bool = True) -> str:
    """The line under a chart: how the numbers were made."""
    reps = int(replications)
    ci = (", 95% CI" if reps > 1 else ", one replication, so no CI") if intervals else ""
    text = f"Simulated: {reps} replication{'s' if reps != 1 else ''} × {float(days):g} days{ci}."
    return f"{text} {extra}".strip()


def wrap(text: str, width: int) -> str:
    """Break a long label into lines of at most `width` characters."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def label_width(n: int, total_chars: int = 120, low: int = 12, high: int = 34) -> int:
    """Characters per line for n category labels sharing the width of a slide."""
    return max(low, min(high, total_chars // max(n, 1)))


def wrap_labels(labels, n: int | None = None, total_chars: int = 120) -> list[str]:
    """Category labels wrapped so that n of them side by side do not collide."""
    labels = [str(label) for label in labels]
    width = label_width(n if n is not None else len(labels), total_chars)
    return [wrap(label, width) for label in labels]


def finish(fig: Figure, style: Style, title: str, caption: str, out_dir: Path, stem: str) -> list[Path]:
    """Title, caption line, and PNG + SVG into `out_dir` (created); returns the two files."""
    fig.suptitle(title, fontsize=style.title_pt, fontweight="bold", x=0.01, ha="left")
    # the caption wraps to the figure's width, and the plot makes room for however many lines it takes
    char_px = style.caption_pt * DPI / 72 * 0.55
    lines = textwrap.wrap(caption, max(40, int(fig.bbox.width * 0.97 / char_px))) or [""]
    fig.text(0.01, 0.012, "\n".join(lines), fontsize=style.caption_pt, color="#444444", ha="left", va="bottom")
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        line_h = style.caption_pt * DPI / 72 * 1.3 / fig.bbox.height
        bottom = 0.02 + line_h * len(lines)
        x0, y0, w, h = engine.get().get("rect", (0, 0, 1, 1))
        engine.set(rect=(0, bottom, 1, min(1.0, y0 + h) - bottom))  # keep a band a chart kept free at the top
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    for path in paths:
        fig.savefig(path, dpi=DPI, metadata={"Date": None} if path.suffix == ".svg" else None)
    return paths


def error_bars(ax, x, mean, lo, hi, horizontal: bool = False, colour: str = "#222222") -> None:
    """95% CI bars where the interval is finite (with one replication it is not: draw none)."""
    for xi, m, l, h in zip(x, mean, lo, hi):
        if not finite(m, l, h):
            continue
        err = [[m - l], [h - m]]
        if horizontal:
            ax.errorbar(m, xi, xerr=err, fmt="none", ecolor=colour, elinewidth=2.5, capsize=6, zorder=5)
        else:
            ax.errorbar(xi, m, yerr=err, fmt="none", ecolor=colour, elinewidth=2, capsize=6, zorder=5)


def legend_above(ax, handles=None, ncols: int = 1) -> None:
    """A legend in rows above the plot: constrained layout then keeps it clear of the title.

    Long labels (scenario labels are free text) can make a row wider than the figure; then
    the legend is rebuilt with fewer columns until it fits, rather than being cut off.
    """
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    fig = ax.get_figure()
    for n in range(max(ncols, 1), 0, -1):
        legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=n, borderaxespad=0,
                           handlelength=1.6, columnspacing=1.4)
        fig.draw_without_rendering()
        if legend.get_window_extent().x1 <= fig.bbox.x1 - 4:
            return


def finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


finish_chart = finish  # the public name (sim.finish_chart) for charts drawn in notebooks
