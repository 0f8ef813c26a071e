"""A small three-scenario results folder shared by the chart and report tests.

The scenarios are written here rather than taken from scenarios/ so that these tests stay
fast (a small city, no competing police workload) and do not move when the shipped
scenarios are re-tuned. They still exercise every kind of team: police only, a
co-responder team around the clock, and a peer team on a weekday/weekend shift schedule
(so the utilisation chart has off-shift hours to show).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import sim
from sim.scenario.loading import validate_scenario

DAYS = 20
REPLICATIONS = 3

_POLICE = {
    "kind": "police",
    "label": "Police patrol",
    "members": ["officer"],
    "units": 4,
    "cost_per_unit_hour": 65,
    "response_min": {"dist": "lognormal", "mean": 10, "sd": 6},
    "on_scene_min": {"dist": "lognormal", "mean": 50, "sd": 35},
    "transport_min": {"involuntary_hold": {"dist": "gamma", "mean": 180, "sd": 80}},
    "outcomes": {"arrest": 0.07, "involuntary_hold": 0.15, "ed_transport": 0.15, "linked_to_services": 0.03},
    "use_of_force": 0.02,
    "injury": 0.01,
}

_BASE = {
    "name": "police_only",
    "label": "Police only",
    "description": "Police answer every crisis call.",
    "run": {"days": DAYS, "warmup_days": 2, "replications": REPLICATIONS, "seed": 7},
    "demand": {
        "crisis_calls_per_day": 24,
        "call_types": {
            "mental_health": {"share": 0.6, "risk": {"low": 0.6, "medium": 0.3, "high": 0.1}},
            "welfare_check": {"share": 0.4},
        },
        "phone_resolution": {"mental_health": 0.05},
        "repeat": {"probability": 0.2, "within_days": 30, "reduction_if_linked": 0.4},
    },
    "teams": {"police": _POLICE},
    "routing": [{"match": {}, "send": ["police"]}],
    "costs": {"arrest": 2500, "involuntary_hold": 3200, "ed_transport": 2300},
}


def fixture_scenarios() -> list[sim.Scenario]:
    """Police only (baseline), co-responder and peer-embedded variants of one small city."""
    co = copy.deepcopy(_BASE)
    co.update(name="co_responder", label="Co-responder teams",
              description="An officer and a clinician take mental-health calls; patrol takes the rest.")
    co["teams"]["co_team"] = {
        **_POLICE, "kind": "co_responder", "label": "Co-responder team", "members": ["officer", "clinician"],
        "units": 2, "cost_per_unit_hour": 140, "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 35},
        "outcomes": {"arrest": 0.04, "involuntary_hold": 0.10, "ed_transport": 0.10, "linked_to_services": 0.25},
        "use_of_force": 0.01,
    }
    co["routing"] = [{"match": {"call_type": ["mental_health"]}, "send": ["co_team", "police"], "max_wait_min": 15},
                     {"match": {}, "send": ["police"]}]

    peer = copy.deepcopy(_BASE)
    peer.update(name="peer_embedded", label="Peer-embedded teams",
                description="A peer and a clinician take low and medium-risk calls in the day; police keep the rest.")
    peer["teams"]["peer_team"] = {
        "kind": "civilian", "label": "Peer team", "members": ["peer", "clinician"],
        "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "22:00", "units": 2},
                   {"days": ["sat", "sun"], "start": "10:00", "end": "18:00", "units": 1}],
        "cost_per_unit_hour": 90,
        "response_min": {"dist": "lognormal", "mean": 14, "sd": 7},
        "on_scene_min": {"dist": "lognormal", "mean": 55, "sd": 30},
        "outcomes": {"ed_transport": 0.05, "crisis_center": 0.10, "linked_to_services": 0.35},
        "backup": {"team": "police", "probability": 0.05},
        "follow_up": {"probability": 0.5, "after_hours": 24, "duration_min": {"dist": "constant", "value": 45},
                      "links": 0.4},
    }
    peer["routing"] = [{"match": {"risk": ["low", "medium"]}, "send": ["peer_team", "police"], "max_wait_min": 10},
                       {"match": {}, "send": ["police"]}]
    return [validate_scenario(raw) for raw in (_BASE, co, peer)]


def make_results(out: Path) -> Path:
    """Run the three fixture scenarios (serially) and save them without charts."""
    experiment = sim.run_experiment(fixture_scenarios(), replications=REPLICATIONS, days=DAYS, workers=1)
    return sim.save(experiment, out, command="tests: fixture results", charts=False)


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    """A saved three-scenario results folder with no figures yet (tests copy it before drawing)."""
    return make_results(tmp_path_factory.mktemp("fixture") / "results")
