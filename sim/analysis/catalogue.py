"""The metric catalogue: every metric once, with its words, unit and direction.

Tables, charts, the report, the command line and `docs/metrics.md` read metrics from here, so
adding a metric is one entry below plus its computation (`sim/analysis/metrics.py`). A test
checks that every metric a replication produces is catalogued and that `docs/metrics.md`
holds the tables `metrics_markdown()` writes (`make docs` rewrites them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "minutes", "hours", "share", "money"]
Scope = Literal["system", "team", "zone"]


@dataclass(frozen=True)
class Metric:
    """One metric: what it is called, what it measures and how to show it."""

    name: str
    label: str                      # plain words for charts and tables, with the unit where it helps
    unit: Unit
    higher_is_better: bool | None   # None: neither (volumes, costs a user weighs themselves)
    scopes: tuple[Scope, ...]       # where it appears: system-wide, per team, per zone
    definition: str                 # for docs/metrics.md
    per_period: bool = False        # a total over the measured period (scaled to a year in the report)
    short: str = ""                 # a narrow label for console tables; defaults to `label`
    team_definition: str = ""       # when the per-team meaning differs from the system-wide one
    in_docs: bool = True            # False for members of a family documented once (other_p{k}_...)

    @property
    def short_label(self) -> str:
        return self.short or self.label


def _m(name, label, unit, better, scopes, definition, **kw) -> Metric:
    return Metric(name, label, unit, better, tuple(scopes), definition, **kw)


SYS, TEAM = ("system",), ("team",)

_CATALOGUE = (
    _m("calls", "Crisis calls", "count", None, SYS, "crisis calls, first crises and repeats", per_period=True),
    _m("resolved_by_phone", "Calls resolved by phone", "count", None, SYS,
       "calls settled by phone (`demand.phone_resolution`), no unit sent", per_period=True, short="By phone"),
    _m("dispatched", "Calls with a unit sent", "count", None, SYS, "calls a unit was assigned to", per_period=True,
       short="Dispatched"),
    _m("unserved", "Calls still waiting at the end", "count", False, SYS,
       "calls still waiting for a unit at the horizon (a stock, not a flow: never scaled to a year)",
       short="Unserved"),
    _m("wait_min_mean", "Average wait for a unit (min)", "minutes", False, SYS,
       "mean time from the call to a unit being assigned, over dispatched calls", short="Wait, mean (min)"),
    _m("response_min_mean", "Average response time (min)", "minutes", False, ("system", "team"),
       "time from the call to the first unit on scene (wait + travel), mean over dispatched calls",
       short="Response, mean (min)", team_definition="response time of the calls this team handled, mean"),
    _m("response_min_median", "Median response time (min)", "minutes", False, SYS,
       "median of the response time over dispatched calls", short="Response, median (min)"),
    _m("response_min_p90", "90% of calls reached within (min)", "minutes", False, ("system", "team"),
       "90th percentile of the response time over dispatched calls", short="Response, p90 (min)",
       team_definition="90th percentile response time of the calls this team handled"),
    _m("fallback_share", "Calls the first-choice team could not take", "share", False, SYS,
       "share of dispatched calls not handled by the first team of their routing rule (it was busy past "
       "`max_wait_min`, or nobody was on shift)", short="Fallback share"),
    _m("police_on_scene_share", "Calls with police on scene", "share", None, SYS,
       "share of dispatched calls with police on scene: handled by a police or co-responder team, or a police "
       "backup that arrived before the call cleared", short="Police on scene"),
    _m("arrests", "Arrests", "count", False, SYS, "calls ending in arrest", per_period=True),
    _m("involuntary_holds", "Involuntary holds", "count", False, SYS, "calls ending in an involuntary hold",
       per_period=True, short="Holds"),
    _m("ed_transports", "Emergency department transports", "count", False, SYS,
       "calls ending in a transport to an emergency department", per_period=True, short="ED transports"),
    _m("crisis_center", "Crisis centre drop-offs", "count", None, SYS, "calls ending at a crisis centre",
       per_period=True, short="Crisis centre"),
    _m("linked_to_services", "People linked to services", "count", True, SYS,
       "calls whose person was linked to services, on scene or at a follow-up visit", per_period=True,
       short="Linked"),
    _m("use_of_force", "Uses of force", "count", False, SYS,
       "encounters with use of force (the handling team's chance; a police backup on scene adds its own)",
       per_period=True),
    _m("injuries", "Injuries", "count", False, SYS,
       "encounters with an injury (the handling team's chance; a police backup on scene adds its own)",
       per_period=True),
    _m("follow_ups", "Calls followed up", "count", None, SYS,
       "calls that got at least one follow-up attempt before the horizon", per_period=True),
    _m("follow_ups_due", "Follow-ups due", "count", None, SYS,
       "calls given a follow-up whose first attempt fell due before the horizon (attempted or still waiting)",
       per_period=True),
    _m("follow_up_attempts", "Follow-up attempts", "count", None, SYS,
       "follow-up attempts made, reached or not (the programs' workload)", per_period=True),
    _m("follow_ups_reached", "Follow-ups that reached the person", "count", True, SYS,
       "calls whose person a follow-up attempt reached", per_period=True, short="Follow-ups reached"),
    _m("follow_ups_linked", "People linked at a follow-up", "count", True, SYS,
       "calls whose person a follow-up attempt linked to services", per_period=True, short="Linked at follow-up"),
    _m("police_contacts", "Crisis calls with police on scene", "count", False, SYS,
       "calls with police on scene (a count: fewer repeat crises mean fewer police contacts at the same share)",
       per_period=True, short="Police contacts"),
    _m("repeat_calls", "Repeat crisis calls", "count", False, SYS, "calls that are a repeat crisis of an earlier call",
       per_period=True, short="Repeats"),
    _m("police_hours_crisis", "Police hours on crisis calls", "hours", False, SYS,
       "hours police and co-responder units spent on crisis calls (handling, extra units, backup, follow-up): "
       "`patrol_hours_crisis` + `specialist_hours_crisis`", per_period=True,
       short="Police hours (crisis)"),
    _m("patrol_hours_crisis", "Patrol hours on crisis calls", "hours", False, SYS,
       "hours units of kind police spent on crisis calls (handling, extra units, backup, follow-up)",
       per_period=True, short="Patrol hours (crisis)"),
    _m("specialist_hours_crisis", "Co-responder officer hours on crisis calls", "hours", None, SYS,
       "hours co-responder units (an officer on board) spent on crisis calls; `police_hours_crisis` = patrol + "
       "specialist", per_period=True, short="Specialist hours (crisis)"),
    _m("units_per_call_mean", "Units per call", "count", None, ("system", "team"),
       "units sent to a dispatched call (the handling unit plus extra units of a multi-unit call), mean",
       short="Units per call", team_definition="units per call of the calls this team handled, mean"),
    _m("backup_share", "Calls with backup requested", "share", None, SYS,
       "share of dispatched calls whose team asked for backup on arrival", short="Backup share"),
    _m("backup_response_min_mean", "Backup response time (min)", "minutes", False, ("system", "team"),
       "time from the request on scene to the backup unit on scene, mean over backups that arrived",
       short="Backup response (min)", team_definition="backup response time for calls this team handled, mean"),
    _m("other_calls", "Other police calls", "count", None, SYS,
       "non-crisis police calls arriving after the warm-up", per_period=True),
    _m("other_unserved", "Other police calls still waiting at the end", "count", False, SYS,
       "other police calls still waiting for a unit at the horizon (a stock)", short="Other calls unserved"),
    _m("other_wait_min_mean", "Other police calls: average wait (min)", "minutes", False, SYS,
       "time from an other police call to a unit being assigned, mean; `other_p{k}_...` by queue priority k",
       short="Other wait, mean (min)"),
    _m("other_wait_min_p90", "Other police calls: 90% assigned within (min)", "minutes", False, SYS,
       "90th percentile of the wait of other police calls", short="Other wait, p90 (min)"),
    _m("other_response_min_mean", "Other police calls: average response (min)", "minutes", False, SYS,
       "time from an other police call to a unit on scene (wait + travel), mean", short="Other response, mean (min)"),
    _m("other_response_min_p90", "Other police calls: 90% reached within (min)", "minutes", False, SYS,
       "90th percentile of the response time of other police calls", short="Other response, p90 (min)"),
    _m("cost_staffing", "Staffing cost, all teams", "money", None, SYS,
       "every team's cost (`cost_team`, police included)", per_period=True, short="Staffing cost"),
    _m("cost_downstream", "Downstream cost (arrests, holds, transports)", "money", False, SYS,
       "every payer's downstream cost: events (dispositions, linkages, follow-ups) × `costs`", per_period=True,
       short="Downstream cost"),
    _m("cost_total", "Total cost, all payers", "money", False, SYS,
       "the all-payer figure: `cost_staffing` + `cost_downstream`, whoever pays", per_period=True,
       short="Total cost"),
    _m("cost_per_call", "Cost per call", "money", False, SYS, "`cost_total` per crisis call"),
    _m("cost_new_teams", "New teams' cost (the city's new budget line)", "money", None, SYS,
       "the cost of the teams that are not police (co-responder and civilian)", per_period=True,
       short="New teams' cost"),
    _m("cost_city", "Cost to the city", "money", False, SYS,
       "the city's own cost: `cost_staffing` plus downstream costs whose payer is `city` or `police`",
       per_period=True),
    _m("cost_downstream_justice", "Downstream cost: justice", "money", False, SYS,
       "downstream costs paid by the justice system (by default arrests); one metric per payer named in `costs`",
       per_period=True, short="Justice"),
    _m("cost_downstream_health", "Downstream cost: health care", "money", False, SYS,
       "downstream costs paid by health care (by default involuntary holds and ED transports)", per_period=True,
       short="Health care"),
    _m("cost_downstream_behavioral_health", "Downstream cost: behavioral health", "money", None, SYS,
       "downstream costs paid by behavioral-health services (by default crisis-centre visits and linkage)",
       per_period=True, short="Behavioral health"),
    _m("cost_downstream_city", "Downstream cost: city", "money", False, SYS,
       "downstream costs paid by the city (by default follow-up expenses)", per_period=True, short="City"),
    _m("cost_downstream_police", "Downstream cost: police", "money", False, SYS,
       "downstream costs a scenario assigns to the police budget", per_period=True, short="Police"),
    _m("police_time_value", "Value of police time on crisis calls", "money", None, SYS,
       "only when `costs.police_hour_value` is given: `police_hours_crisis` × that price; never added to a cost "
       "total, since police pay is already in `cost_staffing` (docs/costs.md)", per_period=True,
       short="Police time value"),
    _m("handled", "Calls handled", "count", None, TEAM, "dispatched calls this team handled", per_period=True),
    _m("handled_share", "Share of calls handled", "share", None, TEAM, "`handled` / all dispatched calls",
       short="Handled share"),
    _m("utilization", "Time busy (share of staffed hours)", "share", None, TEAM,
       "busy unit-hours / staffed unit-hours (scheduled plus overtime); busy time includes other police calls, "
       "backup and follow-ups", short="Utilisation"),
    _m("backup_requests", "Police backup requests", "count", False, TEAM,
       "calls handled by this team that asked for backup", per_period=True, short="Backup requests"),
    _m("overtime_hours", "Overtime hours", "hours", False, TEAM,
       "unit-hours worked past the end of a shift to finish a call", per_period=True),
    _m("eligible_calls", "Calls routed to the team first", "count", None, TEAM,
       "calls whose routing rule names this team first (not settled by phone)", per_period=True,
       short="Eligible calls"),
    _m("cost_team", "Team cost (its budget line)", "money", None, TEAM,
       "staffed unit-hours × unit-hour cost × (1 + `overhead`) + overtime hours at `overtime_cost_per_unit_hour` "
       "(default: the loaded rate) + `fixed_per_year` × days / 365", per_period=True, short="Team cost"),
    _m("cost_per_call_handled", "Team cost per call handled", "money", False, TEAM, "`cost_team` / `handled`",
       short="Cost per call"),
    _m("eligible_reached_share", "Share of its calls the team reached", "share", True, TEAM,
       "share of `eligible_calls` this team handled: the coverage of the calls it exists for (eligible calls that "
       "went to police, or were never served, count against it)", short="Eligible reached"),
)



def _by_priority(base: Metric, k: int) -> Metric:
    """An other-police-call metric for queue priority k (`other_p{k}_...`), from its all-priority entry."""
    name = base.name.replace("other_", f"other_p{k}_", 1)
    return Metric(name, base.label.replace("Other police calls", f"Priority-{k} police calls"), base.unit,
                  base.higher_is_better, base.scopes, f"{base.definition} (priority {k} only)", base.per_period,
                  base.short_label.replace("Other", f"P{k}"), in_docs=False)


OTHER_BY_PRIORITY = ("calls", "unserved", "wait_min_mean", "wait_min_p90", "response_min_mean", "response_min_p90")
"""Other police calls' metrics also given per queue priority k = 1..9 as other_p{k}_<metric>."""
_CATALOGUE += tuple(_by_priority(m, k) for k in range(1, 10) for m in _CATALOGUE
                    if m.name in {f"other_{b}" for b in OTHER_BY_PRIORITY})

