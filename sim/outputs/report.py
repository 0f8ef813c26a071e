"""report.html: one self-contained page that tells the whole story of a results folder.

Everything comes from the saved folder (`load_results`); the charts are drawn first when
`figures/` is missing, and embedded as data URIs so the page needs no network and no
other file. The page is built from the jinja2 template in `sim/outputs/templates/`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..analysis import catalogue
from ..analysis.catalogue import HEADLINE_METRICS
from ..scenario.outcomes import mix_average
from ..scenario.schema import Scenario, Team
from . import adds_chart
from .formatting import MINUS, fmt, id_words, interval
from .givens import givens, ratio_words
from .pages import REPORT_FILE, chart_summary, png_src, render_page, write_page  # noqa: F401 (REPORT_FILE: the app reads it from here)
from .plots import CHARTS, DAYS_PER_YEAR, EXTRA_CHARTS, ZONE_CHARTS, draw_all, get_style
from .results import SavedResults, load_results

KIND_WORDS = {
    "police": "police unit",
    "co_responder": "co-responder unit",
    "civilian": "civilian unit, no police",
}
DAY_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Cell:
    """One scenario's entry in the headline table."""

    estimate: str
    interval: str
    change: str = ""
    change_interval: str = ""
    clear: bool = False  # the 95% CI of the difference excludes zero


def headline_rows(results: SavedResults, names: list[str]) -> list[dict]:
    """Headline metrics as rows of formatted cells: mean [95% CI], and the difference to the baseline."""
    per_year = DAYS_PER_YEAR / float(results.manifest["days"])
    baseline = results.manifest.get("baseline")
    m = results.metrics[(results.metrics["team"] == "") & (results.metrics["zone"] == "")].set_index(["scenario", "metric"])
    comp = None
    if results.comparison is not None:
        comp = results.comparison[(results.comparison["team"] == "") & (results.comparison["zone"] == "")].set_index(
            ["scenario", "metric"])
    rows = []
    for metric in HEADLINE_METRICS:
        entry = catalogue.metric(metric)
        words, kind, scaled = entry.label, entry.unit, entry.per_period
        factor = per_year if scaled else 1.0
        cells = []
        for name in names:
            if (name, metric) not in m.index:
                cells.append(Cell("–", ""))
                continue
            r = m.loc[(name, metric)]
            cell = Cell(fmt(r["mean"] * factor, kind, minus=MINUS),
                        interval(r["mean"], r["ci_low"] * factor, r["ci_high"] * factor, kind, minus=MINUS, style="to")
                        if math.isfinite(r["ci_low"]) else "no CI (one replication)")
            if comp is not None and name != baseline and (name, metric) in comp.index:
                c = comp.loc[(name, metric)]
                lo, hi = c["ci_low"] * factor, c["ci_high"] * factor
                cell.change = fmt(c["diff_mean"] * factor, kind, diff=True, minus=MINUS)
                if math.isfinite(lo) and math.isfinite(hi):
                    cell.change_interval = interval(c["diff_mean"], lo, hi, kind, diff=True, minus=MINUS, style="to")
                    cell.clear = lo > 0 or hi < 0
            cells.append(cell)
        rows.append({"metric": metric, "words": words + (" per year" if scaled else ""), "cells": cells})
    return rows


def _clock_range(shift: dict) -> str:
    return f"{shift['start']}–{shift['end']}"


def _days(days: list[str]) -> str:
    """mon..fri → 'Mon–Fri'; every day → 'every day'; otherwise a list."""
    idx = sorted(DAY_ORDER.index(d) for d in days)
    if len(idx) == 7:
        return "every day"
    if idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 2:
        return f"{DAY_ORDER[idx[0]].title()}–{DAY_ORDER[idx[-1]].title()}"
    return ", ".join(DAY_ORDER[i].title() for i in idx)


