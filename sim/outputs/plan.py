"""The planner's results folder and charts: schedule YAML, the scenario with it applied, candidates, curves.

Charts read the saved tables only (`crisis-sim plot` redraws them); they never run the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ..analysis.catalogue import metric
from ..analysis.targets import parse_metric
from ..designs.plan import shifts_text
from .captions import currency
from .design_charts import design_place
from .formatting import money
from .results import manifest, saved_scenarios, write_manifest, write_scenarios
from .style import caption_line, drawing, finish, get_style, legend_above, new_figure

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def write_plan(result, folder: Path, command: str | None) -> None:
    """The planner's tables, schedule, planned scenario and manifest (sim.outputs.folders calls it)."""
    q = result.question
    levels = [lv for k, lv in sorted(result.confirmation.levels.items()) if k >= 0]
    scenarios = [lv.scenario for lv in levels]
    write_scenarios(folder, scenarios)
    if levels:
        pd.concat([lv.summary for lv in levels], ignore_index=True).to_csv(folder / "summary.csv", index=False)
    chosen = result.answer_scenario()
    if chosen is not None:
        from .results import scenario_yaml

        (folder / "planned_scenario.yaml").write_text(scenario_yaml(chosen))
        (folder / "shifts.yaml").write_text(
            f"# {result.message()}\n# paste under teams.{q.team}:\n" + shifts_text(result.shifts(), result.bases()))
    result.table().to_csv(folder / "candidates.csv", index=False)
    result.search.to_csv(folder / "search.csv", index=False)
    if result.confirmed:
        result.confirmation_table().to_csv(folder / "confirmation.csv", index=False)
    result.hourly.to_csv(folder / "hourly_plan.csv", index=False)
    result.budget_curve.to_csv(folder / "budget_curve.csv", index=False)
    if result.stations is not None:
        result.stations.to_csv(folder / "stations.csv", index=False)
    if result.station_check is not None:
        result.station_check.to_csv(folder / "station_check.csv", index=False)
    team = q.scenario.teams[q.team]
    write_manifest(folder, manifest(
        "plan", scenarios, seed=result.settings["seed"], replications=max([lv.n for lv in levels], default=0),
        days=result.settings["days"], warmup_days=result.settings["warmup_days"], executor=result.executor,
        wall_time_s=result.wall_time_s, baseline=scenarios[0].name if scenarios else q.scenario.name,
        command=command,
        plan={
            "scenario": q.scenario.name, "team": q.team, "team_label": team.label or q.team,
            "targets": [str(t) for t in q.targets], "budget": q.budget, "shift_lengths": list(q.shift_lengths),
            "starts": [f"{h:02d}:00" for h in q.starts], "days": q.days, "met": result.met,
            "answer_cost": None if result.answer is None else result.candidates[result.answer].cost,
            "confirmed_with_fresh_seeds": result.confirmed,
            "search_answer_cost": (None if result.search_answer is None
                                   else result.candidates[result.search_answer].cost),
            "current_cost": result.current_cost, "ceiling": result.ceiling, "ceiling_cost": result.ceiling_cost,
            "message": result.message(), "replications_simulated": result.runs,
            "curve_replications": q.curve_replications, "curve_points": q.curve_points, "budget_step": q.budget_step, "shifts": result.shifts(),
            "bases": result.bases(), "fixed_cost": q.fixed_cost,
        }))


def draw_plan(folder: str | Path, style: str = "talk", out: str | Path | None = None) -> list[Path]:
    """The planner charts: units by hour of the week, what each budget step buys and, with geography, units by base."""
    st = get_style(style)
    figures = Path(out) if out is not None else Path(folder) / "figures"
    with drawing(st):
        paths = _units_by_hour(Path(folder), st, figures) + _budget_curve(Path(folder), st, figures)
        if (Path(folder) / "stations.csv").exists():
            paths += _stations(Path(folder), st, figures)
        return paths


def _setting(folder: Path) -> tuple[str, str | None]:
    """(where the planned scenario is set, its currency) from the scenario the folder keeps."""
    info = json.loads((folder / "manifest.json").read_text())
    specs = saved_scenarios(folder, info)
    first = next(iter(specs), None)
    return design_place(folder, info), currency(specs, first)


def _screen_caption(where: str, text: str) -> str:
    return f"{where.rstrip('.')}. " * bool(where) + f"Queueing screen, not a forecast: {text}"


def _stations(folder: Path, st, figures: Path) -> list[Path]:
    """Units by base zone in the busiest hour: the scenario's bases against the planned, with each zone's calls."""
    info = json.loads((folder / "manifest.json").read_text())
    plan = info["plan"]
    table = pd.read_csv(folder / "stations.csv")
    fig, ax = new_figure(st)
    x = np.arange(len(table))
    width = 0.38
    ax.bar(x - width / 2, table["current_units"], width, color=st.palette[1], label="Scenario's bases")
    ax.bar(x + width / 2, table["planned_units"], width, color=st.palette[0], label="Planned bases")
    labels = [f"{z}\n{share:.0%} of calls" for z, share in zip(table["zone"], table["call_share"])]
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylabel("Units based there")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(1, int(max(table["current_units"].max(), table["planned_units"].max()))) + 1)
    legend_above(ax, ncols=2)
    title = f"{plan['team_label']}: units by base in the busiest hour"
    planned, current = table["screen_travel_planned_min"].iloc[0], table["screen_travel_current_min"].iloc[0]
    where, _unit = _setting(folder)
    caption = _screen_caption(where, f"hypercube approximation (Larson 1975), planned shifts: mean assignment-to-arrival "
                              f"{planned:.1f} min with the planned bases, {current:.1f} min with the scenario's")
    check = folder / "station_check.csv"
    if check.exists():
        row = pd.read_csv(check)
        row = row[row["metric"] == f"response_min_mean[{plan['team']}]"]
        if len(row):
            r = row.iloc[0]
            caption += (f". Simulated mean response {r['planned_bases']:.1f} against {r['scenario_bases']:.1f} min "
                        f"(difference {r['difference']:+.1f} [{r['difference_ci_low']:+.1f}, {r['difference_ci_high']:+.1f}], "
                        f"{int(r['replications'])} paired replications)")
    return finish(fig, st, title, caption, figures, "plan_stations")


