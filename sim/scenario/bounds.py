"""What a city could mean: upper bounds on every number of a scenario, by the unit its name says.

Field names say their units (`_min`, `_hours`, `_days`, `per_day`, `cost`), so one table
bounds every number, including fields added later, without a bound written on each field.
A field with its own upper bound (`le=`, as probabilities and unit counts have) keeps it.
The bounds are far above any real city and far below where arithmetic breaks: a run of
400,000 calls a day, a year-long on-scene time or a cost of 1e300 is a typing mistake.
Non-finite numbers are refused by the models themselves (`allow_inf_nan=False`).
"""

from __future__ import annotations

import math
from typing import Any

from annotated_types import Le, Lt

from ..errors import PathValueError, short_repr

MAX_DAYS = 3_650.0
"""Days: a run, a warm-up, a repeat window (ten years)."""
MAX_HOURS = 87_600.0
"""Hours (ten years)."""
MAX_MINUTES = 1_000_000.0
"""Minutes: any time parameter or distribution parameter (about 694 days)."""
MAX_CALLS_PER_DAY = 100_000.0
"""Calls per day of any kind (a city of ten million answers about 20,000 emergency calls a day)."""
MAX_COST = 1e9
"""Any cost, per event or per unit-hour, in the scenario's currency."""
MAX_ANY = 1e9
"""Any other number without a bound of its own (weights, counts)."""
MAX_DRAW_MIN = 1e9
"""The largest time a distribution may draw (its quantile at the largest uniform a stream gives)."""

# (test on the field name, bound, unit in words), the first match wins
_BY_NAME = (
    (lambda n: "cost" in n, MAX_COST, "(currency)"),
    (lambda n: "per_day" in n, MAX_CALLS_PER_DAY, "calls per day"),
    (lambda n: n == "days" or n.endswith("_days"), MAX_DAYS, "days"),
    (lambda n: n == "hours" or n.endswith("_hours"), MAX_HOURS, "hours"),
    (lambda n: n.endswith("_min"), MAX_MINUTES, "minutes"),
)


def bound_for(name: str, default: tuple[float, str] = (MAX_ANY, "")) -> tuple[float, str]:
    """The upper bound on a field's magnitude, and its unit, from the field's name."""
    for test, bound, unit in _BY_NAME:
        if test(name):
            return bound, unit
    return default


def _has_upper_bound(field) -> bool:
    return any(isinstance(m, (Le, Lt)) for m in field.metadata)


def _check(value: Any, path: str, bound: float, unit: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise PathValueError(path, f"must be a finite number, got {short_repr(value)}")
        if abs(value) > bound:
            raise PathValueError(path, f"must be at most {bound:,.0f}{' ' + unit if unit else ''}, "
                                       f"got {short_repr(value)}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", bound, unit)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(item, f"{path}.{key}", bound, unit)


def check_magnitudes(model, default: tuple[float, str] = (MAX_ANY, "")) -> None:
    """Raise PathValueError at the first number of `model`'s own fields (nested models check
    themselves) that is larger than its bound."""
    for name, field in type(model).model_fields.items():
        if _has_upper_bound(field):
            continue
        key = field.alias or name
        bound, unit = bound_for(key, default)
        _check(getattr(model, name), key, bound, unit)
