"""The regression baseline: a small fixed run whose every metric is committed; a change that
moves one must regenerate the baseline on purpose (`make baseline`)."""

from __future__ import annotations

import pandas as pd

from regression_baseline import BASELINE, differences, run_baseline


def test_no_metric_moved_from_the_committed_baseline():
    expected = pd.read_csv(BASELINE)
    moved = differences(expected, run_baseline())
    assert not moved, ("metrics moved from tests/baseline/summary.csv (if on purpose, run `make baseline` and say "
                       "why in the commit):\n" + "\n".join(moved[:60]) + (f"\n... and {len(moved) - 60} more"
                                                                          if len(moved) > 60 else ""))


def test_the_diff_names_what_moved_appeared_and_disappeared():
    base = pd.DataFrame({"scenario": ["a", "a", "a"], "replication": [0, 0, 0], "metric": ["calls", "arrests", "x"],
                         "team": ["", "", ""], "value": [10.0, 1.0, 5.0]})
    now = pd.DataFrame({"scenario": ["a", "a", "a"], "replication": [0, 0, 0], "metric": ["calls", "arrests", "y"],
                        "team": ["", "", ""], "value": [10.0, 2.0, 5.0]})
    lines = differences(base, now)
    assert "moved: scenario=a, replication=0, metric=arrests: 1.0 -> 2.0" in lines
    assert "missing: scenario=a, replication=0, metric=x" in lines
    assert "new: scenario=a, replication=0, metric=y = 5.0" in lines
    assert len(lines) == 3