def _units_by_hour(folder: Path, st, figures: Path) -> list[Path]:
    """Units each hour needs (screen), the planned schedule and today's, Monday 00:00 to Sunday 24:00."""
    info = json.loads((folder / "manifest.json").read_text())
    plan = info["plan"]
    hourly = pd.read_csv(folder / "hourly_plan.csv")
    where, unit = _setting(folder)
    fig, ax = new_figure(st)
    hours = np.append(hourly["hour_of_week"].to_numpy(), 168)

    def steps(values):
        return np.append(values, values[-1])

    ax.fill_between(hours, steps(hourly["offered_load"].to_numpy()), step="post", color=st.palette[4], alpha=0.25,
                    label="Work arriving (unit-hours per hour)")
    ax.step(hours, steps(hourly["needed_units"].to_numpy()), where="post", color="#000000", linestyle="--",
            linewidth=2, label="Needed by each hour alone (screen)")
    ax.step(hours, steps(hourly["current_units"].to_numpy()), where="post", color=st.palette[1], linewidth=2.5,
            label=f"Scenario's shifts: {money(plan['current_cost'], unit)} a year")
    if plan["answer_cost"] is not None:
        ax.step(hours, steps(hourly["scheduled_units"].to_numpy()), where="post", color=st.palette[0], linewidth=3.5,
                label=f"Planned shifts: {money(plan['answer_cost'], unit)} a year")
    ax.set_xticks(range(0, 169, 24))
    ax.set_xticklabels([*DAY_NAMES, ""], ha="left")
    ax.set_xticks(range(0, 169, 6), minor=True)
    ax.set_xlim(0, 168)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"{plan['team_label']} units on duty")
    ax.set_xlabel("Hour of the week (ticks every 6 hours)")
    ax.set_ylim(bottom=0)
    legend_above(ax, ncols=2)
    title = f"{plan['team_label']}: units on duty by hour"
    caption = _screen_caption(where, f"needs and work from the lagged load, M/M/c with the wait limit. "
                              f"Target: {', '.join(plan['targets'])}")
    return finish(fig, st, title, caption, figures, "plan_units_by_hour")


def _budget_curve(folder: Path, st, figures: Path) -> list[Path]:
    """The team's reach against budget: the screen's best schedule at each step, simulated with 95% CI."""
    info = json.loads((folder / "manifest.json").read_text())
    plan = info["plan"]
    curve = pd.read_csv(folder / "budget_curve.csv")
    ref = parse_metric(f"eligible_reached_share[{plan['team']}]")
    where, unit = _setting(folder)
    fig, ax = new_figure(st)
    if len(curve):
        x = curve["budget"] / 1e6
        ax.plot(x, curve["screen"], color=st.palette[4], linewidth=2.5, marker="s", markersize=8,
                label="Queueing screen")
        sim = curve[curve["replications"] > 0]
        if len(sim):
            ax.errorbar(sim["budget"] / 1e6, sim["mean"], yerr=[sim["mean"] - sim["ci_low"], sim["ci_high"] - sim["mean"]],
                        fmt="o", color=st.palette[0], markersize=11, capsize=7, elinewidth=2.5, capthick=2.5,
                        label="Simulated, 95% CI")
    for t in plan["targets"]:
        if t.startswith("eligible_reached_share"):
            value = float(t.split(">=")[1])
            ax.axhline(value, color="#000000", linestyle="--", linewidth=2, label=f"Target: at least {value:.0%}")
    if plan["answer_cost"] is not None and plan["met"]:
        ax.axvline(plan["answer_cost"] / 1e6, color="#009E73", linewidth=10, alpha=0.25,
                   label=f"Cheapest schedule that meets the targets: {money(plan['answer_cost'], unit)}")
    elif plan.get("budget"):
        ax.axvline(plan["budget"] / 1e6, color="#000000", linewidth=2, linestyle="-",
                   label=f"Budget asked: {money(plan['budget'], unit)}")
    ax.axvline(plan["current_cost"] / 1e6, color=st.palette[1], linewidth=2.5, linestyle=":",
               label=f"Scenario's schedule: {money(plan['current_cost'], unit)}")
    ceiling = plan["ceiling"].get(str(ref))
    if ceiling is not None:
        ax.axhline(ceiling, color="#777777", linewidth=1.5, linestyle="-.",
                   label=f"Most reachable under the routing rules: {ceiling:.0%}")
    fixed = float(plan.get("fixed_cost") or 0)
    ax.set_xlabel("Budget for the team, millions a year" + (f", {unit}" if unit else "")
                  + (f" (the fixed {money(fixed, unit)} included)" if fixed else ""))
    ax.set_ylabel(metric(ref.metric).label)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    title = f"What each {money(plan.get('budget_step', 500_000), unit)} buys: {plan['team_label']}"
    reps = int(plan.get("curve_replications") or 0)
    simulated = int((curve["replications"] > 0).sum()) if len(curve) else 0
    steps = f"Best schedule the screen finds within each budget; {simulated} of {len(curve)} steps simulated."
    caption = (caption_line(reps, info["days"], steps, place=where) if reps >= 2 and simulated
               else _screen_caption(where, "the best schedule within each budget, not simulated."))
    return finish(fig, st, title, caption, figures, "plan_budget_curve")


