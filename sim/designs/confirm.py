"""Confirming a staffing answer with fresh replications, and checking that targets are monotone.

The finder looks at a staffing level up to three times (10, 20, 40 replications) and keeps
the first look that decides; repeated looks, and the skew of per-replication values, make its
"met with 95% confidence" err more often than the nominal one-sided 2.5% (measured by
simulation: about 10% at the boundary for right-skewed values). A confirmation runs the
answer again with **fresh seeds** (independent of the search) at the finder's largest
replication count, and judges each target once: the answer stands only if it meets every
target again. A false "met" then needs both the search and the confirmation to err, so its
rate is about the product of the two (0.2% in the same simulation). If the answer fails, the
next staffing up is confirmed, and so on. The staffing below the answer is confirmed too,
to report that it does not meet the targets.

Monotonicity: the finder bisects, which is right only if more units never make a target
harder to meet. Over the levels it tried, each target's mean is checked to move the right
way as units grow; a target that does not (a cost, or a system response time with a slow
team) is reported, and the finder's answer is then not trusted: the confirmation searches
upward from the smallest staffing instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.random import SeedSequence

from ..analysis.targets import CLAIM
from .executors import DASK_TIMEOUT_S, run_jobs
from .experiment import ReplicationJob, run_replication
from .staffing import StaffingResult, overall, staffed

ONE_SIDED = 0.975  # each target's claim: the two-sided 95% bound, a one-sided 97.5% statement


def fresh_seed(seed: int) -> int:
    """A seed for confirmation runs: derived from the search's, independent of its streams."""
    return int(SeedSequence([seed, 0x636F6E66]).generate_state(1)[0])  # "conf"


@dataclass
class Confirmation:
    """The confirmed answer (None: nothing up to max_units confirmed) and what was run."""

    answer: int | None
    search_answer: int | None
    rows: pd.DataFrame            # one row per confirmed level: units, replications, verdict, per-target values
    not_monotone: list[str]       # targets whose mean moved the wrong way as units grew
    seed: int

    @property
    def runs(self) -> int:
        return int(self.rows["replications"].sum()) if len(self.rows) else 0

    def message(self, describe_staffing: str) -> str:
        if self.answer is None:
            return (f"No staffing up to the maximum was confirmed with fresh replications "
                    f"({self.runs} replications).")
        moved = "" if self.answer == self.search_answer else f" (the search said {self.search_answer})"
        return (f"Confirmed with fresh replications: {self.answer} {describe_staffing}{moved} meets every target "
                f"({CLAIM}; {self.runs} confirmation replications).")


def monotone_violations(result: StaffingResult) -> list[str]:
    """Targets whose mean, over the levels tried, gets worse as units grow (beyond its CI)."""
    out = []
    m = result.metrics
    for target in result.question.targets:
        rows = m[(m["metric"] == target.ref.metric) & (m["team"] == target.ref.team)].sort_values("units")
        if len(rows) < 2:
            continue
        mean, lo, hi = (rows[c].to_numpy(float) for c in ("mean", "ci_low", "ci_high"))
        # worse = higher for "<=", lower for ">="; only a change beyond both intervals counts
        worse = lo[1:] > hi[:-1] if target.op == "<=" else hi[1:] < lo[:-1]
        if np.any(worse & np.isfinite(lo[1:]) & np.isfinite(hi[:-1])):
            out.append(str(target))
    return out


def confirm_staffing(result: StaffingResult, workers: int = 1, scheduler: str | None = None,
                     on_done=None, dask_timeout_s: float = DASK_TIMEOUT_S) -> Confirmation:
    """Run the search's answer (and the staffing below it) again with fresh seeds; move up until
    a staffing meets every target again, or report that none up to max_units does."""
    q = result.question
    settings = result.replication_settings
    seed = fresh_seed(settings["seed"])
    n = q.max_replications
    not_monotone = monotone_violations(result)
    rows = []

    def judge(units: int) -> str:
        scenario = staffed(q, units)
        jobs = [ReplicationJob(scenario, r, seed, settings["days"], settings["warmup_days"], keep_calls=False)
                for r in range(n)]
        summary = pd.concat([t["summary"] for t in run_jobs(run_replication, jobs, workers=workers,
                                                             scheduler=scheduler, on_done=on_done,
                                                             dask_timeout_s=dask_timeout_s)],
                            ignore_index=True)
        verdicts = [(t, *t.judge(t.ref.values(summary)["value"].to_numpy())) for t in q.targets]
        verdict = overall(verdicts)
        row = {"units": units, "replications": n, "verdict": verdict}
        for t, v, mean, lo, hi, _n in verdicts:
            row.update({f"{t} mean": mean, f"{t} ci_low": lo, f"{t} ci_high": hi, f"{t} verdict": v})
        rows.append(row)
        return verdict

    answer = None
    if result.answer is None and not not_monotone:
        # nothing up to max_units met: if the smallest staffing does, the targets are not monotone
        if q.min_units < q.units_within_budget() and judge(q.min_units) == "met":
            last = rows[-1]
            not_monotone = [str(t) for t in q.targets if last[f"{t} verdict"] == "met"]
            return Confirmation(q.min_units, result.answer, pd.DataFrame(rows), not_monotone, seed)
        return Confirmation(None, result.answer, pd.DataFrame(rows), not_monotone, seed)
    start = result.answer if not not_monotone else q.min_units
    if start - 1 >= q.min_units and not not_monotone:
        judge(start - 1)  # reported: the staffing below the answer, on fresh seeds
    for units in range(start, q.units_within_budget() + 1):  # levels above a budget are not tried
        if judge(units) == "met":
            answer = units
            break
    return Confirmation(answer, result.answer, pd.DataFrame(rows), not_monotone, seed)
