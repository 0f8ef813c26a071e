"""Results folders of every kind, written in one place: tables, manifest, charts.

Designs (a run, a sweep, the staffing finder, sensitivity analysis, and later ones) return
results and never write; `save` writes any of them, whole or not at all, through the same
atomic-folder helper and the same manifest. `draw_folder` redraws the charts of a saved
folder by the kind its manifest names, so `crisis-sim plot` never runs the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from ..engine.memory import give_back
from .results import (
    default_out_dir, manifest, results_kind, write_atomically, write_manifest, write_scenarios, write_tables,
)


def _experiment_manifest(kind: str, experiment, command: str | None, **extra) -> dict:
    """The manifest of a folder whose runs are one Experiment (a run, a sweep, sensitivity)."""
    return manifest(
        kind, experiment.scenarios, seed=experiment.seed, replications=experiment.replications,
        days=experiment.days, warmup_days=experiment.warmup_days, executor=experiment.executor,
        wall_time_s=experiment.wall_time_s, baseline=experiment.baseline, paired=experiment.paired,
        command=command, **extra)


def _write_run(experiment, folder: Path, command: str | None) -> None:
    write_tables(experiment, folder)
    write_manifest(folder, _experiment_manifest("run", experiment, command, no_calls=not experiment.keep_calls,
                                                 warnings=experiment.warnings()))


def _write_sweep(result, folder: Path, command: str | None) -> None:
    experiment, sweep = result.experiment, result.sweep
    write_tables(experiment, folder)
    result.summary.to_csv(folder / "summary.csv", index=False)
    result.metrics.to_csv(folder / "metrics.csv", index=False)
    sweep.table().to_csv(folder / "points.csv", index=False)
    if result.differences is not None:
        result.differences.to_csv(folder / "differences.csv", index=False)
    (folder / "sweep.yaml").write_text(yaml.safe_dump(sweep.spec.model_dump(exclude_none=True), sort_keys=False,
                                                      allow_unicode=True))
    write_manifest(folder, _experiment_manifest(
        "sweep", experiment, command, no_calls=not experiment.keep_calls,
        sweep={
            "name": sweep.name, "label": sweep.spec.label, "base_scenario": sweep.base.name,
            "mode": sweep.spec.mode, "keys": sweep.keys, "key_labels": {k: sweep.key_label(k) for k in sweep.keys},
            "team_labels": {k: t.label or k for k, t in sweep.base.teams.items()},
            "target": str(sweep.target) if sweep.target else None, "metrics": [str(m) for m in sweep.metrics],
            "base_values": sweep.base_values(),
            "baseline": sweep.baseline.name if sweep.baseline else None,
            "baseline_label": sweep.baseline.display_label if sweep.baseline else None,
            "shared_keys": sweep.shared, "compared": [str(m) for m in sweep.compared],
        }))


def _write_staffing(result, folder: Path, command: str | None) -> None:
    q = result.question
    scenarios = result.scenarios
    write_scenarios(folder, scenarios)
    result.summary.to_csv(folder / "summary.csv", index=False)
    result.metrics.to_csv(folder / "metrics.csv", index=False)
    result.hourly.to_csv(folder / "hourly.csv", index=False)
    result.search.to_csv(folder / "search.csv", index=False)
    settings = result.replication_settings
    write_manifest(folder, manifest(
        "staffing", scenarios, seed=settings["seed"], replications=max(lv.n for lv in result.levels.values()),
        days=settings["days"], warmup_days=settings["warmup_days"], executor=result.executor,
        wall_time_s=result.wall_time_s, baseline=scenarios[0].name, command=command,
        staffing={
            "scenario": q.scenario.name, "team": q.team, "team_label": q.scenario.teams[q.team].label or q.team,
            "staffing": q.describe_staffing(), "shift": q.shift, "targets": [str(t) for t in q.targets],
            "min_units": q.min_units, "max_units": q.units_within_budget(), "budget": q.budget,
            "initial_replications": q.replications,
            "max_replications": q.max_replications, "answer": result.answer, "message": result.message(),
            "replications_simulated": result.runs,
        },
        confirmation=_confirmation_block(result)))
    if result.confirmation is not None:
        result.confirmation.rows.to_csv(folder / "confirmation.csv", index=False)


def _confirmation_block(result) -> dict | None:
    conf = result.confirmation
    if conf is None:
        return None
    return {"answer": conf.answer, "search_answer": conf.search_answer, "seed": conf.seed,
            "replications_simulated": conf.runs, "not_monotone": conf.not_monotone,
            "message": conf.message(result.question.describe_staffing())}


def _write_sensitivity(result, folder: Path, command: str | None) -> None:
    from ..designs.sweep import describe_key

    d, experiment = result.design, result.experiment
    write_scenarios(folder, experiment.scenarios)
    keys = result.points.drop(columns=["point", "baseline"], errors="ignore")
    if d.baseline is not None:  # the baseline runs: kind "baseline", with the shared inputs they ran at
        keys = pd.concat([keys, d.baseline_runs(result.points).assign(kind="baseline", factor="")], ignore_index=True)
    for name, table in (("summary", experiment.summary), ("metrics", experiment.metrics)):
        merged = table.merge(keys, on="scenario", how="left")
        merged[["scenario", "kind", "factor", *[f.key for f in d.factors]]
               + [c for c in table.columns if c != "scenario"]].to_csv(folder / f"{name}.csv", index=False)
    result.samples.to_csv(folder / "samples.csv", index=False)
    result.coefficients.to_csv(folder / "coefficients.csv", index=False)
    write_manifest(folder, _experiment_manifest(
        "sensitivity", experiment, command,
        sensitivity={
            "scenario": d.scenario.name, "scenario_label": d.scenario.display_label, "metric": str(d.metric),
            "team_labels": {k: t.label or k for k, t in d.scenario.teams.items()},
            "samples": d.samples, "r_squared": result.r_squared,
            "inputs": [{"key": f.key, "label": describe_key(f.key, d.scenario), "low": f.low, "high": f.high,
                        "base": f.base} for f in d.factors],
            # with a baseline, samples.csv and coefficients.csv explain the paired difference scenario − baseline
            "baseline": None if d.baseline is None else d.baseline.name,
            "baseline_label": None if d.baseline is None else d.baseline.display_label,
            "shared_inputs": [f.key for f in d.shared()],
        }))


def _write_warmup(result, folder: Path, command: str | None) -> None:
    write_scenarios(folder, result.scenarios)
    result.daily.to_csv(folder / "daily.csv", index=False)
    result.recommendation.to_csv(folder / "warmup.csv", index=False)
    write_manifest(folder, manifest(
        "warmup", result.scenarios, seed=result.seed, replications=result.replications, days=result.days,
        warmup_days=0, executor=result.executor, wall_time_s=result.wall_time_s, command=command,
        warmup={"scenario": result.scenario.name, "label": result.scenario.display_label,
                "recommended_days": result.warmup_days, "scenario_warmup_days": result.scenario.run.warmup_days,
                "series": result.recommendation.to_dict("records")}))


def _write_psa(result, folder: Path, command: str | None) -> None:
    from .psa_results import psa_manifest, write_psa_tables

    if result.psa is None:
        raise ValueError("this PSA streamed its per-draw values to a results folder already (run_psa with a sink)")
    write_psa_tables(result, folder)
    write_manifest(folder, psa_manifest(result, command))


def _write_plan(result, folder: Path, command: str | None) -> None:
    from .plan import write_plan  # the planner's folder has its own module (schedule, planned scenario, charts)

    write_plan(result, folder, command)


def _default_name(result) -> list[str]:
    kind = result.kind
    if kind in ("run", "psa"):
        return result.names
    if kind == "sweep":
        return [result.sweep.name]
    if kind in ("staffing", "plan"):
        return [f"{result.question.scenario.name}_{kind}"]
    if kind == "warmup":
        return [f"{result.scenario.name}_warmup"]
    return [f"{result.design.scenario.name}_{kind}"]


# kind -> writer of its tables and manifest
WRITERS: dict[str, Callable] = {
    "run": _write_run, "sweep": _write_sweep, "staffing": _write_staffing, "sensitivity": _write_sensitivity,
    "warmup": _write_warmup,
    "psa": _write_psa, "plan": _write_plan,
}


def _drawers() -> dict[str, Callable]:
    from .design_charts import draw_sensitivity, draw_staffing_search, draw_sweep, draw_warmup
    from .plan import draw_plan
    from .plots import draw_all
    from .psa_plots import draw_psa

    return {"run": draw_all, "sweep": draw_sweep, "staffing": draw_staffing_search, "sensitivity": draw_sensitivity,
            "warmup": draw_warmup, "psa": draw_psa, "plan": draw_plan}


def draw_folder(folder: str | Path, style="talk", out: str | Path | None = None, **options) -> list[Path]:
    """Draw (or redraw) every chart of a saved results folder of any kind; returns the files.

    Charts go to `<folder>/figures/`, or to `out` (created) so that a redraw in another style
    leaves the folder's own charts as they were. `options` (aspect, theme, font_scale,
    titles, and for runs only and call_type) set how they look; see `sim.outputs.plots.presentation`.
    """
    from ..errors import ScenarioError
    from .style import look

    kind = results_kind(folder)
    draw = _drawers().get(kind)
    if draw is None:
        raise ScenarioError(f"{folder}: no charts for results of kind {kind!r}")
    options = {k: v for k, v in options.items() if v is not None}
    if kind == "run":
        return draw(Path(folder), style=style, out=out, **options)
    for key in ("only", "call_type"):
        if key in options:
            raise ScenarioError(f"--{key.replace('_', '-')} is for folders written by `crisis-sim run`; {folder} "
                                f"holds {kind} results")
    return draw(Path(folder), style=look(style or "talk", **options), out=out)


def save(result, out: str | Path | None = None, command: str | None = None, charts: bool = True,
         style: str = "talk", helpers=None) -> Path:
    """Write the results folder of any design's result (whole or not at all) and return its path.

    `out` is the folder itself (it must not hold results yet); by default
    `results/<name>/<timestamp>/`. Charts are drawn in `style` (talk or paper) unless `charts`
    is False; a run's charts by `helpers` (`chart_workers.ChartHelpers`, started before the run)
    when given, else in this process.
    """
    if charts and not helpers:  # (helpers were started by a command that checked the style's name itself)
        from .style import get_style

        get_style(style)  # a bad style is bad input before anything is written; imports the chart code

    def fill(folder: Path) -> None:
        give_back()  # what summarising and checking the results freed, before the tables are converted
        WRITERS[result.kind](result, folder, command)
        give_back()  # what writing the tables freed, before the charts are drawn (here or in the helpers)
        if charts and helpers and result.kind == "run":
            helpers.draw(folder, style=style)
        elif charts:
            _drawers()[result.kind](folder, style=style)

    return write_atomically(out, default_out_dir(_default_name(result)), fill)
