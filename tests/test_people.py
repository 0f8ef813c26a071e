"""People who call again: a person keeps their call type, repeat groups, linkage that wears off, CRN."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import merge, one_team
from sim.analysis.metrics import replication_tables
from sim.analysis.stats import t_interval
from sim.engine.model import Model
from sim.scenario.loading import validate_scenario

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731
TYPES = {"mental_health": {"share": 0.5, "risk": {"low": 0.5, "medium": 0.3, "high": 0.2}},
         "idd": {"share": 0.2, "risk": {"low": 0.7, "medium": 0.3}},
         "substance_use": {"share": 0.3}}


def run(data: dict, replication: int = 0, days: float = 30, warmup: float = 0):
    scenario = validate_scenario(data)
    model = Model(scenario, replication, seed=3, days=days, warmup_days=warmup)
    log = model.run()
    return model, replication_tables(log, scenario, replication)


def by_phone(repeat: dict, calls_per_day: float = 40) -> dict:
    """Every call ends on the phone: repeats with no queueing and no linkage, fast."""
    data = one_team(units=1, calls_per_day=calls_per_day)
    data["demand"].update(call_types=TYPES, phone_resolution={t: 1.0 for t in TYPES}, repeat=repeat)
    return data


def test_a_repeat_keeps_the_persons_call_type_and_draws_risk_again():
    _, tables = run(by_phone({"probability": 0.6, "within_days": 2}), days=20)
    calls = tables["calls"]
    assert calls["is_repeat"].sum() > 300
    assert (calls.groupby("person_id")["call_type"].nunique() == 1).all()
    # risk is drawn again: some people are low risk one time and not the next
    assert (calls.groupby("person_id")["risk"].nunique() > 1).sum() > 20


def test_frequent_callers_give_the_geometric_chain_share_of_repeats():
    # People in a group with repeat chance p have 1 / (1 - p) crises on average (a geometric chain),
    # so in the steady state the share of calls that are repeats is 1 - 1 / E[crises per person].
    groups = {"frequent": {"share": 0.1, "probability": 0.7}}
    repeat = {"probability": 0.2, "within_days": 1, "groups": groups}
    crises = 0.1 / (1 - 0.7) + 0.9 / (1 - 0.2)
    expected = 1 - 1 / crises
    shares, frequent_shares = [], []
    for rep in range(6):
        model, tables = run(by_phone(repeat), replication=rep, days=40, warmup=8)
        calls = tables["calls"]
        shares.append(calls["is_repeat"].mean())
        frequent = model.people.group[calls["person_id"].to_numpy()] == 0
        frequent_shares.append(calls.loc[frequent, "is_repeat"].mean())
    mean, _, lo, hi, _ = t_interval(shares)
    assert lo <= expected <= hi, (mean, lo, hi, expected)
    _, _, lo, hi, _ = t_interval(frequent_shares)
    assert lo <= 0.7 <= hi  # among frequent callers, 1 - (1 - p) = p of calls are repeats
    # and the mix matters: the same mean chance for everyone gives fewer repeats
    assert expected > 1 - (1 - (0.1 * 0.7 + 0.9 * 0.2))


def test_groups_are_drawn_once_per_person_in_their_shares():
    repeat = {"probability": 0.2, "within_days": 1, "groups": {"a": {"share": 0.1, "probability": 0.5},
                                                                "b": {"share": 0.3, "probability": 0.4}}}
    model, _ = run(by_phone(repeat), days=30)
    counts = np.bincount(model.people.group, minlength=3) / len(model.people.group)
    n = len(model.people.group)
    for share, got in zip((0.1, 0.3, 0.6), counts):
        assert abs(got - share) < 4 * np.sqrt(share * (1 - share) / n)


def linking(lasts_days):
    data = one_team(units=60, calls_per_day=20, mean_min=30)
    data["teams"]["team"].update(on_scene_min=CONST(30), outcomes={"linked_to_services": 0.8})
    data["demand"]["repeat"] = {"probability": 0.6, "within_days": 20, "reduction_if_linked": 1.0}
    if lasts_days is not None:
        data["demand"]["repeat"]["linkage_lasts_days"] = lasts_days
    return data


def test_repeats_rise_as_linkage_wears_off_sooner():
    lasts = [None, 30, 10, 3, 0.5]
    for rep in range(2):
        repeats = [run(linking(d), replication=rep, days=40)[1]["calls"]["is_repeat"].sum() for d in lasts]
        # with ample units each person's crises are the same calls in every run, so fewer days of linkage
        # can only let more repeats through
        assert repeats == sorted(repeats), repeats
        assert repeats[-1] > 1.5 * repeats[0]


def test_linkage_that_lasts_longer_than_the_window_is_linkage_for_good():
    _, forever = run(linking(None), days=30)
    _, long = run(linking(1000), days=30)
    assert forever["calls"].equals(long["calls"])


def test_people_are_the_same_in_every_scenario_of_a_replication():
    groups = {"frequent": {"share": 0.1, "probability": 0.6}}
    a = merge(by_phone({"probability": 0.2, "within_days": 5, "groups": groups}), {"name": "a"})
    b = merge(linking(10), {"name": "b"})
    b["demand"].update(call_types=TYPES, repeat={"probability": 0.2, "within_days": 5, "groups": groups,
                                                 "reduction_if_linked": 0.5})
    b["demand"]["crisis_calls_per_day"] = a["demand"]["crisis_calls_per_day"]
    ma, ta = run(a, replication=2)
    mb, tb = run(b, replication=2)
    assert np.array_equal(ma.people.group, mb.people.group)
    # a person who calls in both runs has the same call type in both
    types_a = ta["calls"].groupby("person_id")["call_type"].first()
    types_b = tb["calls"].groupby("person_id")["call_type"].first()
    common = types_a.index.intersection(types_b.index)
    assert len(common) > 500 and (types_a[common] == types_b[common]).all()
    # another replication draws other people
    mc, _ = run(a, replication=3)
    assert not np.array_equal(ma.people.group[:500], mc.people.group[:500])


def test_group_shares_over_one_are_bad_input():
    data = by_phone({"probability": 0.2, "within_days": 5,
                     "groups": {"a": {"share": 0.7, "probability": 0.5}, "b": {"share": 0.5, "probability": 0.1}}})
    with pytest.raises(Exception) as err:
        validate_scenario(data)
    assert "demand.repeat.groups" in str(err.value) and "at most 1" in str(err.value)
