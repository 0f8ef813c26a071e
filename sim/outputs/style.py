"""One chart style for every chart crisis-sim draws: run charts, sweeps, the staffing finder,
sensitivity, and whatever later designs add.

16:9 at 13.33 × 7.5 inches (2000 × 1125 px at 150 dpi; the size of a 16:9 slide, so a point
on the chart is a point on the slide) or 4:3 at 10 × 7.5 inches; PNG and SVG with text kept
as text in a font list that ends in the generic `sans-serif`. Two styles: `talk` (large
type, for slides: no text under 18 pt) and `paper` (compact type, patterns added). Three
themes: light, dark (light ink on a dark slide) and transparent (no background). Styles
apply through `matplotlib.rc_context` around each drawing, so importing this module, or
drawing, never changes matplotlib's global settings.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.text import Text

from ..errors import ScenarioError
from .identity import DASHES, MARKERS, PATTERNS, identities

FIGSIZE_IN = (40 / 3, 7.5)  # 13.33 × 7.5 in: exactly 2000 × 1125 px at 150 dpi
FIGSIZES_IN = {"16:9": FIGSIZE_IN, "4:3": (10.0, 7.5)}
DPI = 150
DAYS_PER_YEAR = 365
STYLES = ("talk", "paper")
THEMES = ("light", "dark", "transparent")
# Fonts a slide tool is likely to have, metric-compatible ones next to each other, and the
# generic family last: an SVG opened elsewhere substitutes a sans-serif, never a serif.
FONTS = ["Arial", "Helvetica", "Liberation Sans", "Arimo", "DejaVu Sans"]

# Okabe & Ito (2008), the palette designed for colour-vision deficiency: for series that are not
# scenarios (sweep lines, low/high ends); scenarios take identity colours (identity.py).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# For `paper`: evenly spaced in lightness, so they stay distinct when printed in gray.
GRAY_SAFE = ("#1A1A1A", "#7A7A7A", "#BDBDBD", "#4D4D4D", "#A0A0A0", "#DADADA", "#000000", "#F0F0F0")
HATCHES = PATTERNS
LINESTYLES = DASHES
INK = {"light": "#222222", "dark": "#EEEEEE", "transparent": "#222222"}
BACKGROUND = {"light": "white", "dark": "#1B1E24", "transparent": "none"}
# on a dark slide the navy of "police only" would vanish: the same hue, lighter
DARK_SWAPS = {"#162C50": "#6C8EC4"}
_KEEP = "_crisis_keep_ink"


@dataclass(frozen=True)
class Style:
    """Type sizes, ink and slide settings for one audience (see `look` for the presentation options)."""

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
    min_pt: float = 0.0          # no text on the chart is smaller (talk: 18 pt, readable at the back of a room)
    aspect: str = "16:9"
    theme: str = "light"
    font_scale: float = 1.0
    titles: tuple[tuple[str, str], ...] = ()  # (chart name, title) set by the presenter
    only: tuple[str, ...] | None = None       # draw only these charts
    call_type: str | None = None              # charts of one call type

    @property
    def figsize(self) -> tuple[float, float]:
        return FIGSIZES_IN[self.aspect]

    @property
    def ink(self) -> str:
        """The colour of text and lines on this theme's background."""
        return INK[self.theme]

    def title_for(self, stem: str, default: str) -> str:
        """The presenter's title for a chart (by its name; a call type's chart `NAME_TYPE` also by NAME)."""
        titles = dict(self.titles)
        if stem in titles:
            return titles[stem]
        if self.call_type and stem.endswith(f"_{self.call_type}"):
            return titles.get(stem[: -len(self.call_type) - 1], default)
        return default

    def wants(self, stem: str) -> bool:
        return self.only is None or stem in self.only

    def rc(self) -> dict:
        ink = self.ink
        return {
            "svg.fonttype": "none",  # keep text as text in SVG: searchable, editable, and testable
            "font.family": ["sans-serif"],
            "font.sans-serif": FONTS,
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
            "grid.color": "#DDDDDD" if self.theme != "dark" else "#444850",
            "grid.linewidth": 0.8,
            "axes.axisbelow": True,
            "hatch.linewidth": 1.0,
            "savefig.dpi": DPI,
            "text.color": ink,
            "axes.labelcolor": ink,
            "axes.edgecolor": ink,
            "xtick.color": ink,
            "ytick.color": ink,
            "axes.titlecolor": ink,
            "legend.labelcolor": ink,
            "figure.facecolor": BACKGROUND[self.theme],
            "axes.facecolor": BACKGROUND[self.theme],
            "savefig.facecolor": BACKGROUND[self.theme],
        }