def staffing_words(team: dict) -> list[str]:
    """Plain words for a team's staffing: '4 units around the clock' or one line per shift."""
    if "units" in team:
        return [f"{team['units']} unit{'s' if team['units'] != 1 else ''} around the clock"]
    return [f"{_days(s['days'])} {_clock_range(s)}: {s['units']} unit{'s' if s['units'] != 1 else ''}"
            for s in team.get("shifts", [])]


def unit_hours_per_week(team: dict) -> float:
    """Staffed unit-hours a week of a team as saved in a resolved scenario."""
    return Team.model_validate(team).unit_hours_per_week()


def _team_label(scenario: dict, team: str) -> str:
    return scenario.get("teams", {}).get(team, {}).get("label") or team


def routing_words(scenario: dict) -> list[str]:
    """Each routing rule as a sentence: which calls, to whom, and how long they wait before the next."""
    lines = []
    for rule in scenario.get("routing", []):
        match = rule.get("match", {})
        types = ", ".join(id_words(t) for t in match.get("call_type", []))
        risk = f"{'/'.join(match['risk'])}-risk " if match.get("risk") else ""
        if not types:
            types = "all" if not risk else "(every type)"
        who = " → ".join(_team_label(scenario, t) for t in rule["send"])
        if len(rule["send"]) > 1:
            wait = rule.get("max_wait_min")
            who += (" (no waiting for a busy team)" if wait == 0 else
                    f" (next team after {wait:g} min waiting)" if wait is not None else " (waits for the first)")
        what = f"{risk}calls {types}" if types == "(every type)" else f"{risk}{types} calls"
        lines.append(f"{what[0].upper()}{what[1:]}{' (the rest)' if not match else ''}: {who}")
    return lines


def dist_words(dist: dict) -> str:
    """A distribution as its family and the parameters a reader would quote (minutes)."""
    params = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                       for k, v in dist.items() if k != "dist")
    return f"{dist.get('dist', '')} ({params})"


def _geography_words(geography) -> str:
    """Zones with their shares of calls and the range of mean travel times between them."""
    names = geography.zone_names
    times = [t for a in names for b in names if (t := geography.mean_travel_min(a, b)) is not None]
    zones = ", ".join(f"{id_words(name)} {zone.share:.0%}" for name, zone in geography.zones.items())
    spread = f", each call's travel varying around it (cv {geography.travel_cv:g})" if geography.travel_cv else ""
    travel = (f"mean travel {min(times):.0f}–{max(times):.0f} min from a base to a call{spread}" if times else "")
    return f"{len(names)} zones (share of calls: {zones}); {travel}; units start from their bases"


def _pct(values: dict) -> str:
    return ", ".join(f"{id_words(k)} {v:.0%}" for k, v in values.items() if v) or "none"


