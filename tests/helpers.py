"""Test helpers: small scenarios built as plain data, so each test states what it needs, and queueing formulas."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from sim.scenario.loading import deep_merge as merge
from sim.analysis.stats import paired_difference, welch_difference

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def one_team(units: int = 3, calls_per_day: float = 50.0, mean_min: float = 60.0, **extra) -> dict:
    """One team, flat Poisson arrivals, exponential on-scene time, no travel: an M/M/c queue."""
    data = {
        "name": "mmc",
        "run": {"days": 30, "warmup_days": 3, "replications": 4, "seed": 11},
        "demand": {"crisis_calls_per_day": calls_per_day, "call_types": {"mental_health": {"share": 1.0}}},
        "teams": {"team": {"kind": "civilian", "units": units, "on_scene_min": {"dist": "exponential", "mean": mean_min}}},
        "routing": [{"match": {}, "send": ["team"]}],
    }
    return merge(data, extra)


def interval_widths(exp, treatment: str, baseline: str, metric: str) -> tuple[float, float]:
    """(paired, unpaired) 95% CI widths of treatment - baseline for a system metric of an experiment."""
    s = exp.summary[(exp.summary["metric"] == metric) & (exp.summary["team"] == "")]
    a = s[s["scenario"] == treatment].sort_values("replication")["value"].to_numpy()
    b = s[s["scenario"] == baseline].sort_values("replication")["value"].to_numpy()
    _, plo, phi, _ = paired_difference(a, b)
    _, ulo, uhi, _ = welch_difference(a, b)
    return phi - plo, uhi - ulo


def small_city() -> dict:
    """A small city with police, a peer team on weekday shifts, backup, follow-up and repeats."""
    return {
        "name": "small_city",
        "label": "Small city",
        "run": {"days": 20, "warmup_days": 2, "replications": 3, "seed": 5},
        "demand": {
            "crisis_calls_per_day": 30,
            "hourly_profile": [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 3, 3, 2, 2, 1],
            "call_types": {
                "mental_health": {"share": 0.6, "risk": {"low": 0.5, "medium": 0.3, "high": 0.2}},
                "welfare_check": {"share": 0.3},
                "idd": {"share": 0.1},
            },
            "phone_resolution": {"mental_health": 0.1},
            "repeat": {"probability": 0.25, "within_days": 30, "reduction_if_linked": 0.5},
            "other_police_calls": {"per_day": 120, "on_scene_min": {"dist": "lognormal", "mean": 35, "sd": 25}},
        },
        "teams": {
            "police": {
                "kind": "police", "units": 8, "cost_per_unit_hour": 110,
                "response_min": {"dist": "lognormal", "mean": 10, "sd": 6},
                "on_scene_min": {"dist": "lognormal", "mean": 45, "sd": 30},
                "transport_min": {"arrest": {"dist": "gamma", "mean": 120, "sd": 60}},
                "outcomes": {"arrest": 0.06, "involuntary_hold": 0.12, "ed_transport": 0.1},
                "use_of_force": 0.02, "injury": 0.01,
            },
            "peer_team": {
                "kind": "civilian", "cost_per_unit_hour": 80,
                "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "22:00", "units": 2}],
                "response_min": {"dist": "lognormal", "mean": 8, "sd": 4},
                "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 30},
                "outcomes": {"ed_transport": 0.05, "linked_to_services": 0.3},
                "backup": {"team": "police", "probability": 0.05},
                "follow_up": {"probability": 0.7, "after_hours": 24,
                              "duration_min": {"dist": "constant", "value": 45}, "links": 0.4},
            },
        },
        "routing": [
            {"match": {"risk": ["low", "medium"]}, "send": ["peer_team", "police"], "max_wait_min": 10},
            {"match": {}, "send": ["police"]},
        ],
        "costs": {"arrest": 2500, "involuntary_hold": 3200, "ed_transport": 2300},
    }


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    b = erlang_b(c, a)
    rho = a / c
    return b / (1 - rho + rho * b)


def erlang_c_wq(c: int, a: float, mean_service: float) -> float:
    """Mean wait in queue for M/M/c with offered load a = lambda * mean_service."""
    return erlang_c(c, a) * mean_service / (c - a)




assert math.isclose(erlang_b(1, 1.0), 0.5)