STYLE_SETTINGS = {
    "talk": Style("talk", base_pt=22, title_pt=28, tick_pt=20, caption_pt=18, annotation_pt=20, grid=False,
                  palette=OKABE_ITO, patterned=False, heatmap="viridis", min_pt=18),
    "paper": Style("paper", base_pt=13, title_pt=16, tick_pt=12, caption_pt=10, annotation_pt=11, grid=True,
                   palette=GRAY_SAFE, patterned=True, heatmap="cividis", min_pt=8),
}
_SIZES = ("base_pt", "title_pt", "tick_pt", "caption_pt", "annotation_pt", "min_pt")


def get_style(style: "str | Style") -> Style:
    """A Style by name (talk, paper), or the Style given (already set up by `look`)."""
    if isinstance(style, Style):
        return style
    if style not in STYLE_SETTINGS:
        raise ScenarioError(f"--style must be one of {', '.join(STYLES)}, got {style!r}")
    return STYLE_SETTINGS[style]


def look(style: "str | Style" = "talk", *, aspect: str | None = None, theme: str | None = None,
         font_scale: float | None = None, titles: dict[str, str] | None = None, only=None,
         call_type: str | None = None) -> Style:
    """A style with the presenter's settings: slide shape, theme, type scale, own titles, which charts."""
    st = get_style(style)
    if aspect is not None and aspect not in FIGSIZES_IN:
        raise ScenarioError(f"--aspect must be one of {', '.join(FIGSIZES_IN)}, got {aspect!r}")
    if theme is not None and theme not in THEMES:
        raise ScenarioError(f"--theme must be one of {', '.join(THEMES)}, got {theme!r}")
    if font_scale is not None and not (0.5 <= font_scale <= 3):
        raise ScenarioError(f"--font-scale must be between 0.5 and 3, got {font_scale:g}")
    changes: dict = {}
    if font_scale is not None and font_scale != st.font_scale:
        factor = font_scale / st.font_scale
        changes = {k: getattr(st, k) * factor for k in _SIZES} | {"font_scale": font_scale}
    if aspect is not None:
        changes["aspect"] = aspect
    if theme is not None:
        changes["theme"] = theme
    if titles:
        changes["titles"] = tuple({**dict(st.titles), **titles}.items())
    if only is not None:
        changes["only"] = tuple(only)
    if call_type is not None:
        changes["call_type"] = call_type
    return dataclasses.replace(st, **changes)


class Ink:
    """How each scenario (or series) is drawn: the same colour, pattern and marker in every chart.

    Scenarios of a run take identity colours (`Ink.of`: by what the scenario is, identity.py);
    other series (`Ink(names, labels, style)`) take the style's palette in the order given.
    """

    def __init__(self, names: list[str], labels: dict[str, str], style: Style,
                 looks: dict[str, tuple[str, int]] | None = None):
        self.names = list(names)
        self.labels = {n: labels.get(n, n) for n in self.names}
        self.style = style
        self._looks = looks or {n: (style.palette[i % len(style.palette)], i if style.patterned else 0)
                                for i, n in enumerate(self.names)}

    @classmethod
    def of(cls, results, style: Style) -> "Ink":
        """The ink of a saved run's scenarios, in the run's order, each in its identity colour."""
        names = [s["name"] for s in results.manifest["scenarios"]]
        return cls(names, {n: results.label(n) for n in names}, style,
                   identities({n: results.scenarios.get(n, {}) for n in names}))

    def colour(self, name: str) -> str:
        colour = self._looks[name][0]
        return DARK_SWAPS.get(colour, colour) if self.style.theme == "dark" else colour

    def variant(self, name: str) -> int:
        return self._looks[name][1]

    def hatch(self, name: str) -> str:
        return HATCHES[self.variant(name) % len(HATCHES)]

    def edge(self, name: str) -> str:
        """Bar edges: dark where a pattern needs lines to show, else the fill."""
        return self.style.ink if self.hatch(name) or self.style.patterned else self.colour(name)

    def linestyle(self, name: str):
        return LINESTYLES[self.variant(name) % len(LINESTYLES)]

    def marker(self, name: str) -> str:
        return MARKERS[self.names.index(name) % len(MARKERS)]


