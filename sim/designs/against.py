"""Designs against a baseline: each point of a design beside a baseline run in the same replications.

A sweep or a sensitivity design varies one scenario; with a baseline scenario (police only, say)
what it charts is the paired difference "point − baseline" in each replication, under common
random numbers. A varied key the baseline has too (the city's demand, the police team) is set in
the baseline as well, so each point's difference is the scenario's effect in that same city; a
key only the scenario has (its own team) leaves the baseline as it is, and then one baseline
run serves every point.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ..errors import ScenarioError
from ..scenario.loading import get_key_path
from ..scenario.schema import Scenario
from ..scenario.variants import derive, short_value


def shared_keys(baseline: Scenario, keys: Sequence[str]) -> list[str]:
    """The varied keys the baseline has too (set in the baseline as well)."""
    raw = baseline.to_dict()
    out = []
    for key in keys:
        try:
            get_key_path(raw, key)
        except ScenarioError:
            continue
        out.append(key)
    return out


def baseline_names(baseline: Scenario, shared: Sequence[str], points: Sequence[dict[str, Any]]) -> list[str]:
    """Per point, the name of the baseline run beside it: one run per set of values of the shared keys."""
    runs: dict[str, str] = {}
    out = []
    for values in points:
        signature = repr([(k, values[k]) for k in shared])
        out.append(runs.setdefault(signature, f"{baseline.name}__b{len(runs)}"))
    return out


def baseline_scenarios(baseline: Scenario, shared: Sequence[str], points: Sequence[dict[str, Any]],
                       names: Sequence[str], file: str | None = None) -> list[Scenario]:
    """The baseline runs (validated like any scenario), once per name, with the shared keys set as at its points."""
    out, seen = [], set()
    for values, name in zip(points, names):
        if name in seen:
            continue
        seen.add(name)
        changes = {k: values[k] for k in shared}
        where = ", ".join(f"{k}={short_value(v)}" for k, v in changes.items())
        out.append(derive(baseline, changes, name, baseline.display_label, file=file,
                          context=f"baseline {baseline.name!r} with {where}" if where else f"baseline {baseline.name!r}"))
    return out


def paired_values(values: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """scenario, replication, value: each point's value minus its baseline run's in the same replication.

    `values` has scenario, replication and value (one metric); `pairs` has scenario and baseline."""
    mine = values[["scenario", "replication", "value"]].merge(pairs[["scenario", "baseline"]], on="scenario")
    base = values[["scenario", "replication", "value"]].rename(columns={"scenario": "baseline",
                                                                        "value": "base_value"})
    paired = mine.merge(base, on=["baseline", "replication"], how="inner")
    paired["value"] = paired["value"] - paired["base_value"]
    return paired[["scenario", "replication", "value"]].sort_values(["scenario", "replication"]).reset_index(drop=True)
