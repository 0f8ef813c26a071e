"""Every shipped scenario passes `check` and runs for a few simulated days."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helpers import SCENARIOS, interval_widths
from sim import run_experiment
from sim.cli import app
from sim.scenario.loading import load_scenario

SCENARIO_FILES = sorted(p for p in SCENARIOS.rglob("*.yaml") if "sweeps" not in p.parts)


def test_the_three_response_models_are_shipped():
    names = {p.name for p in SCENARIO_FILES}
    assert {"base.yaml", "police_only.yaml", "co_responder.yaml", "peer_embedded.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[str(p.relative_to(SCENARIOS)) for p in SCENARIO_FILES])
def test_scenario_checks_and_runs(path):
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    exp = run_experiment([load_scenario(path)], replications=1, days=3, warmup_days=1)
    city = exp.summary[exp.summary["zone"] == ""]  # scenarios with geography add per-zone rows
    s = city.set_index(["metric", "team"])["value"]
    assert s[("calls", "")] > 0
    assert s[("dispatched", "")] > 0


def test_response_models_differ_only_in_teams_and_routing():
    base = load_scenario(SCENARIOS / "base.yaml")
    for name in ("police_only", "co_responder", "peer_embedded"):
        s = load_scenario(SCENARIOS / f"{name}.yaml")
        assert s.demand == base.demand and s.costs == base.costs and s.run == base.run, name
        assert s.teams["police"] == base.teams["police"], name


def test_crn_pairing_narrows_the_shipped_comparison():
    """In the shipped police-only vs peer-embedded comparison, pairing narrows the response-time CI."""
    scenarios = [load_scenario(SCENARIOS / f"{n}.yaml") for n in ("police_only", "peer_embedded")]
    exp = run_experiment(scenarios, replications=6, days=14, warmup_days=2)
    paired, unpaired = interval_widths(exp, "peer_embedded", "police_only", "response_min_mean")
    assert paired < unpaired
