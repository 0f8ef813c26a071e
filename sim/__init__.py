"""crisis-sim: what happens when behavioural-health responders join crisis response.

    import sim
    scenarios = [sim.load_scenario(p) for p in ("scenarios/police_only.yaml", "scenarios/peer_embedded.yaml")]
    exp = sim.run_experiment(scenarios, replications=10, workers=2)
    exp.metrics, exp.comparison   # tidy DataFrames
    sim.save(exp, "results/my_run")

Module map (data flows one way, top to bottom; a test enforces the layers):

    sim/scenario/   the scenario file: schema (pydantic), distributions, loading (extends, key
                    paths, error messages), variants (`derive`: the one way to make a variant)
    sim/engine/     one replication: named random streams, the call book, routing, teams and
                    shifts, the event log, the SimPy model. Imports only sim/scenario.
    sim/analysis/   from event logs to numbers: tables, metrics, the metric catalogue,
                    statistics (CIs, paired comparisons), targets
    sim/designs/    experiments over many replications: executors (processes, Dask), runs,
                    sweeps, the staffing finder, the shift planner, sensitivity analysis. They return results and
                    never write files or draw.
    sim/outputs/    results folders (written whole or not at all), number formatting, one chart
                    style, run charts, design charts, the HTML report
    sim/cli.py      the `crisis-sim` command line, a thin layer over the above
"""

from __future__ import annotations

import importlib

# The public API, by layer: name -> the module that defines it. Names load on first use, so
# `import sim` (and the command line's start-up) stays quick. A test checks this table against
# __all__ and that every name resolves.
API = {
    "scenario": {"Scenario": "scenario.schema", "ScenarioError": "errors", "load_scenario": "scenario.loading",
                 "derive": "scenario.variants"},
    "engine": {"simulate": "engine.model"},
    "analysis": {"METRICS": "analysis.catalogue", "Metric": "analysis.catalogue", "t_interval": "analysis.stats"},
    "designs": {"Experiment": "designs.experiment", "run_experiment": "designs.experiment",
                "load_sweep": "designs.sweep", "make_sweep": "designs.sweep", "run_sweep": "designs.sweep",
                "StaffingQuestion": "designs.staffing", "find_staffing": "designs.staffing",
                "PlanQuestion": "designs.plan", "plan_shifts": "designs.plan",
                "SensitivityDesign": "designs.sensitivity", "run_sensitivity": "designs.sensitivity",
                "PsaDesign": "designs.psa", "run_psa": "designs.psa"},
    "outputs": {"save": "outputs.folders", "load_results": "outputs.results", "draw_folder": "outputs.folders",
                "write_report": "outputs.report", "CHARTS": "outputs.plots", "run_caption": "outputs.plots",
                "get_style": "outputs.style", "drawing": "outputs.style", "new_figure": "outputs.style",
                "finish_chart": "outputs.style", "caption_line": "outputs.style", "Ink": "outputs.style",
                "look": "outputs.style"},
}
_WHERE = {name: module for names in API.values() for name, module in names.items()}
__all__ = list(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
