"""The staffing finder's false "met" rate at the boundary, before and after confirmation.

A Monte Carlo experiment on the finder's decision rule (not on the whole model, which would
take hours): per-replication values whose true mean sits exactly on a "<= 1" target, looked
at with 10, 20 and 40 replications as the finder does, keeping the first look that decides;
then, for the confirmed rule, a fresh set of 40 replications judged once. Values are
lognormal with cv 0.3 (right-skewed, like yearly waits) or normal.

    .venv/bin/python benchmarks/finder_error.py [trials]
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy import stats

LOOKS = (10, 20, 40)
CV = 0.3


def _bounds(y: np.ndarray) -> tuple[float, float]:
    n, m, s = len(y), y.mean(), y.std(ddof=1)
    h = stats.t.ppf(0.975, n - 1) * s / math.sqrt(n)
    return m - h, m + h


def _search_says_met(x: np.ndarray) -> bool:
    for n in LOOKS:
        lo, hi = _bounds(x[:n])
        if hi <= 1.0:
            return True
        if lo > 1.0:
            return False
    return False


def rates(trials: int, skewed: bool, seed: int = 2026) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(math.log(1 + CV**2))

    def draw(k: int) -> np.ndarray:
        return rng.lognormal(-sigma**2 / 2, sigma, k) if skewed else rng.normal(1.0, CV, k)

    search = confirmed = 0
    for _ in range(trials):
        if _search_says_met(draw(LOOKS[-1])):
            search += 1
            confirmed += _bounds(draw(LOOKS[-1]))[1] <= 1.0
    return search / trials, confirmed / trials


if __name__ == "__main__":
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"False 'met' at the boundary, {trials} experiments (nominal one-sided 2.5%):")
    for skewed in (True, False):
        before, after = rates(trials, skewed)
        se = math.sqrt(before * (1 - before) / trials)
        print(f"  {'lognormal cv 0.3' if skewed else 'normal cv 0.3':17s} search only {before:.2%} (SE {se:.2%}); "
              f"search + fresh confirmation {after:.2%}")
