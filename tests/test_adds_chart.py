"""The take-one-away comparison: what a peer and a follow-up program each add, charted and said in words."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import sim
from helpers import merge, small_city
from sim.outputs.adds_chart import STEM, added, pieces, plot_what_each_adds, what_each_adds_words
from sim.outputs.report import write_report
from sim.outputs.results import load_results
from sim.scenario.loading import validate_scenario

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731


def full_program() -> dict:
    data = merge(small_city(), {
        "name": "full", "label": "Peer team with follow-up",
        "roles": {"officer": {"cost_per_hour": 65, "police": True}, "clinician": {"cost_per_hour": 50},
                  "peer": {"cost_per_hour": 35, "effects": {"linked_to_services": 2.0}}},
        "teams": {
            "police": {"members": ["officer"]},
            "peer_team": {"members": ["peer", "clinician"],
                          "follow_up": {"by": "follow_up_team", "probability": 1.0, "links": 0.8, "attempts": 2,
                                        "contact": 0.8, "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                                                   "start": "09:00", "end": "17:00"}]}},
            "follow_up_team": {"members": ["peer"], "units": 2},
        },
    })
    for team in ("police", "peer_team"):
        data["teams"][team].pop("kind", None)
        data["teams"][team].pop("cost_per_unit_hour", None)
    data["demand"]["repeat"] = {"probability": 0.4, "within_days": 10, "reduction_if_linked": 0.8}
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    full = full_program()
    no_peer = merge(full, {"name": "no_peer", "label": "Without the peer",
                           "teams": {"peer_team": {"members": ["clinician"]}}})
    no_follow = merge(full, {"name": "no_follow", "label": "Without the follow-up",
                             "teams": {"peer_team": {"follow_up": None}, "follow_up_team": None}})
    scenarios = [validate_scenario(d) for d in (full, no_peer, no_follow)]
    experiment = sim.run_experiment(scenarios, replications=3, days=20, workers=1)
    return sim.save(experiment, tmp_path_factory.mktemp("adds") / "results", command="tests", charts=False)


def test_what_each_piece_adds_is_the_full_program_minus_the_city_without_it(folder):
    results = load_results(folder)
    assert pieces(results) == [("no_peer", "the peer"), ("no_follow", "the follow-up")]
    s = results.summary[results.summary["team"] == ""].set_index(["scenario", "replication", "metric"])["value"]
    per_year = 365 / 20
    for scenario in ("no_peer", "no_follow"):
        mean, lo, hi = added(results, scenario, "linked_to_services")
        by_rep = [s[("full", r, "linked_to_services")] - s[(scenario, r, "linked_to_services")] for r in range(3)]
        assert mean == pytest.approx(per_year * sum(by_rep) / 3)
        assert lo <= mean <= hi
        assert lo > 0  # a peer doubling linkage, and a follow-up that links most people it reaches, add linkage
    cost, _, _ = added(results, "no_peer", "cost_total")
    staffing, _, _ = added(results, "no_peer", "cost_staffing")
    assert staffing == pytest.approx(35 * 2 * 14 * 5 / 7 * 365, rel=0.02)  # the peer's hours on shift, a year
    assert cost < staffing  # the peer's linkage saves some downstream cost


def test_the_chart_and_the_report_say_what_each_adds(folder, tmp_path):
    results = load_results(folder)
    paths = plot_what_each_adds(results, tmp_path, "talk")
    assert sorted(p.name for p in paths) == [f"{STEM}.png", f"{STEM}.svg"]
    root = ET.parse(tmp_path / f"{STEM}.svg").getroot()
    text = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))
    for words in ("The peer", "The follow-up", "Repeat crises", "People linked", "Police", "Cost, all",
                  "Simulated, not a forecast: 3 replications × 20 days; 95% CI"):
        assert words in " ".join(text.split())
    sentences = what_each_adds_words(results)
    assert len(sentences) == 2 and sentences[0].startswith("The peer adds, per year:")
    assert "more people linked to services (95% CI" in sentences[0]
    html = write_report(folder).read_text()
    assert 'id="chart-what_each_adds"' in html and sentences[1] in html


def test_an_ordinary_comparison_draws_no_take_one_away_chart(tmp_path):
    other = merge(full_program(), {"name": "other", "label": "Two more units",
                                   "teams": {"police": {"units": 10}}})
    experiment = sim.run_experiment([validate_scenario(full_program()), validate_scenario(other)],
                                    replications=2, days=5, workers=1)
    folder = sim.save(experiment, tmp_path / "results", command="tests", charts=False)
    results = load_results(folder)
    assert pieces(results) == [] and plot_what_each_adds(results, tmp_path, "talk") == []
    assert what_each_adds_words(results) == []
