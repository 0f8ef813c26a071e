"""The shift planner confirms its answer with fresh seeds, as `staff` does, and words its claim the same way."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from sim.analysis.targets import CLAIM, parse_target
from sim.cli import app
from sim.designs import staffing
from sim.designs.confirm import fresh_seed
from sim.designs.plan import PlanQuestion, plan_shifts
from sim.scenario.loading import validate_scenario
from test_plan import city

TARGET = "eligible_reached_share[crew]>=0.75"


def small_question(**extra) -> PlanQuestion:
    hourly = [0.4] * 8 + [1.0] * 4 + [1.8] * 8 + [0.8] * 4
    raw = city(hourly, calls_per_day=60, service_min=45.0, max_wait=10)
    raw["run"] = {"days": 20, "warmup_days": 2, "replications": 3, "seed": 11}
    return PlanQuestion(validate_scenario(raw), "crew", (parse_target(TARGET),), shift_lengths=(12,), starts=(0, 12),
                        replications=3, max_replications=6, curve_replications=0, **extra)


def test_the_search_answer_is_rerun_on_fresh_seeds_and_judged_once():
    result = plan_shifts(small_question())
    assert result.met and result.confirmed
    fresh = result.fresh
    assert fresh.seed == fresh_seed(11) != 11
    table = result.confirmation_table()
    # one look per candidate, at max_replications, on fresh seeds; the answer is the first that meets
    assert (table["replications"] == 6).all() and (table["new_replications"] == 6).all()
    assert table["verdict"].iloc[-1] == "met" and (table["verdict"].iloc[:-1] != "met").all()
    assert table["candidate"].iloc[-1] == result.answer + 1
    assert table["candidate"].iloc[0] == result.search_answer + 1
    # the answer's reported values are the confirmation's, not the search's
    mean, lo, hi, verdict = result.target_values(result.answer)[TARGET]
    row = table.iloc[-1]
    assert (mean, lo, hi) == (row[f"{TARGET} mean"], row[f"{TARGET} ci_low"], row[f"{TARGET} ci_high"])
    assert CLAIM in result.message() and "confirmed with fresh replications" in result.message()
    assert "95% confidence" not in result.message()
    # the answer's value in the metric's own format, as the tables show it (a share as a percentage)
    from sim.analysis.numbers import interval

    shown = f"eligible_reached_share[crew] {interval(mean, lo, hi, 'eligible_reached_share', short=True)}"
    assert shown in result.message() and "%" in shown


def test_an_answer_that_fails_confirmation_moves_up_the_ladder(monkeypatch):
    """Force the fresh look at the search's answer to fail: the next candidate up is confirmed instead."""
    real = staffing.Confirmation.meets
    failed = []

    def meets(self, key, scenario, columns=None):
        verdict = real(self, key, scenario, columns)
        if self.seed == fresh_seed(11) and not failed:
            failed.append(key)
            self.rows[-1]["verdict"] = "not met"
            return False
        return verdict

    monkeypatch.setattr(staffing.Confirmation, "meets", meets)
    result = plan_shifts(small_question())
    assert failed == [result.search_answer]
    assert result.answer != result.search_answer
    assert result.candidates[result.answer].cost > result.candidates[result.search_answer].cost
    assert result.met and "did not confirm" in result.message()


def test_plan_command_writes_the_confirmation_and_no_confirm_says_what_it_skips(tmp_path):
    path = tmp_path / "flat.yaml"
    q = small_question()
    path.write_text(yaml.safe_dump(q.scenario.to_dict()))
    common = ["plan", str(path), "--team", "crew", "--target", TARGET, "--shift-lengths", "12",
              "--starts", "00:00,12:00", "-r", "3", "--max-replications", "6", "--curve-replications", "0",
              "--workers", "1", "--no-charts"]
    out = tmp_path / "confirmed"
    result = CliRunner().invoke(app, [*common, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Confirmation with fresh replications: candidate" in result.output
    assert CLAIM in result.output and "95% confidence" not in result.output
    plan = json.loads((out / "manifest.json").read_text())["plan"]
    assert plan["confirmed_with_fresh_seeds"] is True and (out / "confirmation.csv").exists()

    out = tmp_path / "unconfirmed"
    result = CliRunner().invoke(app, [*common, "--no-confirm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "not confirmed with fresh replications" in result.output
    assert not (out / "confirmation.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["plan"]["confirmed_with_fresh_seeds"] is False


def test_staff_words_its_claim_as_the_planner_does(tmp_path):
    from test_staffing import mmc_raw

    path = tmp_path / "mmc.yaml"
    path.write_text(yaml.safe_dump(mmc_raw()))
    common = ["staff", str(path), "--team", "crew", "--target", "wait_min_mean<=5", "--max-units", "10", "-r", "2",
              "--max-replications", "4", "--days", "10", "--workers", "1", "--no-charts", "--quiet"]
    result = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "in the search" in result.output and f"({CLAIM};" in result.output
    assert "95% confidence" not in result.output
    result = CliRunner().invoke(app, [*common, "--no-confirm", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "not confirmed with fresh replications (--no-confirm)" in result.output and CLAIM in result.output
