"""The staffing finder's false "met" rate at the boundary, on the whole model (M/M/6 at 4 erlangs).

One team of 6 units, Poisson calls (96 a day), exponential time on scene (mean 60 min), no
travel: an M/M/6 queue at 4 erlangs whose mean wait is exactly Erlang C's (8.54 min). The target
is that value itself, `wait_min_mean<=8.5428`, so a correct "met" at 6 units should come at most
2.5% of the time (one-sided). Each seed runs the finder at 6 units only (its 10 → 20 → 40
replication rule, `find_staffing`), then its confirmation with fresh seeds (`confirm_staffing`,
40 replications judged once), exactly as `crisis-sim staff` does.

    .venv/bin/python benchmarks/finder_error_model.py [SEEDS] [--days D] [--first-seed S] [--workers N]

Prints the share of seeds where the search said "met" and where the confirmed answer did, each
with its binomial standard error and an exact (Clopper–Pearson) 95% interval.

Measured (2026-11-27, seeds 1000-1399 in two processes of 200, 30 + 5 days, 16,520
replications, about 43 minutes each on a shared 2-core machine): search only 35/400 = 8.75%
(exact 95% CI 6.2-12.0%), search + confirmation 0/400 (0-0.92%); nominal 2.5%.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers import erlang_c_wq  # noqa: E402

from sim.analysis.targets import parse_target  # noqa: E402
from sim.designs.confirm import confirm_staffing  # noqa: E402
from sim.designs.staffing import StaffingQuestion, find_staffing  # noqa: E402
from sim.scenario.loading import validate_scenario  # noqa: E402

UNITS, LOAD, SERVICE_MIN = 6, 4.0, 60.0


def scenario(days: float, warmup_days: float) -> dict:
    return {
        "name": "mm6",
        "run": {"days": days, "warmup_days": warmup_days, "replications": 10, "seed": 1},
        "demand": {"crisis_calls_per_day": LOAD / SERVICE_MIN * 1440, "call_types": {"mental_health": {"share": 1.0}}},
        "teams": {"crew": {"kind": "civilian", "units": UNITS,
                           "on_scene_min": {"dist": "exponential", "mean": SERVICE_MIN},
                           "response_min": {"dist": "constant", "value": 0}}},
        "routing": [{"match": {}, "send": ["crew"]}],
    }


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    lo = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", type=int, nargs="?", default=400)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--warmup-days", type=float, default=5.0)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    truth = erlang_c_wq(UNITS, LOAD, SERVICE_MIN)
    target = parse_target(f"wait_min_mean<={truth:.4f}")
    base = validate_scenario(scenario(args.days, args.warmup_days))
    search_met = confirmed_met = replications = 0
    started = time.perf_counter()
    for i in range(args.seeds):
        q = StaffingQuestion(base, "crew", (target,), max_units=UNITS, min_units=UNITS, replications=10,
                             max_replications=40, seed=args.first_seed + i)
        result = find_staffing(q, workers=args.workers)
        replications += result.runs
        if result.answer == UNITS:
            search_met += 1
            conf = confirm_staffing(result, workers=args.workers)
            replications += conf.runs
            confirmed_met += conf.answer == UNITS
        print(f"seed {args.first_seed + i}: search {'met' if result.answer else 'no'}; "
              f"running {search_met}/{i + 1} search, {confirmed_met}/{i + 1} confirmed", flush=True)
    n = args.seeds
    print(f"\nM/M/{UNITS} at {LOAD:g} erlangs, target {target} (Erlang C mean wait), {n} seeds "
          f"{args.first_seed}..{args.first_seed + n - 1}, {args.days:g} days + {args.warmup_days:g} warm-up per "
          f"replication; {replications:,} replications in {time.perf_counter() - started:,.0f} s")
    for what, k in (("search only (10 -> 20 -> 40)", search_met), ("search + fresh confirmation", confirmed_met)):
        p = k / n
        lo, hi = clopper_pearson(k, n)
        print(f"  false 'met' {what}: {k}/{n} = {p:.1%} (SE {math.sqrt(p * (1 - p) / n):.1%}; "
              f"exact 95% CI {lo:.1%}-{hi:.1%}); nominal one-sided 2.5%")


if __name__ == "__main__":
    main()
