"""Coverage: the 95% intervals crisis-sim reports contain the exact M/M/c value about 95% of the time.

An M/M/1 queue at 50% load (mean time on scene 60 min) has an exact mean wait (Erlang C:
60 min) and an exact share of calls that wait (0.5). Many small experiments of 3 replications
× 50 days each (about 1,200 calls and 200 of the queue's relaxation times a replication, so no
run-length warning applies) give one interval each, computed by the tool's own procedure
(sim.analysis.stats.summarise). The share of intervals that contain the exact value is the
coverage.

How many experiments: 400 tell 95% from 90%. If the true coverage were 95%, the observed share
falls below 92.5% with probability about 1% (binomial SE 1.1%); if it were 90%, it reaches
92.5% with probability about 5% (SE 1.5%). An upper bound of 98.5% catches intervals so wide
they would be useless (SE at 95% is 1.1%, so 98.5% is 3.2 SE above).

This test measures 95.75% (mean wait) and 95.0% (share waiting). With seed 77 and 500/300/150
experiments of 3/5/10 replications: mean wait 95.0%, 93.3%, 95.3%; share waiting 96.0%, 95.3%, 96.7%. Shorter runs cover less: 10 days of M/M/2 at 50% load
(240 calls a replication) give 89-91% for the mean wait, which is why the run-length warning exists
(tests/test_run_length.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import erlang_c, erlang_c_wq, one_team
from sim import run_experiment
from sim.analysis.stats import summarise
from sim.scenario.loading import validate_scenario

EXPERIMENTS, REPLICATIONS = 400, 3
LOWEST, HIGHEST = 0.925, 0.985


@pytest.mark.slow
def test_intervals_cover_the_erlang_c_mean_wait_and_share_waiting_at_about_95_percent():
    units, load, mean_min = 1, 0.5, 60.0
    scenario = validate_scenario(one_team(units=units, calls_per_day=load / mean_min * 1440, mean_min=mean_min))
    exp = run_experiment([scenario], replications=EXPERIMENTS * REPLICATIONS, days=50, warmup_days=2, seed=2026,
                         workers=2)
    assert not [w for w in exp.warnings() if "short for its waits" in w]
    wait = exp.summary[(exp.summary["metric"] == "wait_min_mean") & (exp.summary["team"] == "")]
    waited = (exp.calls.assign(value=exp.calls["wait_min"] > 0).groupby("replication", as_index=False)["value"]
              .mean().assign(metric="share_waiting"))
    rows = pd.concat([wait[["replication", "metric", "value"]], waited], ignore_index=True)
    rows["scenario"] = "experiment_" + (rows["replication"] // REPLICATIONS).astype(str)
    rows["team"] = ""
    intervals = summarise(rows)
    assert (intervals["n"] == REPLICATIONS).all() and intervals["scenario"].nunique() == EXPERIMENTS
    truth = {"wait_min_mean": erlang_c_wq(units, load, mean_min), "share_waiting": erlang_c(units, load)}
    for metric, value in truth.items():
        ci = intervals[intervals["metric"] == metric]
        covered = float(np.mean((ci["ci_low"] <= value) & (value <= ci["ci_high"])))
        assert LOWEST <= covered <= HIGHEST, f"{metric}: {covered:.1%} of {len(ci)} intervals contain {value:.4g}"