def new_figure(style: Style, **subplots) -> tuple[Figure, object]:
    fig = Figure(figsize=style.figsize, dpi=DPI, layout="constrained")
    # room at the bottom for the caption line, which constrained layout does not place
    fig.get_layout_engine().set(rect=(0, 0.055 if style.name == "talk" else 0.045, 1, 0.945))
    axes = fig.subplots(**subplots)
    return fig, axes


def drawing(style: Style):
    """The context every chart is drawn in: the style's settings, restored afterwards."""
    return matplotlib.rc_context(get_style(style).rc())


def figure_legend(fig: Figure, handles, ncols: int) -> None:
    """A legend for the whole figure, placed by `finish` in a band between the title and the panels."""
    fig._slide_legend = (list(handles), max(1, ncols))


def keep_ink(text: Text) -> Text:
    """Mark text whose colour was chosen for the fill it sits on (a theme leaves it alone)."""
    setattr(text, _KEEP, True)
    return text


CI_WORDS = "95% CI: simulation noise only, not uncertainty in the inputs"


def caption_line(replications: int, days: float, extra: str = "", intervals: bool = True, place: str = "",
                 covers: str = CI_WORDS) -> str:
    """The line under a chart: where, that it is simulated and not a forecast, how, and what any interval covers."""
    reps = int(replications)
    ci = (f"; {covers}" if reps > 1 else "; one replication, so no CI") if intervals else ""
    head = f"{place.rstrip('.')}. " if place else ""
    text = (f"{head}Simulated, not a forecast: {reps} replication{'s' if reps != 1 else ''} × "
            f"{float(days):g} days{ci}.")
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
    """Title (the presenter's own, if set), caption line, and PNG + SVG into `out_dir` (created); returns the two files."""
    style = get_style(style)
    fig.suptitle(style.title_for(stem, title), fontsize=style.title_pt, fontweight="bold", x=0.01, ha="left",
                 color=style.ink)
    # the caption wraps to the figure's width, and the plot makes room for however many lines it takes
    char_px = style.caption_pt * DPI / 72 * 0.55
    lines = textwrap.wrap(caption, max(40, int(fig.bbox.width * 0.97 / char_px)), break_on_hyphens=False) or [""]
    fig.text(0.01, 0.012, "\n".join(lines), fontsize=style.caption_pt, color="#444444", ha="left", va="bottom")
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        line_h = style.caption_pt * DPI / 72 * 1.3 / fig.bbox.height
        bottom = 0.02 + line_h * len(lines)
        x0, y0, w, h = engine.get().get("rect", (0, 0, 1, 1))
        top = min(1.0, y0 + h)  # keep a band a chart kept free at the top
        band = getattr(fig, "_slide_legend", None)
        if band is not None:  # a legend for every panel, in a band of its own under the title
            handles, most = band
            fig.draw_without_rendering()
            title_h = (fig.bbox.y1 - fig._suptitle.get_window_extent().y0) / fig.bbox.height + 0.01
            chars = fig.get_figwidth() * 72 / (style.tick_pt * 0.56) - 4
            ncols, wrapped = fit_columns([" ".join(h.get_label().split()) for h in handles], most, chars)
            for h, text in zip(handles, wrapped):
                h.set_label(text)
            legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.01, 1 - title_h), ncols=ncols,
                                frameon=False, fontsize=style.tick_pt if len(handles) <= 3 else
                                max(style.min_pt, style.tick_pt * 0.9))
            fig.draw_without_rendering()
            # constrained layout keeps the title's own room at the top of the rectangle it is given
            top = 1 - legend.get_window_extent().height / fig.bbox.height - 0.02
        engine.set(rect=(0, bottom, 1, top - bottom))
    _slide_ready(fig, style)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    for path in paths:
        fig.savefig(path, dpi=DPI, metadata={"Date": None} if path.suffix == ".svg" else None,
                    transparent=style.theme == "transparent")
        # the layout is done: the SVG keeps the PNG's positions instead of running it again
        fig.set_layout_engine("none")
    return paths


