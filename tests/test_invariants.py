"""Invariants over random small scenarios (hypothesis)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import one_team
from sim.engine.eventlog import PRIMARY
from sim.scenario.loading import validate_scenario
from sim.analysis.metrics import replication_tables
from sim.engine.model import simulate

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def shifts(draw):
    out = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, 22))
        end = draw(st.integers(start + 1, 24))
        out.append({"days": draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True)),
                    "start": f"{start:02d}:00", "end": f"{end:02d}:00", "units": draw(st.integers(0, 3))})
    return out


@st.composite
def scenarios(draw):
    n_teams = draw(st.integers(1, 3))
    teams = {}
    for i in range(n_teams):
        team = {
            "kind": draw(st.sampled_from(["police", "co_responder", "civilian"])),
            "response_min": {"dist": "exponential", "mean": draw(st.floats(1, 20))},
            "on_scene_min": {"dist": "lognormal", "mean": draw(st.floats(10, 120)), "sd": draw(st.floats(5, 60))},
            "outcomes": {"arrest": 0.05, "linked_to_services": draw(st.floats(0, 0.5))},
            "transport_min": {"arrest": {"dist": "constant", "value": 60}},
        }
        if draw(st.booleans()):
            team["units"] = draw(st.integers(0, 4))
        else:
            team["shifts"] = draw(shifts())
        if i > 0 and draw(st.booleans()):
            team["backup"] = {"team": "t0", "probability": draw(st.floats(0, 1))}
        if draw(st.booleans()):
            team["follow_up"] = {"probability": draw(st.floats(0, 1)), "after_hours": draw(st.floats(0, 48)),
                                 "duration_min": {"dist": "constant", "value": 30}, "links": 0.5}
        teams[f"t{i}"] = team
    names = list(teams)
    order = draw(st.permutations(names))
    rule = {"match": {"risk": ["low", "medium"]}, "send": order[: draw(st.integers(1, len(order)))]}
    wait = draw(st.one_of(st.none(), st.floats(0, 30)))
    if wait is not None:
        rule["max_wait_min"] = wait
    data = {
        "name": "prop",
        "demand": {
            "crisis_calls_per_day": draw(st.floats(5, 80)),
            "call_types": {"mental_health": {"share": 0.7, "risk": {"low": 0.5, "medium": 0.3, "high": 0.2}},
                           "idd": {"share": 0.3}},
            "phone_resolution": {"mental_health": draw(st.floats(0, 0.5))},
            "repeat": {"probability": draw(st.floats(0, 0.6)), "within_days": 3, "reduction_if_linked": 0.5},
        },
        "teams": teams,
        "routing": [rule, {"match": {}, "send": [names[-1]]}],
    }
    if draw(st.booleans()) and any(t["kind"] == "police" for t in teams.values()):
        data["demand"]["other_police_calls"] = {"per_day": draw(st.floats(0, 60)),
                                                "on_scene_min": {"dist": "exponential", "mean": 30}}
    return validate_scenario(data)


@settings(max_examples=int(os.environ.get("CRISIS_SIM_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), replication=st.integers(0, 3))
def test_invariants_hold_for_random_scenarios(scenario, replication):
    log = simulate(scenario, replication, seed=1, days=4, warmup_days=1)
    tables = replication_tables(log, scenario, replication)
    calls = tables["calls"]
    jobs = pd.DataFrame(log.table("jobs"))

    # every call ends exactly once: by phone, with one unit assigned, or still waiting at the horizon
    assert calls["call_id"].is_unique
    if len(jobs):
        primary = jobs[jobs["kind"] == PRIMARY]
        assert primary["call_id"].is_unique
        assigned = set(primary["call_id"].astype(int))
    else:
        assigned = set()
    phone = calls["disposition"] == "resolved_by_phone"
    served = calls["call_id"].isin(assigned)
    unserved = calls["disposition"] == "unserved"
    assert (phone.astype(int) + served.astype(int) + unserved.astype(int) == 1).all()
    assert (calls.loc[served, "team"] != "").all()

    # a unit is never on two jobs at once
    if len(jobs):
        for _, unit_jobs in jobs.groupby(["team", "unit"]):
            order = unit_jobs.sort_values("assigned_min")
            assert (order["assigned_min"].to_numpy()[1:] >= order["clear_min"].to_numpy()[:-1] - 1e-9).all()

    # busy time never exceeds staffed time plus overtime
    s = tables["summary"].set_index(["metric", "team"])["value"]
    hourly = tables["hourly"].groupby("team")[["busy_hours", "staffed_hours"]].sum()
    for team in scenario.teams:
        busy, staffed = hourly.loc[team, "busy_hours"], hourly.loc[team, "staffed_hours"]
        assert busy <= staffed + s[("overtime_hours", team)] + 1e-6

    # counts add up
    assert s[("calls", "")] == s[("resolved_by_phone", "")] + s[("dispatched", "")] + s[("unserved", "")]
    assert 0 <= s[("fallback_share", "")] <= 1 or np.isnan(s[("fallback_share", "")])


@settings(max_examples=25, deadline=None)
@given(units=st.integers(1, 5), rate=st.floats(10, 120), mean=st.floats(20, 90), replication=st.integers(0, 5))
def test_more_units_never_raise_mean_wait(units, rate, mean, replication):
    """With the same calls (same seed), one more unit never makes anyone wait longer on average."""
    waits = []
    for c in (units, units + 1):
        scenario = validate_scenario(one_team(units=c, calls_per_day=rate, mean_min=mean))
        log = simulate(scenario, replication, seed=9, days=5, warmup_days=0)
        calls = replication_tables(log, scenario, replication)["calls"]
        # a call still waiting at the horizon has waited at least until then
        waits.append(calls["wait_min"].fillna(log.horizon_min - calls["arrival_min"]).to_numpy())
    assert len(waits[0]) == len(waits[1])
    assert waits[1].mean() <= waits[0].mean() + 1e-9