def assumptions(sc: dict) -> list[tuple[str, str]]:
    """The resolved values a reader checks first, as (what, value) rows; the full YAML sits beside them."""
    demand = sc.get("demand", {})
    rows = [("Crisis calls per day", f"{demand.get('crisis_calls_per_day', 0):g}"),
            ("Call types", _pct({k: v.get("share", 0) for k, v in demand.get("call_types", {}).items()})),
            ("Resolved by phone", _pct(demand.get("phone_resolution", {})))]
    if demand.get("repeat"):
        r = demand["repeat"]
        groups = "".join(f"; {g['share']:.0%} of people ({name.replace('_', ' ')}) {g['probability']:.0%}"
                         for name, g in r.get("groups", {}).items())
        lasts = f" (for {r['linkage_lasts_days']:g} days)" if r.get("linkage_lasts_days") else ""
        rows.append(("Repeat crises", f"{r['probability']:.0%} within {r['within_days']:g} days{groups}; "
                                      f"{r.get('reduction_if_linked', 0):.0%} fewer when linked to services{lasts}"))
    if demand.get("other_police_calls"):
        o = demand["other_police_calls"]
        rows.append(("Other police calls per day", f"{o['per_day']:g}, on scene {dist_words(o['on_scene_min'])}"))
    try:
        scenario = Scenario.model_validate(sc)
    except ValueError:  # a results folder from an older version: show what it can
        scenario = None
    geography = scenario.geography if scenario is not None else None
    if geography is not None:
        rows.append(("Geography", _geography_words(geography)))
    teams = sc.get("teams", {})
    # a follow-up-only team has neither a time on scene for calls nor outcomes of its own (its visits are
    # described below); a folder from an older version that no longer validates shows every team
    answering = set(scenario.answering_teams()) if scenario is not None else set(teams)
    for team_id, team in teams.items():
        label = team.get("label") or team_id
        if team_id not in answering:
            continue
        if geography is not None:
            turnout = team.get("turnout_min")
            travel = (f"turnout {dist_words(turnout)} + travel from the unit's base" if turnout else
                      "travel from the unit's base")
        else:
            travel = dist_words(team.get("response_min", {}))
        rows.append((f"{label}: travel / on scene (min)", f"{travel} / {dist_words(team.get('on_scene_min') or {})}"))
        if scenario is not None:
            chances = mix_average(scenario, team_id)
            force, injury = chances.pop("use_of_force"), chances.pop("injury")
            rows.append((f"{label}: outcomes (over the call mix)",
                         _pct(chances) + f"; use of force {force:.1%}, injury {injury:.1%}"))
        if team.get("backup"):
            b = team["backup"]
            chance = (f"{b['probability']:.0%} of calls" if b.get("probability") is not None else
                      ", ".join(f"{r} risk {p:.0%}" for r, p in b.get("probability_by_risk", {}).items()))
            rows.append((f"{label}: backup", f"{_team_label(sc, b['team'])} on {chance}"))
        if team.get("follow_up"):
            rows.append((f"{label}: follow-up", follow_up_words(sc, team["follow_up"])))
    if sc.get("follow_up_phone"):
        rows.append(("Calls resolved by phone: follow-up", follow_up_words(sc, sc["follow_up_phone"])))
    for role_id, role in sc.get("roles", {}).items():
        words = ratio_words(role.get("effects")) + [
            f"{w} on {id_words(t)} calls" for t, e in (role.get("effects_by_type") or {}).items()
            for w in ratio_words(e)]
        if words:
            rows.append((f"{role.get('label') or role_id}: effects (risk ratios)", ", ".join(words)))
    rows.append(("Downstream cost per event (payer)", _costs_words(sc.get("costs", {}))))
    return rows


def _costs_words(costs: dict) -> str:
    """`arrest 2,500 (justice), ...`; reads both the 0.1 form (a number) and {cost, payer}."""
    parts = []
    for event, item in costs.items():
        if isinstance(item, dict) and item.get("cost"):
            parts.append(f"{id_words(event)} {item['cost']:,.0f} ({item.get('payer', '').replace('_', ' ')})")
        elif isinstance(item, (int, float)) and item and event != "police_hour_value":
            parts.append(f"{id_words(event)} {item:,.0f}")
    if costs.get("police_hour_value"):
        parts.append(f"police time valued at {costs['police_hour_value']:,.0f} an hour")
    return ", ".join(parts) or "none"


def follow_up_words(sc: dict, f: dict) -> str:
    """A follow-up program in words: who, when, how often, and what reaching the person does."""
    text = f"{f['probability']:.0%} of calls, due {f['after_hours']:g} h later"
    if f.get("by"):
        text += f", by {_team_label(sc, f['by'])}"
    if f.get("hours"):
        text += ", " + "; ".join(f"{_days(h['days'])} {h['start']}–{h['end']}" for h in f["hours"])
    attempts = f.get("attempts", 1)
    if attempts > 1 or f.get("contact", 1) < 1:
        text += (f"; up to {attempts} attempt{'s' if attempts > 1 else ''} {f.get('interval_hours', 24):g} h apart, "
                 f"each reaching the person {f.get('contact', 1):.0%} of the time")
    return text + f"; reaching them links {f['links']:.0%} to services"


