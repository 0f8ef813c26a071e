"""Charts: each one a 16:9 PNG and SVG with the scenario labels as text, redrawn from saved files alone."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from typer.testing import CliRunner

import sim
import sim.designs.experiment
import sim.engine.model
from fixtures_results import DAYS, REPLICATIONS, fixture_scenarios, results_dir  # noqa: F401 (fixture)
from sim.cli import app
from sim.outputs.plots import CHARTS, draw_all, rate_per_100_calls, responder_shares, utilisation_by_hour
from sim.outputs.style import DPI
from sim.outputs.results import load_results

LABELS = ("Police only", "Co-responder teams", "Peer-embedded teams")
NO_INTERVALS = ("who_responds", "utilisation_by_hour")
EXPECTED_FILES = {f"{c.stem}.{ext}" for c in CHARTS for ext in ("png", "svg")}


def svg_text(path) -> str:
    """All text in an SVG (text stays text because svg.fonttype is 'none')."""
    root = ET.parse(path).getroot()
    return " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


@pytest.fixture(scope="module")
def results(results_dir):  # noqa: F811
    return load_results(results_dir)


@pytest.mark.parametrize("chart", CHARTS, ids=[c.stem for c in CHARTS])
def test_chart_writes_slide_sized_png_and_svg_with_labels(chart, results, tmp_path):
    paths = chart.draw(results, tmp_path, "talk")
    assert sorted(p.name for p in paths) == sorted([f"{chart.stem}.png", f"{chart.stem}.svg"])
    png, svg = tmp_path / f"{chart.stem}.png", tmp_path / f"{chart.stem}.svg"
    with Image.open(png) as image:
        width, height = image.size
        assert abs(width - 13.33 * DPI) <= 1 and abs(height - 7.5 * DPI) <= 1
        assert image.convert("L").getextrema()[0] < 128, "the PNG has no dark ink: blank chart?"
    text = svg_text(svg)
    assert svg.stat().st_size > 5_000
    for label in LABELS:
        assert label in text, f"{label!r} missing from {svg.name}"
    assert f"Simulated, not a forecast: {REPLICATIONS} replications × {DAYS} days" in " ".join(text.split())
    assert ("95% CI" in text) == (chart.stem not in NO_INTERVALS), "95% CI only on charts that draw intervals"
    assert "police_only" not in text, "charts show scenario labels, not ids"


def test_responder_shares_cover_every_call_and_follow_the_routing(results):
    shares = responder_shares(results)
    assert shares.sum(axis=1).round(9).eq(1).all()
    assert shares.loc["police_only", ["co_responder", "civilian"]].sum() == 0
    assert shares.loc["co_responder", "co_responder"] > 0 and shares.loc["co_responder", "civilian"] == 0
    assert shares.loc["peer_embedded", "civilian"] > 0 and shares.loc["peer_embedded", "co_responder"] == 0


def test_rates_per_100_calls_match_the_replication_counts(results):
    s = results.summary[results.summary["team"] == ""]
    by = s.pivot_table(index=["scenario", "replication"], columns="metric", values="value")
    expected = (100 * by["arrests"] / by["calls"]).groupby("scenario").mean()
    got = rate_per_100_calls(results, "arrests").set_index("scenario")
    for name, value in expected.items():
        assert got.loc[name, "mean"] == pytest.approx(value)
        assert got.loc[name, "ci_low"] <= value <= got.loc[name, "ci_high"]


def test_utilisation_is_blank_off_shift_and_a_share_on_shift(results):
    util = utilisation_by_hour(results)
    peer = util[(util["scenario"] == "peer_embedded") & (util["team"] == "peer_team")].set_index("hour")
    assert peer.loc[3, "utilisation"] != peer.loc[3, "utilisation"], "no peer unit works at 03:00"
    assert 0 < peer.loc[12, "utilisation"] <= 1.5  # overtime can push an hour a little past its shift


def test_plot_command_redraws_the_same_files_without_running_the_model(results_dir, tmp_path, monkeypatch):  # noqa: F811
    folder = tmp_path / "results"
    shutil.copytree(results_dir, folder)
    first = {p.name for p in draw_all(folder, style="talk")}
    assert first == EXPECTED_FILES
    shutil.rmtree(folder / "figures")

    def no_model(*args, **kwargs):
        raise AssertionError("crisis-sim plot must not run the model")

    for module, name in ((sim.engine.model, "simulate"), (sim.designs.experiment, "simulate"), (sim.designs.experiment, "run_replication"),
                         (sim.designs.experiment, "run_experiment"), (sim, "run_experiment")):
        monkeypatch.setattr(module, name, no_model)
    result = CliRunner().invoke(app, ["plot", str(folder), "--style", "paper"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (folder / "figures").iterdir()} == first


def test_plot_command_refuses_a_folder_without_results(tmp_path):
    result = CliRunner().invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a crisis-sim results folder" in result.output


def test_plot_command_refuses_an_unknown_style(results_dir):  # noqa: F811
    result = CliRunner().invoke(app, ["plot", str(results_dir), "--style", "poster"])
    assert result.exit_code == 2
    assert not (results_dir / "figures").exists()


def test_charts_draw_with_one_replication_and_no_comparison(tmp_path):
    """One replication has no CI and one scenario has no baseline difference: charts still draw."""
    experiment = sim.run_experiment(fixture_scenarios()[:1], replications=1, days=3, workers=1)
    folder = sim.save(experiment, tmp_path / "one", charts=True, style="paper")
    # who pays and the difference chart compare with the baseline: with one scenario there is none
    assert {p.name for p in (folder / "figures").iterdir()} == EXPECTED_FILES - {
        "who_pays.png", "who_pays.svg", "difference.png", "difference.svg"}
    assert "one replication, so no CI" in svg_text(folder / "figures" / "police_hours.svg")
