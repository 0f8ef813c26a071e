"""From an event log to tidy tables: one row per crisis call, and busy/staffed time functions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.eventlog import BACKUP, EXTRA, FOLLOW_UP, NO_DISPOSITION, PRIMARY, EventLog
from ..scenario.schema import DISPOSITIONS, RISKS, Scenario

CALL_TABLE_COLUMNS = (
    "scenario", "replication", "call_id", "person_id", "arrival_min", "call_type", "risk", "is_repeat",
    "first_choice", "team", "wait_min", "response_min", "disposition", "police_on_scene", "backup",
    "use_of_force", "injury", "linked", "follow_up", "coded_risk", "recognised", "units", "backup_response_min",
    "zone", "unit", "unit_base", "travel_min",
)
POLICE_KINDS = ("police", "co_responder")
LINKED = DISPOSITIONS.index("linked_to_services")
DISPOSITION_LABELS = np.array([*DISPOSITIONS, "resolved_on_scene", "resolved_by_phone", "unserved"], dtype=object)


def police_teams(scenario: Scenario, team_names: list[str]) -> np.ndarray:
    """For each team (by index), whether its units put police on scene."""
    return np.array([scenario.teams[t].kind in POLICE_KINDS for t in team_names], dtype=bool)


def calls_table(log: EventLog, scenario: Scenario, replication: int) -> pd.DataFrame:
    """One row per crisis call arriving after the warm-up (DESIGN's calls.parquet columns)."""
    calls = log.table("calls")
    jobs = log.table("jobs")
    keep = calls["arrival_min"] >= log.warmup_min if len(calls["call_id"]) else np.zeros(0, bool)
    call_id = calls["call_id"][keep].astype(np.int64)
    n = len(call_id)
    index = pd.Index(call_id)
    team_names = np.array(log.team_names, dtype=object)
    police_team = police_teams(scenario, log.team_names)

    # the log's own columns where their type is already right (no copy of the whole jobs table)
    kind = jobs["kind"] if len(jobs["kind"]) else np.zeros(0, np.int8)  # narrow: compared only
    job_call = np.asarray(jobs["call_id"], dtype=np.int64) if len(kind) else np.zeros(0, np.int64)

    def rows_of(job_kind: int) -> tuple[np.ndarray, np.ndarray]:
        """(position in this table, job row) for jobs of one kind that belong to these calls."""
        rows = np.flatnonzero(kind == job_kind)
        pos = index.get_indexer(job_call[rows])
        ok = pos >= 0
        return pos[ok], rows[ok]

    team = np.full(n, -1, dtype=np.int64)
    unit = np.full(n, -1, dtype=np.int64)
    travel = np.full(n, np.nan)
    wait = np.full(n, np.nan)
    response = np.full(n, np.nan)
    clear = np.full(n, np.nan)
    disposition = np.full(n, len(DISPOSITIONS) + 2, dtype=np.int64)  # unserved unless found
    force = np.zeros(n, bool)
    injury = np.zeros(n, bool)
    arrival = calls["arrival_min"][keep].astype(float)
    phone = calls["phone"][keep].astype(bool)
    disposition[phone] = len(DISPOSITIONS) + 1

    pos, rows = rows_of(PRIMARY)
    team[pos] = jobs["team"][rows]
    unit[pos] = jobs["unit"][rows]
    travel[pos] = jobs["travel_min"][rows]
    wait[pos] = jobs["assigned_min"][rows] - arrival[pos]
    response[pos] = jobs["on_scene_min"][rows] - arrival[pos]
    clear[pos] = jobs["clear_min"][rows]
    d = jobs["disposition"][rows].astype(np.int64)
    disposition[pos] = np.where(d == NO_DISPOSITION, len(DISPOSITIONS), d)
    force[pos] = jobs["use_of_force"][rows].astype(bool)
    injury[pos] = jobs["injury"][rows].astype(bool)

    police_on_scene = np.zeros(n, bool)
    served = team >= 0
    police_on_scene[served] = police_team[team[served]]
    units = served.astype(np.int64)
    pos, rows = rows_of(EXTRA)
    np.add.at(units, pos, 1)
    pos, rows = rows_of(BACKUP)
    backup_response = np.full(n, np.nan)
    backup_response[pos] = jobs["on_scene_min"][rows] - jobs["requested_min"][rows]
    on_time = jobs["on_scene_min"][rows] < clear[pos]  # a backup that arrives after the call cleared never met anyone
    police_on_scene[pos[on_time & police_team[jobs["team"][rows].astype(np.int64)]]] = True
    force[pos[on_time & jobs["use_of_force"][rows].astype(bool)]] = True
    injury[pos[on_time & jobs["injury"][rows].astype(bool)]] = True
    backup = np.zeros(n, bool)
    backups = log.table("backups")
    if len(backups["call_id"]):
        bpos = index.get_indexer(backups["call_id"].astype(np.int64))
        backup[bpos[bpos >= 0]] = True

    follow_up = np.zeros(n, bool)
    linked = disposition == LINKED
    pos, rows = rows_of(FOLLOW_UP)
    follow_up[pos] = True
    linked[pos[jobs["disposition"][rows] == LINKED]] = True

    zone, unit_base = _places(log, calls["zone"][keep].astype(np.int64) if n else np.zeros(0, np.int64), team, unit)
    type_names = np.array(log.type_names, dtype=object)
    first = calls["first_choice"][keep].astype(np.int64)
    return pd.DataFrame(
        {
            "scenario": scenario.name,
            "replication": np.full(n, replication, dtype=np.int64),
            "call_id": call_id,
            "person_id": calls["person_id"][keep].astype(np.int64),
            "arrival_min": arrival,
            "call_type": type_names[calls["call_type"][keep].astype(np.int64)] if n else np.empty(0, object),
            "risk": np.array(RISKS, dtype=object)[calls["risk"][keep].astype(np.int64)] if n else np.empty(0, object),
            "is_repeat": calls["generation"][keep].astype(np.int64) > 0 if n else np.zeros(0, bool),
            "first_choice": team_names[first] if n else np.empty(0, object),
            "team": np.where(served, team_names[np.maximum(team, 0)] if n else "", ""),
            "wait_min": wait,
            "response_min": response,
            "disposition": DISPOSITION_LABELS[disposition],
            "police_on_scene": police_on_scene,
            "backup": backup,
            "use_of_force": force,
            "injury": injury,
            "linked": linked,
            "follow_up": follow_up,
            "coded_risk": np.array(RISKS, dtype=object)[calls["coded_risk"][keep].astype(np.int64)] if n
            else np.empty(0, object),
            "recognised": calls["recognised"][keep].astype(bool) if n else np.zeros(0, bool),
            "units": units,
            "backup_response_min": backup_response,
            "zone": zone,
            "unit": unit,
            "unit_base": unit_base,
            "travel_min": travel,
        },
        columns=list(CALL_TABLE_COLUMNS),
        copy=False,  # the columns were made here: no second copy of them
    )


def _places(log: EventLog, zone: np.ndarray, team: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zone names of the calls and base-zone names of the units that took them ("" without geography
    or when no unit took the call)."""
    n = len(zone)
    if not log.zone_names:
        return np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    names = np.array([*log.zone_names, ""], dtype=object)  # index -1 reads ""
    base = np.full(n, -1, dtype=np.int64)
    for t, bases in enumerate(log.unit_bases):
        mine = np.flatnonzero(team == t)
        if len(mine) and bases:
            base[mine] = np.asarray(bases, dtype=np.int64)[unit[mine]]
    return names[zone], names[base]


def busy_integral(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Total busy minutes of all intervals [start, end) up to each time in t (exact)."""
    return _started_minutes(starts, t) - _started_minutes(ends, t)


def _started_minutes(times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Sum over the given times of max(0, t - time), at each t (one sorted copy of `times` at a time)."""
    s = np.sort(times)
    n = np.searchsorted(s, t, side="right")
    cs = np.empty(len(s) + 1)
    cs[0] = 0.0
    np.cumsum(s, out=cs[1:])
    del s
    return t * n - cs[n]


def staffed_integral(change_times: np.ndarray, levels: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Staffed unit-minutes up to each time in t, for a step function starting at time 0."""
    if len(change_times) == 0:
        return np.zeros_like(t, dtype=float)
    order = np.argsort(change_times, kind="stable")
    times = change_times[order].astype(float)
    lev = levels[order].astype(float)
    cum = np.concatenate([[0.0], np.cumsum(lev[:-1] * np.diff(times))])
    k = np.searchsorted(times, t, side="right") - 1
    k = np.maximum(k, 0)
    return cum[k] + lev[k] * (t - times[k])
