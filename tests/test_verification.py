"""Verification against queueing theory: Erlang C, Erlang B and Little's law.

Each check compares the replication mean with the formula using a tolerance taken from the
replications themselves (a 99% t-interval), never a golden number.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import run_experiment
from sim.scenario.loading import validate_scenario

from helpers import erlang_b, erlang_c, erlang_c_wq, one_team

MEAN_MIN = 60.0


def within_ci(values, theory: float, slack: float = 0.0) -> tuple[bool, str]:
    """Theory inside the 99% t-interval of the replication values (plus a small slack for warm-up bias)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    half = stats.t.ppf(0.995, n - 1) * x.std(ddof=1) / np.sqrt(n)
    ok = abs(x.mean() - theory) <= half + slack
    return ok, f"mean {x.mean():.4f} ± {half:.4f} (99% CI) vs theory {theory:.4f}"


def rate_per_day(c: int, rho: float) -> float:
    return rho * c / MEAN_MIN * 1440


def values(exp, metric, team=""):
    s = exp.summary
    return s[(s["metric"] == metric) & (s["team"] == team)]["value"].to_numpy()


@pytest.mark.parametrize("c, rho", [(1, 0.5), (3, 0.7), (5, 0.8)])
def test_erlang_c_mean_wait_and_share_waiting(c, rho):
    scenario = validate_scenario(one_team(units=c, calls_per_day=rate_per_day(c, rho), mean_min=MEAN_MIN))
    exp = run_experiment([scenario], replications=12, days=60, warmup_days=5, seed=100 + c)
    a = rho * c
    ok, msg = within_ci(values(exp, "wait_min_mean"), erlang_c_wq(c, a, MEAN_MIN))
    assert ok, "Erlang C Wq: " + msg
    waited = exp.calls.assign(waited=exp.calls["wait_min"] > 0).groupby("replication")["waited"].mean()
    ok, msg = within_ci(waited.to_numpy(), erlang_c(c, a))
    assert ok, "Erlang C P(wait): " + msg


@pytest.mark.parametrize("c, rho", [(2, 0.6), (4, 0.9)])
def test_fallback_share_is_erlang_b_when_first_team_cannot_queue(c, rho):
    data = one_team(units=c, calls_per_day=rate_per_day(c, rho), mean_min=MEAN_MIN)
    data["teams"]["police"] = {"kind": "police", "units": 500, "on_scene_min": {"dist": "constant", "value": 30}}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "max_wait_min": 0}]
    exp = run_experiment([validate_scenario(data)], replications=12, days=60, warmup_days=5, seed=7)
    ok, msg = within_ci(values(exp, "fallback_share"), erlang_b(c, rho * c))
    assert ok, "Erlang B: " + msg
    assert values(exp, "wait_min_mean").max() == 0.0  # nobody waits when there is ample police


@pytest.mark.parametrize("dist", [{"dist": "exponential", "mean": 45.0},
                                  {"dist": "lognormal", "mean": 45.0, "sd": 30.0},
                                  {"dist": "uniform", "low": 20.0, "high": 70.0}])
def test_littles_law_for_each_pool(dist):
    """Time-average busy units = arrival rate x mean busy time, for the team and for police."""
    data = one_team(units=4, calls_per_day=60)
    data["teams"]["team"]["on_scene_min"] = dist
    data["teams"]["team"]["response_min"] = {"dist": "constant", "value": 5}
    data["teams"]["police"] = {"kind": "police", "units": 200, "on_scene_min": {"dist": "constant", "value": 30},
                               "response_min": {"dist": "constant", "value": 10}}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "max_wait_min": 5}]
    scenario = validate_scenario(data)
    exp = run_experiment([scenario], replications=10, days=60, warmup_days=5, seed=3)
    lam_per_hour = 60 / 24
    handled = {t: values(exp, "handled_share", t) for t in ("team", "police")}
    busy_min = {"team": 5 + scenario.teams["team"].on_scene_min.mean, "police": 40.0}
    units = {"team": 4, "police": 200}
    for team in ("team", "police"):
        busy_units = values(exp, "utilization", team) * units[team]
        theory = lam_per_hour * handled[team].mean() * busy_min[team] / 60
        ok, msg = within_ci(busy_units, theory, slack=0.02 * theory)
        assert ok, f"Little's law for {team}: " + msg
