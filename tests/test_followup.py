"""Follow-up programs: made by another team, in their hours, attempts until contact, phone calls too."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import merge, one_team
from sim.analysis.metrics import replication_tables
from sim.analysis.stats import paired_difference
from sim.engine.eventlog import FOLLOW_UP
from sim.engine.followup import OpenHours
from sim.engine.model import simulate
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Window

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
DAYTIME = [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]


def run(data: dict, replication: int = 0, days: float = 21, warmup: float = 0):
    scenario = validate_scenario(data)
    log = simulate(scenario, replication, seed=8, days=days, warmup_days=warmup)
    tables = replication_tables(log, scenario, replication)
    return log, tables["calls"], tables["summary"].set_index(["metric", "team"])["value"]


def with_program(follow_up: dict, follow_up_units: int = 3, **team) -> dict:
    """A crisis team whose calls are followed up by a peer-only follow-up team on 24/7 duty."""
    data = one_team(units=30, calls_per_day=30)
    data["teams"]["team"].update(on_scene_min=CONST(40), follow_up=follow_up, **team)
    data["teams"]["peers"] = {"kind": "civilian", "units": follow_up_units, "cost_per_unit_hour": 40}
    return data


def program(**extra) -> dict:
    return {"probability": 0.8, "after_hours": 20, "duration_min": CONST(45), "links": 0.5, "by": "peers", **extra}


def attempts_of(log) -> pd.DataFrame:
    return pd.DataFrame(log.table("follow_up_attempts"))


def minute_of_week(t):
    return np.asarray(t) % (7 * 1440)


def test_open_hours_know_when_they_are_open_and_when_they_next_open():
    hours = OpenHours([Window(days=WEEKDAYS, start="09:00", end="17:00")])
    monday_9, week = 9 * 60, 7 * 1440
    assert hours.is_open(monday_9) and not hours.is_open(monday_9 - 1) and not hours.is_open(17 * 60)
    assert hours.next_open(0) == monday_9
    assert hours.next_open(17 * 60) == 1440 + monday_9  # Monday evening -> Tuesday 09:00
    friday_evening = 4 * 1440 + 18 * 60
    assert hours.next_open(friday_evening) == week + monday_9  # -> next Monday
    assert hours.next_open(2 * week + 3 * 1440 + 10 * 60) == 2 * week + 3 * 1440 + 10 * 60
    assert OpenHours(None).always


def test_follow_ups_never_start_outside_their_hours_even_when_the_queue_runs_late():
    # one follow-up unit for ~24 follow-ups a day of 45 min: a queue at the end of each day
    log, _, s = run(with_program(program(hours=DAYTIME), follow_up_units=1))
    jobs = pd.DataFrame(log.table("jobs"))
    follow = jobs[jobs["kind"] == FOLLOW_UP]
    assert len(follow) > 50
    assert (follow["team"] == 1).all()  # made by the follow-up team, not the crisis team
    m = minute_of_week(follow["assigned_min"])
    day, minute = m // 1440, m % 1440
    assert (day < 5).all() and (minute >= 9 * 60).all() and (minute < 17 * 60).all()
    due = pd.DataFrame(log.table("follow_ups_due"))
    assert (minute_of_week(due["due_min"]) % 1440 < 9 * 60).any()  # many fell due at night and waited
    # the follow-up unit is on duty around the clock but works only in the 40 open hours a week (and
    # finishes the last attempt it started), nearly all of them
    assert 0.8 * 40 / 168 < s[("utilization", "peers")] < 42 / 168


def test_attempts_stop_at_contact_or_when_they_run_out():
    contact, attempts = 0.4, 3
    log, _, s = run(with_program(program(attempts=attempts, contact=contact, interval_hours=6)), days=30)
    made = attempts_of(log)
    due = pd.DataFrame(log.table("follow_ups_due")).set_index("call_id")
    early = due.index[due["due_min"] < log.horizon_min - 3 * 1440]  # every attempt fits before the horizon
    made = made[made["call_id"].isin(early)].sort_values(["call_id", "attempt"])
    per_call = made.groupby("call_id")
    assert per_call["attempt"].max().max() == attempts - 1 and (per_call.size() <= attempts).all()
    for _, tries in per_call:
        reached = tries["reached"].to_numpy()
        assert reached[:-1].sum() == 0  # nobody is tried again once reached
        assert reached[-1] or len(tries) == attempts
        assert (np.diff(tries["start_min"]) >= 6 * 60 - 1e-9).all()
    n = per_call.ngroups
    share = per_call["reached"].max().mean()
    expected = 1 - (1 - contact) ** attempts
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert s[("follow_ups_due", "")] >= s[("follow_ups", "")] >= s[("follow_ups_reached", "")] >= s[("follow_ups_linked", "")]
    assert s[("follow_up_attempts", "")] > s[("follow_ups", "")]


def test_one_attempt_that_always_reaches_by_the_same_team_is_the_0_1_follow_up_exactly():
    old = one_team(units=10, calls_per_day=30)
    old["teams"]["team"].update(on_scene_min=CONST(40), follow_up={
        "probability": 0.6, "after_hours": 24, "duration_min": {"dist": "lognormal", "mean": 40, "sd": 10}, "links": 0.5})
    new = merge(old, {"teams": {"team": {"follow_up": {
        "by": "team", "attempts": 1, "contact": 1.0, "interval_hours": 3,
        "hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]}}}})
    _, calls_old, s_old = run(old)
    _, calls_new, s_new = run(new)
    assert calls_old.equals(calls_new) and s_old.equals(s_new)


def test_contact_times_links_is_what_counts_in_expectation():
    # 0.1 semantics: a follow-up links with chance 0.5. One attempt that reaches half the people and
    # always links gives the same expected linkage (other draws, so only in expectation).
    old = with_program(program(links=0.5, contact=1.0))
    new = with_program(program(links=1.0, contact=0.5))
    linked_old, linked_new = [], []
    for rep in range(6):
        linked_old.append(run(old, replication=rep, days=20)[2][("follow_ups_linked", "")])
        linked_new.append(run(new, replication=rep, days=20)[2][("follow_ups_linked", "")])
    diff, lo, hi, _ = paired_difference(np.array(linked_new), np.array(linked_old))
    assert lo <= 0 <= hi, (diff, lo, hi)
    assert np.mean(linked_old) > 100


def test_phone_resolved_calls_can_be_followed_up_by_a_named_team():
    data = with_program(program())
    data["teams"]["team"].pop("follow_up")
    data["demand"]["phone_resolution"] = {"mental_health": 0.5}
    data["follow_up_phone"] = program(probability=1.0, links=1.0, after_hours=2)
    log, calls, s = run(data)
    phone = calls["disposition"] == "resolved_by_phone"
    made = attempts_of(log)
    assert set(made["call_id"]) <= set(calls.loc[phone, "call_id"])  # only phone calls: the team has no program
    assert calls.loc[phone, "follow_up"].mean() > 0.9 and calls.loc[phone & calls["follow_up"], "linked"].all()
    assert (made["team"] == 1).all()
    assert s[("linked_to_services", "")] == (phone & calls["follow_up"]).sum()


def test_follow_up_linkage_cuts_repeats_like_any_other_linkage():
    base = with_program(program(probability=1.0, links=1.0, after_hours=1), follow_up_units=10)
    base["demand"]["repeat"] = {"probability": 0.5, "within_days": 20, "reduction_if_linked": 1.0}
    none = merge(base, {"teams": {"team": {"follow_up": {"probability": 0.0}}}})
    _, _, s_with = run(base, days=30)
    _, _, s_none = run(none, days=30)
    assert s_with[("repeat_calls", "")] < 0.5 * s_none[("repeat_calls", "")]
