"""Probabilistic sensitivity analysis (`run --draws N`): common parameter draws, exact where theory is exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from helpers import merge, write_yaml
from sim.cli import app
from sim.errors import ScenarioError
from sim.designs.psa import PsaDesign, run_psa
from sim.engine.streams import uniforms
from sim.outputs.psa_results import save_psa
from sim.scenario.loading import validate_scenario

LOW, HIGH, OVERHEAD = 100.0, 200.0, 0.5
DAYS = 1.0
STAFFED_HOURS = 2 * 24 * DAYS  # two units around the clock


def police_only() -> dict:
    return {
        "name": "police_only",
        "run": {"days": DAYS, "warmup_days": 0, "replications": 1, "seed": 17},
        "demand": {"crisis_calls_per_day": 6, "call_types": {"mental_health": {"share": 1.0}}},
        "teams": {"police": {"kind": "police", "units": 3, "cost_per_unit_hour": 65,
                             "on_scene_min": {"dist": "lognormal", "mean": 45, "sd": 30},
                             "outcomes": {"arrest": 0.1, "involuntary_hold": 0.15}}},
        "routing": [{"match": {}, "send": ["police"]}],
        "costs": {"arrest": 2500, "involuntary_hold": 3200},
    }


def peer(uncertainty: dict | None = None) -> dict:
    return merge(police_only(), {
        "name": "peer",
        "teams": {"peer_team": {"kind": "civilian", "units": 2, "cost_per_unit_hour": 150, "overhead": OVERHEAD,
                                "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 30},
                                "outcomes": {"linked_to_services": 0.3}}},
        "routing": [{"match": {}, "send": ["peer_team", "police"], "max_wait_min": 10}],
        "uncertainty": uncertainty if uncertainty is not None else {
            "teams.peer_team.cost_per_unit_hour": {"dist": "uniform", "low": LOW, "high": HIGH}},
    })


def design(draws: int, uncertainty: dict | None = None, **options) -> PsaDesign:
    return PsaDesign((validate_scenario(police_only()), validate_scenario(peer(uncertainty))), draws, **options)


@pytest.fixture(scope="module")
def big():
    return run_psa(design(200), chunk=8, sink=lambda result: None)


def comparison_row(result, metric: str, team: str = "") -> pd.Series:
    c = result.comparison
    return c[(c["metric"] == metric) & (c["team"] == team)].iloc[0]


def test_uniform_cost_gives_its_percentiles_times_staffed_hours_times_overhead(big):
    per_hour = STAFFED_HOURS * (1 + OVERHEAD)
    # each draw exactly: the drawn cost × staffed hours × (1 + overhead); the baseline has no new team
    draws = big.draws.set_index("draw")["value"]
    u = np.array([uniforms(17, k, "uncertainty:teams.peer_team.cost_per_unit_hour", 1)[0] for k in range(200)])
    assert np.allclose(draws.to_numpy(), LOW + (HIGH - LOW) * u)
    # the interval over draws: the uniform's 2.5/97.5 percentiles, within Monte Carlo error (4 sd of a
    # sample quantile: sqrt(p(1-p)/N) / density)
    row = comparison_row(big, "cost_new_teams")
    quantile_sd = np.sqrt(0.025 * 0.975 / 200) * (HIGH - LOW) * per_hour
    assert row["ui_low"] == pytest.approx((LOW + 0.025 * (HIGH - LOW)) * per_hour, abs=4 * quantile_sd)
    assert row["ui_high"] == pytest.approx((LOW + 0.975 * (HIGH - LOW)) * per_hour, abs=4 * quantile_sd)
    mean_sd = (HIGH - LOW) / np.sqrt(12 * 200) * per_hour
    assert row["diff_mean"] == pytest.approx((LOW + HIGH) / 2 * per_hour, abs=4 * mean_sd)
    assert row["prob_lower"] == 0.0


def test_memory_holds_one_chunk_of_rows_whatever_the_number_of_draws(big):
    small = run_psa(design(20), chunk=8, sink=lambda result: None)
    assert small.peak_rows_held == big.peak_rows_held > 0
    assert small.psa is None and big.psa is None
    # what grows with N is the summary itself: one value per draw, scenario and metric
    per_draw = small.summary_values_held / 20
    assert big.summary_values_held == 200 * per_draw
    # without a sink every draw's rows are kept, and the count says so
    kept = run_psa(design(20), chunk=8)
    assert kept.peak_rows_held > small.peak_rows_held and len(kept.psa) == 20 * len(kept.psa[kept.psa["draw"] == 0])


def test_a_draw_sets_the_same_value_in_every_scenario_that_has_the_key():
    d = design(5, {"teams.police.on_scene_min.mean": {"dist": "triangular", "low": 30, "mode": 45, "high": 70},
                   "teams.peer_team.overhead": {"dist": "uniform", "low": 0.2, "high": 0.8}})
    seen = []
    for k in range(5):
        base, alt = d.scenarios_for(k)
        assert base.teams["police"].on_scene_min.mean == alt.teams["police"].on_scene_min.mean
        assert "peer_team" not in base.teams  # an input is set only where its key path exists
        seen.append(alt.teams["police"].on_scene_min.mean)
        assert not alt.uncertainty  # a draw's scenario is fixed
    assert len(set(seen)) == 5
    # named streams: adding another uncertain input leaves this one's draws unchanged
    fewer = design(5, {"teams.police.on_scene_min.mean": {"dist": "triangular", "low": 30, "mode": 45, "high": 70}})
    assert [fewer.values(k)["teams.police.on_scene_min.mean"] for k in range(5)] == seen


def test_prob_lower_is_the_share_of_draws_below_zero_in_psa_csv(tmp_path):
    d = design(12, {"teams.peer_team.cost_per_unit_hour": {"dist": "uniform", "low": 0, "high": 400},
                    "costs.involuntary_hold.cost": {"dist": "uniform", "low": 1000, "high": 9000}})
    folder, result = save_psa(lambda sink: run_psa(d, sink=sink, chunk=5), d.names, tmp_path / "out", charts=False)
    psa = pd.read_csv(folder / "psa.csv").fillna({"team": ""})
    assert result.psa is None  # streamed to disk, not kept
    comp = pd.read_csv(folder / "psa_comparison.csv").fillna({"team": ""})
    for metric in ("cost_total", "involuntary_holds", "cost_downstream_health"):
        v = psa[(psa["metric"] == metric) & (psa["team"] == "")].pivot(index="draw", columns="scenario",
                                                                           values="value")
        diff = (v["peer"] - v["police_only"]).to_numpy()
        row = comp[(comp["metric"] == metric) & (comp["team"] == "")].iloc[0]
        assert row["prob_lower"] == pytest.approx(np.mean(diff < 0))
        assert row["ui_low"] == pytest.approx(np.percentile(diff, 2.5))
        assert row["ui_high"] == pytest.approx(np.percentile(diff, 97.5))
    draws = pd.read_csv(folder / "draws.csv")
    assert len(draws) == 12 * 2 and set(draws["key_path"]) == set(d.values(0))


def saved_bytes(tmp_path, name: str, **run_options) -> dict[str, bytes]:
    d = design(5, replications=2)
    folder, _ = save_psa(lambda sink: run_psa(d, sink=sink, **run_options), d.names, tmp_path / name, charts=False)
    return {f: (folder / f).read_bytes() for f in ("psa.csv", "draws.csv", "psa_comparison.csv", "drivers.csv")}


def test_identical_bytes_serial_parallel_and_dask(tmp_path):
    serial = saved_bytes(tmp_path, "serial", chunk=2)
    assert saved_bytes(tmp_path, "parallel", workers=2) == serial
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert saved_bytes(tmp_path, "dask", scheduler=cluster.scheduler_address) == serial


@pytest.mark.parametrize("uncertainty, named, words", [
    ({"teams.peer_team.cost_per_unit_hr": {"dist": "uniform", "low": 1, "high": 2}},
     "uncertainty.teams.peer_team.cost_per_unit_hr", "has no key"),
    ({"teams.peer_team.cost_per_unit_hour": {"dist": "uniform", "low": -50, "high": 200}},
     "uncertainty.teams.peer_team.cost_per_unit_hour.low", "greater than or equal to 0"),
    ({"teams.police.outcomes.default.arrest": {"dist": "uniform", "low": 0.5, "high": 1.2}},
     "uncertainty.teams.police.outcomes.default.arrest", "less than or equal to 1"),
    ({"teams.police.outcomes.default.arrest": {"dist": "beta", "mean": 0.1, "sd": 0.4}},
     "uncertainty.teams.police.outcomes.default.arrest", "needs sd below"),
])
def test_bad_uncertainty_exits_2_naming_the_key(tmp_path, uncertainty, named, words):
    a = write_yaml(tmp_path / "a.yaml", police_only())
    b = write_yaml(tmp_path / "b.yaml", peer(uncertainty))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(a), str(b), "--draws", "3", "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert named in result.output and words in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_draws_without_uncertain_inputs_is_bad_input(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", police_only())
    result = CliRunner().invoke(app, ["run", str(a), "--draws", "3", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "uncertainty" in result.output


def test_run_draws_writes_the_folder_charts_and_a_report_that_leads_with_how_sure(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", police_only())
    b = write_yaml(tmp_path / "b.yaml", peer())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(a), str(b), "--draws", "6", "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "How sure are we?" in result.output and "plausible cities" in result.output
    assert "[bold]" not in result.output and "[/]" not in result.output  # styles, not markup text
    names = {p.name for p in out.iterdir()}
    assert {"draws.csv", "psa.csv", "psa_comparison.csv", "manifest.json", "report.html"} <= names
    assert "calls" not in names  # no calls per draw unless asked
    assert {p.name for p in (out / "figures").iterdir()} >= {"psa_probability.png", "psa_cost_effect.png",
                                                              "psa_drivers.png"}
    html = (out / "report.html").read_text()
    assert html.index("How sure are we?") < html.index("Charts")
    assert "In 100% of 6 plausible cities, peer cost the city more" in html
    assert "$" not in html.split("How sure are we?")[1].split("Charts")[0]  # no `currency`: no dollar sign


def test_a_result_kept_in_memory_saves_like_any_design(tmp_path):
    import sim

    result = run_psa(design(3))
    folder = sim.save(result, tmp_path / "kept", charts=False)
    psa = pd.read_csv(folder / "psa.csv")
    assert sorted(set(psa["draw"])) == [0, 1, 2]
    from sim.outputs.results import results_kind

    assert results_kind(folder) == "psa"


def test_check_names_a_distribution_out_of_range(tmp_path):
    b = write_yaml(tmp_path / "b.yaml", peer({"teams.peer_team.outcomes.default.linked_to_services":
                                             {"dist": "triangular", "low": 0.2, "mode": 0.5, "high": 1.3}}))
    result = CliRunner().invoke(app, ["check", str(b)])
    assert result.exit_code == 2
    assert "uncertainty.teams.peer_team.outcomes.default.linked_to_services" in result.output and "reaches 1.299" in result.output


def test_scenarios_with_uncertain_inputs_pickle_for_worker_processes():
    import pickle

    from sim.scenario.loading import load_scenario

    from helpers import SCENARIOS

    for name in ("peer_embedded", "co_responder", "idd_peer"):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml")
        assert scenario.uncertainty and pickle.loads(pickle.dumps(scenario)) == scenario


def test_a_draw_no_city_can_have_stops_the_run_before_anything_is_simulated(tmp_path):
    # holds and ED transports 0.05-0.5 are each fine beside the other's 0.1 and linkage 0.3, but a draw with
    # both above 0.35 or so puts the chances past 1: only the draw can tell, and it stops the run up front
    b = peer({"teams.peer_team.outcomes.default.involuntary_hold": {"dist": "uniform", "low": 0.05, "high": 0.5},
              "teams.peer_team.outcomes.default.ed_transport": {"dist": "uniform", "low": 0.05, "high": 0.5}})
    b["teams"]["peer_team"]["outcomes"].update(involuntary_hold=0.1, ed_transport=0.1)
    a, b = write_yaml(tmp_path / "a.yaml", police_only()), write_yaml(tmp_path / "b.yaml", b)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(a), str(b), "--draws", "40", "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "draw" in message and "teams.peer_team.outcomes.default.involuntary_hold=" in message, message
    assert "sum to" in message and "Traceback" not in result.output and not out.exists()
    # the check itself reaches past the first draw (which is a possible city here)
    scenarios = (validate_scenario(police_only()), validate_scenario(yaml.safe_load(b.read_text())))
    for seed in range(1, 50):  # a seed whose first draw is possible
        d = PsaDesign(scenarios, 40, seed=seed)
        try:
            d.scenarios_for(0)
            break
        except ScenarioError:
            continue
    with pytest.raises(ScenarioError, match="draw"):
        d.check()


def test_amounts_in_words_carry_the_scenarios_currency():
    from sim.outputs.formatting import money

    assert money(6.02e6, "USD", diff=True) == "+$6.02 M"
    assert money(-450e3, "EUR", diff=True) == "\u2212€450 k"
    assert money(1.2e6) == "1.20 M"
    assert money(-2e3, "CHF", minus="-") == "-2,000 CHF"
    assert money(0.4, "USD", diff=True) == "$0"