def scenario_summaries(results: SavedResults, names: list[str]) -> list[dict]:
    """The scenarios in plain words: description, teams (kind, members, hours, cost) and routing."""
    out = []
    for name in names:
        sc = results.scenarios.get(name, {})
        teams = []
        for team_id, team in sc.get("teams", {}).items():
            teams.append({
                "label": team.get("label") or team_id,
                "kind": KIND_WORDS.get(team.get("kind", ""), team.get("kind", "")),
                "members": " + ".join(team.get("members", [])),
                "staffing": staffing_words(team),
                "unit_hours_per_week": f"{unit_hours_per_week(team):,.0f}",
                "cost_per_unit_hour": f"{team.get('cost_per_unit_hour', 0):,.0f}",
            })
        out.append({
            "name": name, "label": results.label(name), "description": sc.get("description", ""),
            "teams": teams, "routing": routing_words(sc), "assumptions": assumptions(sc),
            "yaml": yaml.safe_dump(sc, sort_keys=False, allow_unicode=True),
        })
    return out


def question(results: SavedResults, names: list[str]) -> str:
    """The question a comparison answers, in the scenarios' own words."""
    baseline = results.manifest.get("baseline") or names[0]
    others = [results.label(n) for n in names if n != baseline]
    if not others:
        return (f"What happens to people in crisis, to response times, police time and cost under "
                f"“{results.label(baseline)}”?")
    alternatives = " or ".join(f"“{o}”" for o in others)
    return (f"Compared with “{results.label(baseline)}”, what would {alternatives} change for people in crisis, "
            f"for how fast help arrives, for police time and for cost?")


def _embedded_charts(folder: Path) -> list[dict]:
    charts = []
    for chart in CHARTS + ZONE_CHARTS + tuple(c for c in EXTRA_CHARTS if c.stem != adds_chart.STEM):
        png = folder / "figures" / f"{chart.stem}.png"
        if png.exists():
            charts.append({"title": chart.title, "stem": chart.stem, "src": png_src(png),
                           "what": chart_summary(chart.draw)})
    return charts + _what_each_adds(folder)


def _what_each_adds(folder: Path) -> list[dict]:
    """The take-one-away chart, when drawn, with what each piece adds in plain words as its caption."""
    png = folder / "figures" / f"{adds_chart.STEM}.png"
    if not png.exists():
        return []
    words = " ".join(adds_chart.what_each_adds_words(load_results(folder)))
    return [{"title": adds_chart.TITLE, "stem": adds_chart.STEM, "src": png_src(png),
             "what": words or adds_chart.TITLE}]


def _charts_missing(folder: Path) -> bool:
    compared = (folder / "comparison.csv").exists()  # one scenario: no difference chart to wait for
    return any(not (folder / "figures" / f"{c.stem}.png").exists() for c in CHARTS if compared or c.stem != "difference")


def render_report(results: SavedResults) -> str:
    """The report as one HTML string (charts must already be in `figures/`)."""
    man = results.manifest
    names = [s["name"] for s in man["scenarios"]]
    paired = {s["name"]: s.get("paired_with_baseline", True) for s in man["scenarios"]}
    return render_page(
        "report.html.j2",
        manifest=man,
        labels=[results.label(n) for n in names],
        baseline_label=results.label(man.get("baseline") or names[0]),
        question=question(results, names),
        scenarios=scenario_summaries(results, names),
        headline=headline_rows(results, names),
        givens=givens(results, names),
        has_comparison=results.comparison is not None,
        charts=_embedded_charts(results.folder),
        unpaired=[results.label(n) for n in names if not paired.get(n, True)],
        days=float(man["days"]),
        per_year=DAYS_PER_YEAR / float(man["days"]) != 1,
    )


def write_report(folder: str | Path, style: str = "talk") -> Path:
    """Write `<folder>/report.html`, drawing the charts first if `figures/` lacks any of them."""
    get_style(style)
    folder = Path(folder)
    results = load_results(folder)
    if _charts_missing(folder):
        draw_all(folder, style=style)
    return write_page(folder, render_report(results))