METRICS: dict[str, Metric] = {m.name: m for m in _CATALOGUE}
SYSTEM_METRICS = tuple(m.name for m in _CATALOGUE if "system" in m.scopes)
TEAM_METRICS = tuple(m.name for m in _CATALOGUE if "team" in m.scopes)
ZONE_METRICS = tuple(m.name for m in _CATALOGUE if "zone" in m.scopes)
# the table `run` prints and the report leads with, in this order
HEADLINE_METRICS = (
    "calls", "response_min_mean", "response_min_p90", "fallback_share", "police_on_scene_share", "arrests",
    "involuntary_holds", "linked_to_services", "police_hours_crisis", "cost_total", "unserved",
)


def metric(name: str) -> Metric:
    """The catalogue entry for a metric; an uncatalogued name gets a plain-words stand-in."""
    found = METRICS.get(name)
    if found is not None:
        return found
    unit: Unit = ("share" if name.endswith("_share") else "money" if name.startswith("cost") else
                  "minutes" if "_min" in name else "hours" if "hours" in name else "count")
    words = name.replace("_min", " (min)").replace("_", " ")
    return Metric(name, words[:1].upper() + words[1:], unit, None, SYS, "")


def label(name: str, team_label: str | None = None) -> str:
    """Plain words for a metric, naming the team for a per-team metric."""
    text = metric(name).label
    return f"{text}: {team_label}" if team_label else text


def _table(scope: Scope) -> str:
    lines = ["| metric | label | unit | better | definition |", "|---|---|---|---|---|"]
    for m in _CATALOGUE:
        if scope not in m.scopes or not m.in_docs:
            continue
        better = {True: "higher", False: "lower", None: "–"}[m.higher_is_better]
        definition = m.team_definition if scope == "team" and m.team_definition else m.definition
        lines.append(f"| `{m.name}` | {m.label} | {m.unit} | {better} | {definition} |")
    return "\n".join(lines)


_BLOCK = re.compile(r"(<!-- catalogue:(\w+) -->\n).*?(<!-- /catalogue -->)", re.S)


def metrics_markdown(text: str) -> str:
    """`text` (docs/metrics.md) with each `<!-- catalogue:SCOPE -->` block rewritten from the catalogue."""
    return _BLOCK.sub(lambda m: f"{m.group(1)}{_table(m.group(2))}\n{m.group(3)}", text)


def write_metrics_doc(path: str = "docs/metrics.md") -> None:
    """`make docs`: rewrite the catalogue tables in docs/metrics.md."""
    import pathlib

    doc = pathlib.Path(path)
    doc.write_text(metrics_markdown(doc.read_text(encoding="utf-8")), encoding="utf-8")
