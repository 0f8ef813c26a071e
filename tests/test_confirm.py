"""Confirming the staffing finder's answer with fresh replications, and refusing to trust
bisection on a target that is not monotone in units."""

from __future__ import annotations

import math

from sim.analysis.targets import parse_target
from sim.designs.confirm import confirm_staffing, fresh_seed, monotone_violations
from sim.designs.staffing import StaffingQuestion, find_staffing
from sim.scenario.loading import validate_scenario
from test_staffing import CALLS_PER_DAY, SERVICE_MEAN_MIN, erlang_c_wait_min, mmc_raw


def test_confirmation_reruns_the_answer_with_fresh_seeds_and_keeps_it():
    target_min = 5.0
    waits = {c: erlang_c_wait_min(c, CALLS_PER_DAY / 1440, SERVICE_MEAN_MIN) for c in range(1, 13)}
    expected = min(c for c, w in waits.items() if w <= target_min)
    question = StaffingQuestion(validate_scenario(mmc_raw()), "crew", (parse_target(f"wait_min_mean<={target_min}"),),
                                max_units=12, replications=4, max_replications=8)
    result = find_staffing(question)
    conf = confirm_staffing(result)
    assert conf.seed == fresh_seed(result.replication_settings["seed"]) != result.replication_settings["seed"]
    assert conf.answer == result.answer == expected and not conf.not_monotone
    rows = conf.rows.set_index("units")
    assert rows.at[expected, "verdict"] == "met" and rows.at[expected - 1, "verdict"] != "met"
    assert (rows["replications"] == 8).all()
    # fresh seeds: the confirmation's values are not the search's
    search_mean = result.metrics[(result.metrics["units"] == expected) & (result.metrics["metric"] == "wait_min_mean")]
    assert not math.isclose(rows.at[expected, f"wait_min_mean<={target_min:g} mean"], search_mean["mean"].iloc[0])


def slow_team_city() -> dict:
    """Police arrive in 5 minutes; a civilian team takes calls first but needs 25 minutes to get there."""
    raw = mmc_raw()
    raw["demand"]["crisis_calls_per_day"] = 48
    raw["teams"] = {
        "police": {"kind": "police", "units": 6, "on_scene_min": {"dist": "exponential", "mean": 40},
                   "response_min": {"dist": "constant", "value": 5}},
        "crew": {"kind": "civilian", "units": 1, "on_scene_min": {"dist": "exponential", "mean": 40},
                 "response_min": {"dist": "constant", "value": 25}},
    }
    raw["routing"] = [{"match": {}, "send": ["crew", "police"], "max_wait_min": 0}]
    return raw


def test_a_target_that_worsens_with_units_is_reported_and_searched_upward():
    """More slow civilian units take more calls, so the city's mean response rises with units."""
    question = StaffingQuestion(validate_scenario(slow_team_city()), "crew",
                                (parse_target("response_min_mean<=12"),), max_units=6, replications=4,
                                max_replications=8)
    result = find_staffing(question)
    assert result.answer is None  # bisection from the top: 6 slow units miss, so it gives up
    conf = confirm_staffing(result)
    assert conf.not_monotone == ["response_min_mean<=12"]
    assert conf.answer == 1  # one unit meets it, which bisection never tried


def test_monotone_violations_are_found_over_the_levels_tried():
    question = StaffingQuestion(validate_scenario(slow_team_city()), "crew",
                                (parse_target("response_min_mean<=12"),), max_units=6, min_units=1, replications=3,
                                max_replications=3)
    result = find_staffing(question)
    # bisection tried only the top; simulate more levels into the same result to see the trend
    from sim.designs import staffing

    more = staffing.find_staffing(StaffingQuestion(question.scenario, "crew",
                                                   (parse_target("response_min_mean<=30"),), max_units=6,
                                                   replications=3, max_replications=3))
    # every level meets this looser target, and bisection tries several: the wrong-way trend shows
    assert more.answer == 1 and len(more.levels) >= 3
    assert monotone_violations(more) == ["response_min_mean<=30"]
    assert monotone_violations(result) == []  # one level tried: no trend to judge
