"""Numbers of metrics as people read them, by the unit the catalogue gives each metric.

Shares as percentages (differences of shares in percentage points), minutes with one decimal,
counts, hours and money whole with thousands separators. A difference carries its sign; a
value that rounds to zero is never "-0". `minus` is "-" for the console (copy-pasteable) and
"−" (U+2212) for the report and charts. It sits beside the catalogue so that designs can word
their answers with it; `sim.outputs.formatting` re-exports it with the rest of the words.
"""

from __future__ import annotations

import math

from .catalogue import Unit, metric

MINUS = "\u2212"


def _unit(metric_or_unit: str) -> Unit:
    if metric_or_unit in ("count", "minutes", "hours", "share", "money"):
        return metric_or_unit  # type: ignore[return-value]
    return metric(metric_or_unit).unit


def _digits(value: float, unit: Unit) -> int:
    if unit == "minutes":
        return 0 if abs(value) >= 100 else 1
    if unit in ("money",) or abs(value) >= 100 or float(value).is_integer():
        return 0
    return 1 if abs(value) >= 10 else 2


def fmt(value: float | None, metric_or_unit: str, diff: bool = False, minus: str = "-",
        millions: bool = False) -> str:
    """One value of a metric (or of a unit: count, minutes, hours, share, money); `millions`: money in
    millions with two decimals (`25.44 M`), for narrow tables."""
    if value is None or value != value:
        return "–"
    unit = _unit(metric_or_unit)
    if math.isinf(value):
        return "∞" if value > 0 else f"{minus}∞"
    if unit == "share":
        scaled, digits, suffix = value * 100, 1, (" pts" if diff else "%")
    elif unit == "money" and millions:
        scaled, digits, suffix = value / 1e6, 2, " M"
    else:
        scaled, digits, suffix = value, _digits(value, unit), ""
    text = f"{abs(scaled):,.{digits}f}"
    if float(text.replace(",", "")) == 0:  # rounds to zero: no sign, never "-0"
        return f"{text}{suffix}"
    sign = minus if scaled < 0 else ("+" if diff else "")
    return f"{sign}{text}{suffix}"


def interval(mean: float, low: float, high: float, metric_or_unit: str, diff: bool = False, minus: str = "-",
             style: str = "brackets", short: bool = False) -> str:
    """`mean [low, high]` (style "brackets") or `low to high` (style "to") in the metric's own format.

    `short`: money of a million or more in millions (`25.44 M [25.30 M, 25.59 M]`), so a console
    table's column does not wrap."""
    millions = short and _unit(metric_or_unit) == "money" and any(
        v is not None and math.isfinite(v) and abs(v) >= 1e6 for v in (mean, low, high))
    lo, hi = fmt(low, metric_or_unit, diff, minus, millions), fmt(high, metric_or_unit, diff, minus, millions)
    if style == "to":
        return f"{lo} to {hi}"
    return f"{fmt(mean, metric_or_unit, diff, minus, millions)} [{lo}, {hi}]"
