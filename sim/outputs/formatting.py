"""Numbers and names as people read them: one formatter for the console, the report and every chart.

A metric's value in its unit (`fmt`, `interval`: sim/analysis/numbers.py, re-exported here),
compact numbers for chart labels, money with its currency, identifiers as words, and the
words for a change.
"""

from __future__ import annotations

import math

from ..analysis.catalogue import metric
from ..analysis.numbers import MINUS, _unit, fmt, interval  # noqa: F401  (fmt, interval: one formatter, re-exported)

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
