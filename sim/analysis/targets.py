"""Metric references and targets: "response_min_p90", "utilization[peer_team]<=0.8".

Sweeps, the staffing finder and sensitivity analysis name metrics the same way; this
module reads those names, checks them against a scenario, and judges a target by its 95%
confidence interval (the interval's bound, not the mean, must meet it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..scenario.schema import Scenario
from .catalogue import SYSTEM_METRICS, TEAM_METRICS
from .metrics import system_metrics
from .stats import honest_bounds, t_interval, whole_city

Verdict = Literal["met", "not met", "undecided"]

_REF = re.compile(r"^\s*([a-z0-9_]+)\s*(?:\[\s*([a-z0-9_]+)\s*\])?\s*$")
_TARGET = re.compile(r"^(.*?)(<=|>=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class MetricRef:
    """A system-wide metric (team "") or a per-team metric."""

    metric: str
    team: str = ""

    def __str__(self) -> str:
        return f"{self.metric}[{self.team}]" if self.team else self.metric

    def values(self, summary: pd.DataFrame) -> pd.Series:
        """This metric's rows of a tidy summary table."""
        summary = whole_city(summary)
        return summary[(summary["metric"] == self.metric) & (summary["team"] == self.team)]

    def check(self, scenario: Scenario, where: str) -> None:
        """Raise ScenarioError unless the metric exists and its team is one of the scenario's teams."""
        if self.team:
            if self.metric not in TEAM_METRICS:
                hint = " (it is system-wide: drop the [team])" if self.metric in SYSTEM_METRICS else ""
                raise ScenarioError(f"{self.metric!r} is not a per-team metric{hint}; per-team metrics: "
                                    f"{', '.join(TEAM_METRICS)}", path=where)
            if self.team not in scenario.teams:
                raise ScenarioError(f"unknown team {self.team!r}; teams: {', '.join(scenario.teams)}", path=where)
        elif self.metric not in system_metrics(scenario):
            hint = f" (per team: write {self.metric}[TEAM])" if self.metric in TEAM_METRICS else ""
            raise ScenarioError(f"unknown metric {self.metric!r}{hint}; metrics: {', '.join(SYSTEM_METRICS)}",
                                path=where)


def parse_metric(text: str, where: str = "metric") -> MetricRef:
    """`response_min_p90` or `utilization[peer_team]`."""
    m = _REF.match(str(text))
    if not m:
        raise ScenarioError(f"cannot read metric {text!r}; write NAME or NAME[TEAM], e.g. utilization[peer_team]",
                            path=where)
    return MetricRef(m.group(1), m.group(2) or "")


CLAIM = "one-sided 97.5% per target"
"""What "met" claims: the two-sided 95% interval's bound is on the target's side, a one-sided
97.5% statement for each target, nominal for one look at fresh replications (a search that looks
several times errs more often; its answer is therefore confirmed, sim.designs.confirm)."""


@dataclass(frozen=True)
class Target:
    """A metric bound such as response_min_p90 <= 20."""

    ref: MetricRef
    op: Literal["<=", ">="]
    value: float

    def __str__(self) -> str:
        return f"{self.ref}{self.op}{self.value:g}"

    def judge(self, values) -> tuple[Verdict, float, float, float, int]:
        """(verdict, mean, ci_low, ci_high, n) over replications, by the 95% interval (CLAIM).

        "met" when the whole interval is on the right side of the bound, "not met" when
        the whole interval is on the wrong side, "undecided" when it straddles the bound.
        """
        values = np.asarray(values, dtype=float)
        mean, _sd, lo, hi, n = t_interval(values)
        if n == 0 or math.isnan(mean):
            return ("not met", mean, lo, hi, n)
        lo, hi = honest_bounds(self.ref.metric, values, lo, hi)  # rare counts: exact bounds, never [0, 0]
        good, bad = (hi <= self.value, lo > self.value) if self.op == "<=" else (lo >= self.value, hi < self.value)
        return ("met" if good else "not met" if bad else "undecided", mean, lo, hi, n)


def parse_target(text: str, where: str = "target") -> Target:
    """`METRIC<=VALUE` or `METRIC>=VALUE`; METRIC may be NAME[TEAM]."""
    m = _TARGET.match(str(text))
    if not m:
        raise ScenarioError(f"cannot read target {text!r}; write METRIC<=VALUE or METRIC>=VALUE, "
                            "e.g. response_min_p90<=20 or utilization[peer_team]<=0.8", path=where)
    try:
        value = float(m.group(3))
    except ValueError:
        raise ScenarioError(f"target value {m.group(3)!r} is not a number", path=where) from None
    if not math.isfinite(value):
        raise ScenarioError(f"target value must be finite, got {m.group(3)!r}", path=where)
    return Target(parse_metric(m.group(1), where), m.group(2), value)  # type: ignore[arg-type]
