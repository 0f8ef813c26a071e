"""The report of a planner's folder: the answer first, then the candidates, stations, charts and method.

Everything comes from the saved folder (manifest, candidates.csv, shifts.yaml, stations.csv,
station_check.csv, budget_curve.csv); the charts are drawn first when missing and embedded as
data URIs, so the page needs no network and no other file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .pages import png_src, render_page, write_page
from .plan import draw_plan

PLAN_CHARTS = (
    ("plan_units_by_hour", "Units on duty by hour of the week",
     "What the team is asked for hour by hour, the units each hour would need on its own, and the scenario's and the planned shifts."),
    ("plan_budget_curve", "What each budget step buys",
     "The screen's best schedule within each budget, simulated with common random numbers (95% CI)."),
    ("plan_stations", "Units by base",
     "Where the planned units are based in the busiest hour, against the scenario's bases."),
)


def _num(x: float, metric: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if metric.endswith("_share") or metric.startswith("utilization"):
        return f"{x:.1%}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:,.1f}"


def candidate_rows(folder: Path, targets: list[str]) -> list[dict]:
    """candidates.csv as rows of formatted cells: cost, hours, shifts, bases, each target's mean [95% CI], verdict."""
    table = pd.read_csv(folder / "candidates.csv")
    rows = []
    for r in table.to_dict("records"):
        cells = []
        for t in targets:
            metric = t.split("[")[0].split("<")[0].split(">")[0]
            mean, lo, hi = r.get(f"{t} mean"), r.get(f"{t} ci_low"), r.get(f"{t} ci_high")
            cells.append(f"{_num(mean, metric)} [{_num(lo, metric)}, {_num(hi, metric)}]")
        bases = r.get("bases")
        rows.append({"candidate": int(r["candidate"]), "chosen": bool(r["chosen"]), "cost": f"{r['cost_per_year']:,.0f}",
                     "unit_hours": f"{int(r['unit_hours_per_week']):,}", "replications": int(r["replications"]),
                     "shifts": r["shifts"], "bases": "" if not isinstance(bases, str) else bases, "targets": cells,
                     "verdict": r["verdict"]})
    return rows


def _stations(folder: Path) -> tuple[list[dict], list[dict]]:
    rows, checks = [], []
    if (folder / "stations.csv").exists():
        for r in pd.read_csv(folder / "stations.csv").to_dict("records"):
            rows.append({"zone": r["zone"], "share": f"{r['call_share']:.0%}", "current": int(r["current_units"]),
                         "planned": int(r["planned_units"]), "nearest_current": f"{r['nearest_current_min']:.1f}",
                         "nearest_planned": f"{r['nearest_planned_min']:.1f}"})
    if (folder / "station_check.csv").exists():
        for r in pd.read_csv(folder / "station_check.csv").to_dict("records"):
            metric = r["metric"].split("[")[0]
            checks.append({"metric": r["metric"], "planned": _num(r["planned_bases"], metric),
                           "scenario": _num(r["scenario_bases"], metric),
                           "difference": f"{r['difference']:+.3g} [{r['difference_ci_low']:+.3g}, {r['difference_ci_high']:+.3g}]",
                           "significant": r["difference_ci_low"] > 0 or r["difference_ci_high"] < 0,
                           "replications": int(r["replications"])})
    return rows, checks


def _curve(folder: Path) -> list[dict]:
    curve = pd.read_csv(folder / "budget_curve.csv") if (folder / "budget_curve.csv").exists() else pd.DataFrame()
    rows = []
    for r in curve.to_dict("records"):
        simulated = r["replications"] > 0 and not math.isnan(r["mean"])
        rows.append({"budget": f"{r['budget']:,.0f}", "cost": f"{r['cost_per_year']:,.0f}", "screen": f"{r['screen']:.1%}",
                     "simulated": f"{r['mean']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}]" if simulated else "–"})
    return rows


def render_plan_report(folder: Path) -> str:
    """The planner's report as one HTML string (charts must already be in `figures/`)."""
    man = json.loads((folder / "manifest.json").read_text())
    plan = man["plan"]
    charts = []
    for stem, title, what in PLAN_CHARTS:
        png = folder / "figures" / f"{stem}.png"
        if png.exists():
            charts.append({"title": title, "what": what, "stem": stem,
                           "src": png_src(png)})
    stations, checks = _stations(folder)
    shifts = (folder / "shifts.yaml").read_text() if (folder / "shifts.yaml").exists() else ""
    ref = f"eligible_reached_share[{plan['team']}]"
    ceiling = plan.get("ceiling", {}).get(ref)
    return render_page(
        "plan_report.html.j2",
        manifest=man, plan=plan, candidates=candidate_rows(folder, plan["targets"]), stations=stations,
        checks=checks, curve=_curve(folder), charts=charts,
        shifts="\n".join(line for line in shifts.splitlines() if line != f"# {plan['message']}"),
        starts="any hour" if len(plan["starts"]) == 24 else ", ".join(plan["starts"]),
        ceiling=None if ceiling is None else f"{ceiling:.1%}",
        ceiling_cost=None if plan.get("ceiling_cost") is None else f"{plan['ceiling_cost']:,.0f}",
        current_cost=f"{plan['current_cost']:,.0f}", fixed_cost=f"{float(plan.get('fixed_cost') or 0):,.0f}",
        has_fixed=float(plan.get("fixed_cost") or 0) > 0,
        budget=None if plan.get("budget") is None else f"{plan['budget']:,.0f}", days=float(man["days"]))


def write_plan_report(folder: str | Path, style: str = "talk") -> Path:
    """Write `<folder>/report.html` for a planner's folder, drawing its charts first if any is missing."""
    folder = Path(folder)
    wanted = [stem for stem, _t, _w in PLAN_CHARTS[:2]]
    if (folder / "stations.csv").exists():
        wanted.append(PLAN_CHARTS[2][0])
    if any(not (folder / "figures" / f"{stem}.png").exists() for stem in wanted):
        draw_plan(folder, style=style)
    return write_page(folder, render_plan_report(folder))
