"""Numbers as people read them: one formatter for the console, the report and every chart.

The unit comes from the metric catalogue: shares as percentages (differences of shares in
percentage points), minutes with one decimal, counts, hours and money whole with thousands
separators. A difference carries its sign; a value that rounds to zero is never "-0".
`minus` is "-" for the console (copy-pasteable) and "−" (U+2212) for the report and charts.
"""

from __future__ import annotations

import math

from ..analysis.catalogue import Unit, metric

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


ACRONYMS = frozenset({"idd", "ed", "er", "ems", "emt", "cit", "cad", "dui", "ptsd", "sud"})
"""Words in identifiers that readers write in capitals (`idd` -> IDD, `ed_transport` -> ED transport)."""


def id_words(name: str) -> str:
    """An identifier from a scenario (call type, outcome, zone) as words: underscores to spaces, acronyms
    in capitals (ACRONYMS); everything else as written."""
    return " ".join(w.upper() if w.lower() in ACRONYMS else w for w in str(name).split("_"))


def compact(value: float, minus: str = MINUS) -> str:
    """A large number in few characters for chart labels: 1.23 M, 45 k, 950."""
    if value is None or not math.isfinite(value):
        return "–"
    sign = minus if value < 0 and round(abs(value)) > 0 else ""
    a = abs(value)
    if a >= 1e6:
        return f"{sign}{a / 1e6:,.2f} M"
    if a >= 1e4:
        return f"{sign}{a / 1e3:,.0f} k"
    return f"{sign}{a:,.0f}"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "JPY": "¥"}


def money(value: float, currency: str | None = None, diff: bool = False, minus: str = MINUS) -> str:
    """An amount in words and slides: `compact` with the currency ("+$6.02 M", "−€450 k", "2,000 CHF"; "1.20 M" with none).

    Codes with a common symbol (USD, EUR, GBP, ...) and symbols go before the number, other codes after it."""
    if value is None or not math.isfinite(value):
        return "–"
    number = compact(abs(value))
    sign = minus if value < 0 and round(abs(value)) > 0 else ("+" if diff and round(value) > 0 else "")
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency) if currency else ""
    if symbol and not symbol.isalpha():
        return f"{sign}{symbol}{number}"
    return f"{sign}{number}" + (f" {symbol}" if symbol else "")


def axis_number(value: float, _pos=None) -> str:
    """Axis ticks: as few digits as the tick needs (30 M, 2.5 M, 500 k)."""
    sign = MINUS if value < 0 else ""
    a = abs(value)
    if a >= 1e6:
        return f"{sign}{a / 1e6:.3g} M"
    if a >= 1e4:
        return f"{sign}{a / 1e3:.3g} k"
    return f"{sign}{a:,.0f}"


def chart_value(value: float, metric_or_unit: str) -> str:
    """A value printed on a chart: shares as whole percentages, money compact, others short."""
    if value is None or not math.isfinite(value):
        return "–"
    unit = _unit(metric_or_unit)
    if unit == "share":
        return f"{value:.0%}".replace("-", MINUS)
    if unit == "money" or abs(value) >= 1e6:
        return compact(value)
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    return text.replace("-", MINUS) if float(text.replace(",", "")) != 0 else text.lstrip("-")


_DIRECTIONS = {"count": ("fewer", "more"), "hours": ("fewer", "more"), "money": ("less", "more"),
               "minutes": ("shorter", "longer"), "share": ("lower", "higher")}


def directions(metric_or_unit: str) -> tuple[str, str]:
    """The words for down and up in a metric's unit: ("fewer", "more") for counts, ("lower", "higher") for shares."""
    return _DIRECTIONS[_unit(metric_or_unit)]


def change_words(value: float, metric_name: str, noun: str | None = None, named: bool = True) -> str:
    """A difference in plain words: "329 fewer arrests", "calls with police on scene: 4.1 pts lower",
    "no change"; `noun` defaults to the metric's label in lower case (the unit in brackets dropped).
    `named=False` leaves out the name of a metric that is not a count ("4.1 pts lower"), for a chart whose
    title already says what."""
    if value is None or not math.isfinite(value):
        return "–"
    down, up = directions(metric_name)
    text = fmt(abs(value), metric_name, diff=True).lstrip("+")
    if float(text.rstrip(" pts%").replace(",", "")) == 0:
        return "no change"
    word = down if value < 0 else up
    if noun is None:
        label = metric(metric_name).label
        noun = (label.split(" (")[0] if label.endswith(")") else label).lower()
    unit = _unit(metric_name)
    if unit in ("count", "hours"):
        return f"{text} {word} {noun}"
    amount = f"{text}{' min' if unit == 'minutes' else ''} {word}"
    return f"{noun}: {amount}" if named else amount


def distinct_labels(labels: dict[str, str]) -> dict[str, str]:
    """Scenario labels that tell scenarios apart: a label shared by several (a variant that
    inherited its parent's label through `extends`) gets the scenario's name added."""
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {name: label if counts[label] == 1 else f"{label} ({name})" for name, label in labels.items()}