def _dark(colour) -> bool:
    try:
        r, g, b, a = matplotlib.colors.to_rgba(colour)
    except ValueError:
        return False
    return a > 0 and 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.35


def _slide_ready(fig: Figure, style: Style) -> None:
    """No text under the style's smallest size; on a dark theme, dark ink (text, lines, edges) turned light."""
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < style.min_pt:
            text.set_fontsize(style.min_pt)
    if style.theme != "dark":
        return
    for artist in fig.findobj():
        if isinstance(artist, Text):
            if not getattr(artist, _KEEP, False) and _dark(artist.get_color()):
                artist.set_color(style.ink)
        elif isinstance(artist, matplotlib.lines.Line2D):
            if _dark(artist.get_color()):
                artist.set_color(style.ink)
            if _dark(artist.get_markeredgecolor()):
                artist.set_markeredgecolor(style.ink)
        elif isinstance(artist, matplotlib.collections.LineCollection):
            colours = artist.get_colors()
            if len(colours) and all(_dark(c) for c in colours):
                artist.set_color(style.ink)
        elif isinstance(artist, matplotlib.patches.Patch) and artist.get_facecolor()[3] > 0:
            if _dark(artist.get_edgecolor()) and artist.get_linewidth() > 0:
                artist.set_edgecolor(style.ink)


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


def fit_columns(labels: list[str], most: int, chars: float) -> tuple[int, list[str]]:
    """(columns, labels wrapped to a column's width) for a legend `chars` characters wide: the fewest lines."""
    best = None
    for n in range(max(most, 1), 0, -1):
        width = max(12, int(chars / n) - 5)  # room for the key and the gap between columns
        wrapped = [wrap(label, width) for label in labels]
        rows = [wrapped[i:i + n] for i in range(0, len(wrapped), n)]
        height = sum(max(w.count("\n") + 1 for w in row) for row in rows)
        if best is None or height < best[0]:
            best = (height, n, wrapped)
    return best[1], best[2]


def legend_above(ax, handles=None, ncols: int = 1) -> None:
    """A legend in rows above the plot: constrained layout then keeps it clear of the title.

    Long labels (scenario labels are free text) are wrapped to the width of a column, and
    the number of columns (at most `ncols`) that makes the legend least tall while fitting
    the figure's width is taken, rather than letting it run off the slide or fall into one
    tall column that squeezes the plot away.
    """
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    fig = ax.get_figure()
    labels = [" ".join(h.get_label().split()) for h in handles]
    size = matplotlib.rcParams["legend.fontsize"]
    size = size if isinstance(size, (int, float)) else matplotlib.rcParams["font.size"]
    chars = fig.get_figwidth() * 72 / (size * 0.56)  # characters of this size across the figure
    n, wrapped = fit_columns(labels, ncols, chars)
    for n_try in range(n, 0, -1):
        for h, text in zip(handles, wrapped):
            h.set_label(text)
        legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=n_try, borderaxespad=0,
                           handlelength=1.6, columnspacing=1.4)
        fig.draw_without_rendering()
        if legend.get_window_extent().x1 <= fig.bbox.x1 - 4:
            return
        width = max(12, int(chars / max(n_try - 1, 1)) - 5)
        wrapped = [wrap(label, width) for label in labels]


def scenario_inks(results, style, shown) -> tuple["Style", "Ink", list[str]]:
    """The style, the run's ink (identity colours), and the scenarios of `shown` in the run's order: the
    start of every chart that draws some of a run's scenarios (e.g. those with a difference to the baseline)."""
    st = get_style(style)
    ink = Ink.of(results, st)
    present = set(shown)
    return st, ink, [n for n in ink.names if n in present]


def finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


finish_chart = finish  # the public name (sim.finish_chart) for charts drawn in notebooks
