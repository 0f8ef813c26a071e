"""report.html: self-contained, tells the whole story, and renders in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from fixtures_results import REPLICATIONS, results_dir  # noqa: F401 (fixture)
from sim.cli import app
from sim.outputs.plots import CHARTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
LABELS = ("Police only", "Co-responder teams", "Peer-embedded teams")


@pytest.fixture(scope="module")
def report(results_dir, tmp_path_factory):  # noqa: F811
    """`crisis-sim report` on a copy of the fixture folder, which has no figures yet."""
    folder = tmp_path_factory.mktemp("report") / "results"
    shutil.copytree(results_dir, folder)
    assert not (folder / "figures").exists()
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "report.html"


def test_report_draws_missing_charts_first(report):
    names = {p.name for p in (report.parent / "figures").iterdir()}
    assert {f"{c.stem}.png" for c in CHARTS} <= names


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
    assert len(sources) == len(CHARTS)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    # nothing for the browser to fetch: no external scripts, styles, fonts or images
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "@import" not in html and "url(" not in html


def test_report_tells_the_whole_story(report):
    html = report.read_text(encoding="utf-8")
    for section in ("question", "scenarios", "headline", "charts", "methods", "assumptions"):
        assert f'id="{section}"' in html
    for label in LABELS:
        assert html.count(label) >= 3  # question, scenario card, table header (and more)
    assert "vs baseline" in html and "95% CI" in html
    assert f"{REPLICATIONS} replications" in html and "warm-up" in html
    assert "Common random numbers" in html and "Student t" in html
    # scenarios in plain words: shifts, routing with its wait, and the resolved values
    assert "Mon–Fri 08:00–22:00: 2 units" in html
    assert "Peer team → Police patrol (next team after 10 min waiting)" in html
    assert "lognormal (mean 14, sd 7)" in html and "peer_embedded.yaml" in html
    assert 'name="viewport"' in html  # readable on a phone
    # each chart's words are its drawer's whole first sentence, not a line cut at a comma
    assert "a co-responder, police, by phone, or unserved, per scenario." in html


def test_report_command_refuses_a_folder_without_results(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert not (tmp_path / "missing").exists()


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


def screenshot_has_ink(page: Path, tmp_path: Path) -> str:
    """Screenshot a page at 1280 x 2000 in headless Chromium, check it is not blank, return its URL."""
    url = page.resolve().as_uri()
    shot = tmp_path / f"{page.stem}.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1280,2000", url, profile=tmp_path / "profile-1")
    assert shot.exists(), done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        dark = sum(image.convert("L").histogram()[:160])
        assert dark > 0.005 * 1280 * 2000, "the screenshot is (almost) blank"
    return url


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                                   "(`apt-get install chromium`; .ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    url = screenshot_has_ink(report, tmp_path)

    dom = chromium("--dump-dom", url, profile=tmp_path / "profile-2").stdout
    assert 'id="headline-table"' in dom
    table = dom[dom.index('id="headline-table"'):]
    table = table[:table.index("</table>")]
    for label in LABELS:
        assert label in table
    assert "Arrests per year" in table and "vs baseline" in table
    assert len(re.findall(r"<img ", dom)) == len(CHARTS)


# --- the planner's folder ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def plan_report(tmp_path_factory):
    """`crisis-sim plan` on a small zoned city (with a budget, so the curve is simulated), then `report`."""
    import yaml

    from test_stations import line_city

    root = tmp_path_factory.mktemp("plan_report")
    data = line_city({"b": 3})
    data["teams"]["team"]["fixed_per_year"] = 100_000
    path = root / "line.yaml"
    path.write_text(yaml.safe_dump(data))
    folder = root / "plan"
    result = CliRunner().invoke(app, ["plan", str(path), "--team", "team", "--target", "response_min_mean[team]<=12",
                                      "--budget", "3000000", "--shift-lengths", "12", "--starts", "00:00,12:00",
                                      "-r", "3", "--max-replications", "6", "--curve-replications", "2",
                                      "--workers", "1", "--out", str(folder), "--quiet", "--no-charts"])
    assert result.exit_code == 0, result.output
    assert not (folder / "figures").exists()
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "report.html"


PLAN_CHART_STEMS = ("plan_units_by_hour", "plan_budget_curve", "plan_stations")


def test_plan_report_has_the_answer_candidates_stations_and_charts(plan_report):
    import json
    from html import escape

    import pandas as pd

    folder = plan_report.parent
    assert {f"{s}.png" for s in PLAN_CHART_STEMS} <= {p.name for p in (folder / "figures").iterdir()}
    html = plan_report.read_text(encoding="utf-8")
    for section in ("question", "answer", "candidates", "stations", "charts", "budget-curve", "methods"):
        assert f'id="{section}"' in html
    plan = json.loads((folder / "manifest.json").read_text())["plan"]
    assert escape(plan["message"], quote=False) in html
    assert "the fixed 100,000 included" in plan["message"]
    assert "bases: {" in html  # the pasted YAML with the planned bases
    candidates = pd.read_csv(folder / "candidates.csv")
    table = html[html.index('id="candidates-table"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr") == len(candidates) + 1  # header and one row per simulated candidate
    for cost in candidates["cost_per_year"]:
        assert f"{cost:,.0f}" in table
    assert "its fixed\n100,000 a year" in html  # costs include the team's fixed cost, and the page says so
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
    assert len(sources) == len(PLAN_CHART_STEMS) and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "url(" not in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium")
def test_plan_report_renders_in_headless_chromium(plan_report, tmp_path):
    url = screenshot_has_ink(plan_report, tmp_path)
    dom = chromium("--dump-dom", url, profile=tmp_path / "profile-2").stdout
    assert 'id="candidates-table"' in dom and 'id="stations-table"' in dom
    assert len(re.findall(r"<img ", dom)) == len(PLAN_CHART_STEMS)


def test_report_says_which_differences_are_inputs_and_what_the_model_finds(report):
    html = report.read_text(encoding="utf-8")
    section = html[html.index('id="givens"'):html.index("</section>", html.index('id="givens"'))]
    assert "Inputs, not findings" in section
    # the fixture's teams state their own chances: the report names them as given, per scenario and team
    co = section[section.index("Co-responder teams, Co-responder team:"):]
    assert co.startswith("Co-responder teams, Co-responder team: its own chances instead of police&#39;s (")
    assert "arrests 4%" in co.split("</li>")[0] and "linkage to services 25%" in co.split("</li>")[0]
    peer = section[section.index("Peer-embedded teams, Peer team:"):].split("</li>")[0]
    assert "ED transports 5%" in peer and "linkage to services 35%" in peer
    assert "Police only," not in section  # police are the reference, not an input of this kind
    assert "which calls each team gets" in section and "--draws" in section


def test_givens_name_effect_ratios_and_role_effects():
    import yaml

    from sim.outputs.givens import givens
    from helpers import SCENARIOS
    from sim.scenario.loading import load_scenario

    class Saved:  # the two attributes givens reads from a results folder
        scenarios = {"peer_embedded": yaml.safe_load(yaml.safe_dump(
            load_scenario(SCENARIOS / "peer_embedded.yaml").to_dict()))}

        @staticmethod
        def label(name):
            return "Peer-embedded teams"

    lines = givens(Saved, ["peer_embedded"])["inputs"]
    peer = next(line for line in lines if "Peer + clinician team" in line)
    assert "involuntary holds ×0.5" in peer and "linkage to services ×8" in peer
    assert "the Peer support specialist's" in peer and "linkage to services ×1.25" in peer


def test_assumptions_say_travel_comes_from_the_geography_and_skip_a_follow_up_only_team():
    from helpers import ROOT
    from sim.outputs.report import assumptions
    from sim.scenario.loading import load_scenario

    peer = dict(assumptions(load_scenario(ROOT / "scenarios" / "peer_embedded.yaml").to_dict()))
    assert peer["Geography"].startswith("6 zones (share of calls: downtown 28%")
    assert "mean travel 5–38 min from a base to a call" in peer["Geography"]
    assert peer["Peer + clinician team: travel / on scene (min)"].startswith(
        "turnout constant (value 2) + travel from the unit's base / lognormal")
    assert not any(k.startswith("Peer follow-up team:") for k in peer)  # it makes follow-up visits only
    assert "linkage to services ×1.25" in peer["Peer support specialist: effects (risk ratios)"]
    assert peer["Call types"].endswith("IDD 5%") and "ED transport" in peer["Police: outcomes (over the call mix)"]
    # without geography, travel is the team's own distribution
    plain = load_scenario(ROOT / "scenarios" / "peer_embedded.yaml").to_dict()
    del plain["geography"]
    for team in plain["teams"].values():
        team.pop("turnout_min", None)
    rows = dict(assumptions(plain))
    assert "Geography" not in rows
    assert rows["Police: travel / on scene (min)"].startswith("constant (value 0) / lognormal")
