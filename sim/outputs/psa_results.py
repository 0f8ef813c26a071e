"""The results folder of a probabilistic sensitivity analysis (`run --draws N`), written as draws finish.

`psa.csv` grows by one block of rows per draw while the run goes on (and `calls/` by one
parquet file per draw when asked), so memory does not grow with the number of draws. The
folder is still written whole or not at all: everything goes into a hidden folder that is
renamed into place at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from ..designs.sweep import describe_key
from .results import (
    default_out_dir,
    manifest,
    read_manifest,
    saved_scenarios,
    write_atomically,
    write_manifest,
    write_scenarios,
)

PSA_FILES = ("draws.csv", "psa.csv", "psa_comparison.csv", "psa_metrics.csv", "drivers.csv")


class PsaWriter:
    """A sink for run_psa: appends each draw's rows to psa.csv (and its calls, if kept)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "psa.csv"
        self.draws_written = 0

    def add(self, result) -> None:
        result.values.to_csv(self.path, mode="a", header=self.draws_written == 0, index=False)
        if result.calls is not None:
            (self.folder / "calls").mkdir(exist_ok=True)
            result.calls.to_parquet(self.folder / "calls" / f"draw_{result.draw:05d}.parquet", index=False)
        self.draws_written += 1


_EVENT_WORDS = {"arrest": "an arrest", "involuntary_hold": "an involuntary hold", "ed_transport": "an ED transport",
                "crisis_center": "a crisis-centre visit", "linked_to_services": "a linkage to services",
                "follow_up": "a follow-up visit"}


def input_label(key: str, scenario) -> str:
    """Plain words for an uncertain input: "Cost of an ED transport", "Peer team: chance of an arrest"."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "costs" and parts[2] == "cost":
        return f"Cost of {_EVENT_WORDS.get(parts[1], parts[1].replace('_', ' '))}"
    if len(parts) == 4 and parts[0] == "teams" and parts[2] in ("outcomes", "effects"):
        team = scenario.teams.get(parts[1])
        who = (team.label if team is not None and team.label else parts[1].replace("_", " "))
        what = _EVENT_WORDS.get(parts[3], parts[3].replace("_", " "))
        return f"{who}: {'chance of' if parts[2] == 'outcomes' else 'effect on chance of'} {what}"
    return describe_key(key, scenario)


def psa_manifest(result, command: str | None) -> dict:
    design = result.design
    return manifest(
        "psa", list(design.scenarios), seed=design.seed, replications=design.replications, days=design.days,
        warmup_days=design.warmup_days, executor=result.executor, wall_time_s=result.wall_time_s,
        baseline=design.baseline, paired=result.paired, command=command, draws=design.draws,
        replications_per_draw=design.replications,
        uncertain_inputs=[{"key_path": p.key, "label": input_label(p.key, result.scenario(p.declared_by)),
                           "distribution": p.dist.model_dump(by_alias=True), "scenarios": list(p.scenarios)}
                          for p in design.parameters()])


def write_psa_tables(result, folder: Path) -> None:
    """Everything but psa.csv (written as draws finish, or here when the result kept it) and the charts."""
    folder = Path(folder)
    write_scenarios(folder, result.design.scenarios)
    if result.psa is not None:
        result.psa.to_csv(folder / "psa.csv", index=False)
    result.draws.to_csv(folder / "draws.csv", index=False)
    result.comparison.to_csv(folder / "psa_comparison.csv", index=False)
    result.metrics.to_csv(folder / "psa_metrics.csv", index=False)
    result.drivers.to_csv(folder / "drivers.csv", index=False)


def save_psa(run: Callable[[Callable], object], names: list[str], out: str | Path | None = None,
             command: str | None = None, charts: bool = True, style: str = "talk") -> tuple[Path, object]:
    """Create the results folder, call `run(sink)` (which runs the draws, handing each to the sink, and
    returns the PsaResult), then write the summaries, manifest and charts; return (folder, result)."""
    box = {}

    def fill(folder: Path) -> None:
        writer = PsaWriter(folder)
        result = run(writer.add)
        box["result"] = result
        write_psa_tables(result, folder)
        write_manifest(folder, psa_manifest(result, command))
        if charts:
            from .psa_report import write_psa_report

            write_psa_report(folder, style=style)

    folder = write_atomically(out, default_out_dir([*names[:-1], f"{names[-1]}_psa"]), fill)
    return folder, box["result"]


def load_psa(folder: str | Path) -> dict:
    """A PSA results folder read back: manifest, scenarios (plain data) and its tables."""
    folder = Path(folder)
    man = read_manifest(folder)
    scenarios = saved_scenarios(folder, man)

    def read(name: str) -> pd.DataFrame:
        df = pd.read_csv(folder / name)
        if "team" in df:
            df["team"] = df["team"].fillna("").astype(str)
        return df

    return {"folder": folder, "manifest": man, "scenarios": scenarios,
            **{name.removesuffix(".csv"): read(name) for name in PSA_FILES}}
