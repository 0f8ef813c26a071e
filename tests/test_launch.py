"""A program's launch (`starts_day`): nobody on shift before it, so with common random numbers the
days before the launch are the baseline city call for call; after it the team takes calls."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from fixtures_results import fixture_scenarios
from sim.cli import app
from sim.engine.teams import MIN_PER_DAY, MIN_PER_WEEK, shift_changes, weekly_schedule
from sim.outputs.monthly_chart import monthly_table
from sim.outputs.results import load_results
from sim.scenario.loading import validate_scenario

LAUNCH_DAY, DAYS, WARMUP = 17.5, 35, 2
COLUMNS = ["replication", "call_id", "arrival_min", "call_type", "risk", "team", "wait_min", "response_min",
           "disposition", "police_on_scene", "use_of_force", "linked"]


def _launched() -> list[sim.Scenario]:
    base, _co, peer = (s.to_dict() for s in fixture_scenarios())
    peer = copy.deepcopy(peer)
    peer["name"], peer["label"] = "peer_launch", "Peer team from day 17.5"
    peer["teams"]["peer_team"]["starts_day"] = LAUNCH_DAY
    for spec in (base, peer):
        spec["run"] = {**spec["run"], "days": DAYS, "warmup_days": WARMUP}
    return [validate_scenario(base), validate_scenario(peer)]


@pytest.fixture(scope="module")
def launch_dir(tmp_path_factory):
    experiment = sim.run_experiment(_launched(), replications=2, workers=1)
    return sim.save(experiment, tmp_path_factory.mktemp("launch") / "run", charts=False)


def test_days_before_the_launch_are_the_baseline_call_for_call(launch_dir):
    calls = load_results(launch_dir).calls()
    launch_min = (WARMUP + LAUNCH_DAY) * MIN_PER_DAY
    before = calls[calls["arrival_min"] < launch_min - 24 * 60]  # cleared well before the launch
    base = before[before["scenario"] == "police_only"][COLUMNS].reset_index(drop=True)
    program = before[before["scenario"] == "peer_launch"][COLUMNS].reset_index(drop=True)
    assert len(base) > 300
    pd.testing.assert_frame_equal(base, program)
    after = calls[(calls["scenario"] == "peer_launch") & (calls["arrival_min"] >= launch_min)]
    assert (after["team"] == "peer_team").mean() > 0.15, "after the launch the peer team takes calls"
    assert not (calls[(calls["scenario"] == "peer_launch") & (calls["arrival_min"] < launch_min)]["team"]
                == "peer_team").any()


def test_before_launch_the_team_is_skipped_as_off_shift():
    _base, peer = _launched()
    team = peer.teams["peer_team"]
    changes = shift_changes(team, WARMUP * MIN_PER_DAY)
    first = [next(changes) for _ in range(4)]
    launch = (WARMUP + LAUNCH_DAY) * MIN_PER_DAY
    assert first[0] == (0, 0) and first[1][0] == launch
    week = weekly_schedule(team)
    minute = launch % MIN_PER_WEEK
    in_force = [level for m, level in week if m <= minute][-1]
    assert first[1][1] == in_force and first[2][0] > launch
    no_launch = team.model_copy(update={"starts_day": None})
    plain = shift_changes(no_launch)
    assert [next(plain) for _ in range(len(week))] == [(m, lv) for m, lv in week]


def test_monthly_chart_marks_the_launch_and_its_weeks_before_match(launch_dir, tmp_path):
    table = monthly_table(load_results(launch_dir))
    wide = table.pivot_table(index=["period", "measure"], columns="scenario", values="mean")
    weeks_before = int(LAUNCH_DAY // 7)
    early = wide.loc[wide.index.get_level_values("period") < weeks_before]
    assert np.array_equal(early["police_only"].to_numpy(), early["peer_launch"].to_numpy())
    late = wide.loc[(wide.index.get_level_values("period") > weeks_before + 1)
                    & (wide.index.get_level_values("measure") == "police_contacts")]
    assert (late["peer_launch"] < late["police_only"]).all(), "fewer police contacts once peers are on shift"
    result = CliRunner().invoke(app, ["plot", str(launch_dir), "--out", str(tmp_path / "m"), "--only", "monthly"])
    assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "m" / "monthly.svg").getroot()
    svg = " ".join(" ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text")).split())
    assert "Launch: Peer team starts on day 17.5" in svg and "Week of the measured period" in svg


def test_launch_day_must_not_be_negative():
    raw = _launched()[1].to_dict()
    raw["teams"]["peer_team"]["starts_day"] = -1
    with pytest.raises(sim.ScenarioError, match="teams.peer_team.starts_day"):
        validate_scenario(raw)
