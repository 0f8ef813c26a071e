"""The committed regression baseline: a small fixed run of the three response models.

`tests/baseline/summary.csv` holds every metric of every replication of that run. The test
in `test_baseline.py` reruns it and names each metric that moved. When a change moves numbers
on purpose, regenerate the file in the same commit (`make baseline`) and say in the commit
message which metrics moved and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "baseline" / "summary.csv"
SCENARIOS = ("police_only", "co_responder", "peer_embedded")
SETTINGS = {"replications": 2, "days": 30, "warmup_days": 30, "seed": 2026}
RTOL = 1e-9  # same machine kind, same seed: any real change is far larger than float noise


def run_baseline() -> pd.DataFrame:
    """The baseline run's summary table (scenario, replication, metric, team, ..., value)."""
    import sim

    scenarios = [sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml") for name in SCENARIOS]
    return sim.run_experiment(scenarios, workers=1, **SETTINGS).summary


def differences(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """Plain lines naming every value that moved, appeared or disappeared."""
    keys = [c for c in expected.columns if c != "value"]
    if [c for c in actual.columns if c != "value"] != keys:
        return [f"columns changed: {keys} -> {[c for c in actual.columns if c != 'value']}"]
    for df in (expected, actual):
        for k in keys:
            df[k] = df[k].fillna("").astype(str)
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_expected", "_actual"), indicator="status")
    lines = []
    for row in merged.itertuples(index=False):
        where = ", ".join(f"{k}={getattr(row, k)}" for k in keys if getattr(row, k) != "")
        if row.status == "left_only":
            lines.append(f"missing: {where}")
        elif row.status == "right_only":
            lines.append(f"new: {where} = {row.value_actual!r}")
        else:
            a, b = row.value_expected, row.value_actual
            same = (np.isnan(a) and np.isnan(b)) or np.isclose(a, b, rtol=RTOL, atol=1e-12)
            if not same:
                lines.append(f"moved: {where}: {a!r} -> {b!r}")
    return lines


def main() -> None:
    summary = run_baseline()
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(BASELINE, index=False, float_format="%.17g")
    print(f"wrote {BASELINE.relative_to(ROOT)}: {len(summary)} values", file=sys.stderr)


if __name__ == "__main__":
    main()
