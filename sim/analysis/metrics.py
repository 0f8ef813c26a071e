"""Metrics of one replication, computed from its event log after the warm-up.

Names, labels and units live in the catalogue (`sim/analysis/catalogue.py`); this module only
computes values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.memory import give_back
from ..engine.eventlog import CRISIS_JOB_KINDS, OTHER, EventLog
from ..scenario.schema import Scenario
from .catalogue import HEADLINE_METRICS, SYSTEM_METRICS, TEAM_METRICS  # noqa: F401  (re-exported)
from .costs import TeamHours, cost_rows, payer_metric
from .followups import follow_up_metrics
from .tables import busy_integral, calls_table, police_teams, staffed_integral


def system_metrics(scenario: Scenario) -> tuple[str, ...]:
    """Every system-wide metric a scenario's results have: the catalogue's, one cost_downstream_<payer> per
    payer its `costs` name (the usual payers are catalogued; others get plain-words stand-ins), and
    police_time_value only when police time is priced."""
    extra = tuple(m for m in (payer_metric(p) for p in scenario.costs.payers()) if m not in SYSTEM_METRICS)
    base = SYSTEM_METRICS if scenario.costs.police_hour_value is not None else \
        tuple(m for m in SYSTEM_METRICS if m != "police_time_value")
    return base + extra


_DISPOSITION_COUNTS = {
    "arrests": "arrest", "involuntary_holds": "involuntary_hold", "ed_transports": "ed_transport",
    "crisis_center": "crisis_center",
}


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def _quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else float("nan")


def _job_hours(assigned, cleared, mask) -> float:
    """Hours the jobs selected by `mask` took, from assignment to clearing (clipped to the window)."""
    return float(np.sum(cleared[mask] - assigned[mask])) / 60


def other_call_rows(log: EventLog, scenario: Scenario, jobs: dict, kind: np.ndarray) -> list[tuple[str, str, float]]:
    """Other police calls arriving after the warm-up: waits and response times (all, and by priority)
    of those a unit took, and those still waiting at the horizon."""
    other = kind == OTHER
    if not other.any():
        return []
    other &= jobs["requested_min"] >= log.warmup_min  # the same rows as [other][keep], one selection
    # one jobs-long array at a time: the selections are new arrays, so subtracting in place changes no value
    requested = jobs["requested_min"][other]
    wait = jobs["assigned_min"][other]
    wait -= requested
    response = jobs["on_scene_min"][other]
    response -= requested
    served = len(requested)
    priority = jobs["priority"][other]  # narrow (int8): compared only
    del other, requested
    waiting = log.table("waiting")
    w_other = (waiting["kind"] == OTHER) & (waiting["requested_min"] >= log.warmup_min) if len(
        waiting["kind"]) else np.zeros(0, bool)
    w_priority = waiting["priority"][w_other].astype(np.int64) if w_other.any() else np.zeros(0, np.int64)
    out = [("other_calls", "", float(served + w_other.sum())), ("other_unserved", "", float(w_other.sum())),
           ("other_wait_min_mean", "", _mean(wait)), ("other_wait_min_p90", "", _quantile(wait, 0.9)),
           ("other_response_min_mean", "", _mean(response)), ("other_response_min_p90", "", _quantile(response, 0.9))]
    levels = list(scenario.demand.other_police_calls.priority_shares())
    if len(levels) > 1:
        for k in levels:
            p = priority == k
            unserved = float((w_priority == k).sum())
            out += [(f"other_p{k}_calls", "", float(p.sum()) + unserved), (f"other_p{k}_unserved", "", unserved),
                    (f"other_p{k}_wait_min_mean", "", _mean(wait[p])),
                    (f"other_p{k}_wait_min_p90", "", _quantile(wait[p], 0.9)),
                    (f"other_p{k}_response_min_mean", "", _mean(response[p])),
                    (f"other_p{k}_response_min_p90", "", _quantile(response[p], 0.9))]
    return out


def replication_tables(log: EventLog, scenario: Scenario, replication: int) -> dict[str, pd.DataFrame]:
    """Everything one replication contributes to the results: calls, summary and hourly tables."""
    calls = calls_table(log, scenario, replication)
    jobs = log.table("jobs")
    staffing = log.table("staffing")
    overtime = log.table("overtime")
    lo, hi = log.warmup_min, log.horizon_min
    rows: list[tuple[str, str, float]] = []
    add = lambda metric, value, team="": rows.append((metric, team, float(value)))  # noqa: E731

    # the columns the metrics below read, for the calls a unit took (not a copy of the whole table)
    dispatched = calls.loc[calls["team"] != "", ["team", "first_choice", "response_min", "wait_min", "police_on_scene",
                                                 "units", "backup", "backup_response_min"]]
    n_calls = len(calls)
    add("calls", n_calls)
    add("resolved_by_phone", int((calls["disposition"] == "resolved_by_phone").sum()))
    add("dispatched", len(dispatched))
    add("unserved", int((calls["disposition"] == "unserved").sum()))
    response = dispatched["response_min"].to_numpy()
    add("wait_min_mean", _mean(dispatched["wait_min"].to_numpy()))
    add("response_min_mean", _mean(response))
    add("response_min_median", _quantile(response, 0.5))
    add("response_min_p90", _quantile(response, 0.9))
    n_disp = max(len(dispatched), 1)
    add("fallback_share", (dispatched["team"] != dispatched["first_choice"]).sum() / n_disp if len(dispatched) else np.nan)
    add("police_on_scene_share", dispatched["police_on_scene"].mean() if len(dispatched) else np.nan)
    disp_counts = calls["disposition"].value_counts()
    for metric, disp in _DISPOSITION_COUNTS.items():
        add(metric, int(disp_counts.get(disp, 0)))
    add("linked_to_services", int(calls["linked"].sum()))
    add("use_of_force", int(calls["use_of_force"].sum()))
    add("injuries", int(calls["injury"].sum()))
    add("follow_ups", int(calls["follow_up"].sum()))
    for metric, value in follow_up_metrics(log, calls["call_id"].to_numpy()):
        add(metric, value)
    add("police_contacts", int(calls["police_on_scene"].sum()))
    add("repeat_calls", int(calls["is_repeat"].sum()))

    # the log's own columns where their type is already right (no copy of the whole jobs table)
    kind = jobs["kind"] if len(jobs["kind"]) else np.zeros(0, np.int8)  # narrow: compared and indexed with only
    job_team = jobs["team"] if len(kind) else np.zeros(0, np.int16)
    assigned = np.asarray(jobs["assigned_min"], dtype=float) if len(kind) else np.zeros(0)
    cleared = np.minimum(np.asarray(jobs["clear_min"], dtype=float), hi) if len(kind) else np.zeros(0)
    team_names = log.team_names
    police_team = police_teams(scenario, team_names)
    crisis_job = np.isin(kind, CRISIS_JOB_KINDS)
    in_window_call = np.zeros(len(kind), bool)
    if crisis_job.any():
        in_window_call[crisis_job] = np.isin(jobs["call_id"][crisis_job].astype(np.int64), calls["call_id"].to_numpy())
    police_crisis = crisis_job & in_window_call & police_team[job_team] if len(kind) else np.zeros(0, bool)
    # patrol (teams of kind police) and specialist (co-responder officers) hours; police_hours_crisis is their sum
    specialist_team = np.array([scenario.teams[t].kind == "co_responder" for t in team_names], dtype=bool)
    specialist = police_crisis & specialist_team[job_team] if len(kind) else np.zeros(0, bool)
    add("police_hours_crisis", _job_hours(assigned, cleared, police_crisis))
    add("patrol_hours_crisis", _job_hours(assigned, cleared, police_crisis & ~specialist))
    add("specialist_hours_crisis", _job_hours(assigned, cleared, specialist))
    add("units_per_call_mean", _mean(dispatched["units"].to_numpy()))
    add("backup_share", dispatched["backup"].mean() if len(dispatched) else np.nan)
    add("backup_response_min_mean", _mean(dispatched["backup_response_min"].dropna().to_numpy()))
    rows += other_call_rows(log, scenario, jobs, kind)

    hours = np.arange(np.ceil(lo / 60) * 60, hi + 1e-9, 60.0)
    grid = np.unique(np.concatenate([[lo], hours, [hi]]))
    hourly_rows = []
    team_hours: dict[str, TeamHours] = {}
    team_rows: list[tuple[str, str, float]] = []
    st_team = staffing["team"].astype(np.int64) if len(staffing["team"]) else np.zeros(0, np.int64)
    ot_team = overtime["team"].astype(np.int64) if len(overtime["team"]) else np.zeros(0, np.int64)
    for i, name in enumerate(team_names):
        mine = job_team == i
        starts, ends = assigned[mine], cleared[mine]
        np.maximum(ends, starts, out=ends)
        busy_cum = busy_integral(starts, ends, grid)
        del starts, ends
        sel = st_team == i
        staffed_cum = staffed_integral(staffing["time_min"][sel], staffing["on_shift"][sel], grid)
        busy_h = (busy_cum[-1] - busy_cum[0]) / 60
        staffed_h = (staffed_cum[-1] - staffed_cum[0]) / 60
        o = ot_team == i
        ot_h = float(np.sum(np.clip(overtime["end_min"][o], lo, hi) - np.clip(overtime["start_min"][o], lo, hi))) / 60
        handled = dispatched[dispatched["team"] == name]
        team_hours[name] = TeamHours(staffed_h, ot_h, len(handled))
        eligible = calls.loc[(calls["first_choice"] == name) & (calls["disposition"] != "resolved_by_phone"), ["team"]]
        team_rows += [
            ("handled", name, float(len(handled))),
            ("handled_share", name, len(handled) / len(dispatched) if len(dispatched) else np.nan),
            # overtime is paid staffed time too, so busy time never exceeds the denominator
            ("utilization", name, busy_h / (staffed_h + ot_h) if staffed_h + ot_h > 0 else np.nan),
            ("response_min_mean", name, _mean(handled["response_min"].to_numpy())),
            ("response_min_p90", name, _quantile(handled["response_min"].to_numpy(), 0.9)),
            ("backup_requests", name, float(handled["backup"].sum())),
            ("backup_response_min_mean", name, _mean(handled["backup_response_min"].dropna().to_numpy())),
            ("units_per_call_mean", name, _mean(handled["units"].to_numpy())),
            ("overtime_hours", name, ot_h),
            # the coverage gap: calls routed to this team first (not settled by phone) and the share it took,
            # so eligible calls that went to police or were never served show up instead of disappearing
            ("eligible_calls", name, float(len(eligible))),
            ("eligible_reached_share", name, (eligible["team"] == name).mean() if len(eligible) else np.nan),
        ]
        # busy and staffed hours by hour of day, for the utilisation-by-hour chart
        hour_of_day = ((grid[:-1] // 60) % 24).astype(np.int64)
        busy_by = np.bincount(hour_of_day, weights=np.diff(busy_cum), minlength=24) / 60
        staffed_by = np.bincount(hour_of_day, weights=np.diff(staffed_cum), minlength=24) / 60
        hourly_rows += [(name, h, busy_by[h], staffed_by[h]) for h in range(24)]

    events = {d: int(disp_counts.get(d, 0)) for d in ("arrest", "involuntary_hold", "ed_transport", "crisis_center")}
    events["linked_to_services"] = int(calls["linked"].sum())
    events["follow_up"] = int(calls["follow_up"].sum())
    police_hours = next(v for m, _, v in rows if m == "police_hours_crisis")
    costs = cost_rows(scenario, team_hours, events, police_hours, (hi - lo) / (24 * 60), n_calls)
    rows += [r for r in costs if not r[1]]
    rows += team_rows + [r for r in costs if r[1]]

    summary = pd.DataFrame(rows, columns=["metric", "team", "value"])
    summary.insert(2, "zone", "")
    if log.zone_names:
        summary = pd.concat([summary, zone_rows(calls, log.zone_names)], ignore_index=True)
    summary.insert(0, "replication", replication)
    summary.insert(0, "scenario", scenario.name)
    hourly = pd.DataFrame(hourly_rows, columns=["team", "hour", "busy_hours", "staffed_hours"])
    hourly.insert(0, "replication", replication)
    hourly.insert(0, "scenario", scenario.name)
    del cleared, crisis_job, in_window_call, police_crisis, specialist  # the jobs-long temporaries, before units
    give_back()  # what they held, before the units' arrays (the peak of a long replication is here)
    units = units_table(log, scenario, replication, busy_cutoff=(lo, hi))
    return {"calls": calls, "summary": summary, "hourly": hourly, "units": units}


def zone_rows(calls: pd.DataFrame, zone_names: list[str]) -> pd.DataFrame:
    """Per-zone summary rows (team empty): calls, response time mean, median and p90, police on scene, fallback."""
    rows = []
    for zone in zone_names:
        mine = calls.loc[calls["zone"] == zone, ["team", "first_choice", "response_min", "police_on_scene"]]
        sent = mine[mine["team"] != ""]
        response = sent["response_min"].to_numpy()
        rows += [
            ("calls", "", zone, float(len(mine))),
            ("response_min_mean", "", zone, _mean(response)),
            ("response_min_median", "", zone, _quantile(response, 0.5)),
            ("response_min_p90", "", zone, _quantile(response, 0.9)),
            ("police_on_scene_share", "", zone, sent["police_on_scene"].mean() if len(sent) else np.nan),
            ("fallback_share", "", zone, (sent["team"] != sent["first_choice"]).mean() if len(sent) else np.nan),
        ]
    return pd.DataFrame(rows, columns=["metric", "team", "zone", "value"])


def units_table(log: EventLog, scenario: Scenario, replication: int, busy_cutoff: tuple[float, float]) -> pd.DataFrame:
    """units.csv rows: per unit, its base zone, hours on duty (overtime included), busy hours and jobs
    started, after the warm-up."""
    lo, hi = busy_cutoff
    duty = log.table("duty")
    jobs = log.table("jobs")
    rows = []
    for t, name in enumerate(log.team_names):
        on = duty["team"] == t if len(duty["team"]) else np.zeros(0, bool)
        mine = jobs["team"] == t if len(jobs["team"]) else np.zeros(0, bool)
        d_unit = duty["unit"][on].astype(np.int64) if on.any() else np.zeros(0, np.int64)
        j_unit = np.asarray(jobs["unit"][mine], dtype=np.int64) if mine.any() else np.zeros(0, np.int64)
        n = int(max(d_unit.max(initial=-1), j_unit.max(initial=-1)) + 1)
        staffed = np.bincount(d_unit, weights=np.clip(duty["end_min"][on], lo, hi) - np.clip(duty["start_min"][on], lo, hi),
                              minlength=n) / 60 if n else np.zeros(0)
        if n:
            busy_min = np.clip(jobs["clear_min"][mine], lo, hi)
            busy_min -= np.clip(jobs["assigned_min"][mine], lo, hi)  # in place: one array less
            busy = np.bincount(j_unit, weights=busy_min, minlength=n) / 60
            del busy_min
        else:
            busy = np.zeros(0)
        started = np.bincount(j_unit[jobs["assigned_min"][mine] >= lo], minlength=n) if n else np.zeros(0, np.int64)
        bases = log.unit_bases[t] if log.unit_bases else []
        for u in range(n):
            base = log.zone_names[bases[u]] if u < len(bases) else ""
            rows.append((name, u, base, float(staffed[u]), float(busy[u]), int(started[u])))
    units = pd.DataFrame(rows, columns=["team", "unit", "base", "staffed_hours", "busy_hours", "jobs"])
    units.insert(0, "replication", replication)
    units.insert(0, "scenario", scenario.name)
    return units
