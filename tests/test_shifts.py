"""Shifts: weekly schedules, skipping teams off shift, and overtime."""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from helpers import one_team
from sim.engine.eventlog import OFF_SHIFT
from sim.scenario.loading import validate_scenario
from sim.analysis.metrics import replication_tables
from sim.engine.model import simulate
from sim.scenario.schema import Team
from sim.engine.teams import weekly_schedule


def team(shifts):
    return Team.model_validate({"kind": "civilian", "shifts": shifts, "on_scene_min": {"dist": "constant", "value": 1}})


def test_weekly_schedule_adds_overlapping_shifts():
    t = team([{"days": ["mon"], "start": "08:00", "end": "16:00", "units": 2},
              {"days": ["mon"], "start": "12:00", "end": "20:00", "units": 1}])
    assert weekly_schedule(t) == [(0, 0), (480, 2), (720, 3), (960, 1), (1200, 0)]
    assert t.unit_hours_per_week() == 2 * 8 + 8


def test_sunday_shift_to_midnight_wraps_to_monday():
    t = team([{"days": ["sun"], "start": "20:00", "end": "24:00", "units": 1}])
    assert weekly_schedule(t) == [(0, 0), (6 * 1440 + 1200, 1)]


def test_shift_past_midnight_is_two_pieces_shown_as_one():
    t = team([{"name": "night", "days": ["mon", "sun"], "start": "22:00", "end": "06:00", "units": 2}])
    # Monday 22:00 to Tuesday 06:00, and Sunday 22:00 on to Monday 06:00 of the same (repeating) week
    assert weekly_schedule(t) == [(0, 2), (360, 0), (1320, 2), (1440 + 360, 0), (6 * 1440 + 1320, 2)]
    assert t.unit_hours_per_week() == 2 * 2 * 8
    assert len(t.shifts) == 1 and t.shifts[0].crosses_midnight and t.shifts[0].duration_min == 480
    same = team([{"days": ["mon"], "start": "22:00", "end": "24:00", "units": 2},
                 {"days": ["tue"], "start": "00:00", "end": "06:00", "units": 2},
                 {"days": ["sun"], "start": "22:00", "end": "24:00", "units": 2},
                 {"days": ["mon"], "start": "00:00", "end": "06:00", "units": 2}])
    assert weekly_schedule(t) == weekly_schedule(same)


def test_shifts_are_found_by_name_or_one_based_number():
    t = team([{"name": "day", "days": ["mon"], "start": "08:00", "end": "16:00", "units": 1},
              {"days": ["mon"], "start": "16:00", "end": "00:00", "units": 1}])
    assert t.shift_index("day") == 0 and t.shift_index("1") == 0 and t.shift_index("2") == 1
    for bad in ("0", "3", "evening"):
        with pytest.raises(ValueError, match="give 1 to 2 or a name"):
            t.shift_index(bad)


def test_calls_skip_a_team_with_nobody_on_shift():
    data = one_team(units=1)
    data["teams"]["peer"] = {"kind": "civilian", "on_scene_min": {"dist": "constant", "value": 30},
                             "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00",
                                         "units": 5}]}
    data["teams"]["team"]["units"] = 50
    data["routing"] = [{"match": {}, "send": ["peer", "team"]}]  # no max wait: waits only if on shift
    scenario = validate_scenario(data)
    log = simulate(scenario, 0, days=14, warmup_days=0)
    calls = replication_tables(log, scenario, 0)["calls"]
    minute_of_week = calls["arrival_min"] % (7 * 1440)
    day, minute = minute_of_week // 1440, minute_of_week % 1440
    on_shift = (day < 5) & (minute >= 540) & (minute < 1020)
    assert (calls.loc[on_shift, "team"] == "peer").all()
    assert (calls.loc[~on_shift, "team"] == "team").all()
    fallbacks = pd.DataFrame(log.table("fallbacks"))
    assert set(fallbacks["reason"]) == {OFF_SHIFT}
    assert len(fallbacks) == (~on_shift).sum()


def test_shift_ending_mid_call_ends_after_the_call_with_overtime():
    data = one_team(units=1, calls_per_day=200, mean_min=120)
    data["teams"]["team"].pop("units")
    data["teams"]["team"]["shifts"] = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                        "start": "08:00", "end": "16:00", "units": 2}]
    scenario = validate_scenario(data)
    log = simulate(scenario, 0, days=7, warmup_days=0)
    jobs = pd.DataFrame(log.table("jobs"))
    overtime = pd.DataFrame(log.table("overtime"))
    assert len(overtime) > 0
    # overtime starts at a shift end and ends when that unit clears its last call
    assert set((overtime["start_min"] % 1440).round(6)) == {960.0}
    for row in overtime[overtime["unit"] >= 0].itertuples():  # unit -1: overtime that ended when a shift began
        mine = jobs[(jobs["team"] == row.team) & (jobs["unit"] == row.unit)]
        assert np.isclose(mine["clear_min"], row.end_min).any()
    # no job starts outside shift hours
    assert ((jobs["assigned_min"] % 1440 >= 480) & (jobs["assigned_min"] % 1440 <= 960)).all()
    summary = replication_tables(log, scenario, 0)["summary"]
    ot = summary[(summary["metric"] == "overtime_hours")]["value"].iloc[0]
    assert np.isclose(ot, ((overtime["end_min"] - overtime["start_min"]).sum()) / 60)
