"""The planner's page under Streamlit's AppTest: pages render, runs match the library, bad edits block Run."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit", reason="the page needs the `app` extra: pip install -e '.[app]'")
from streamlit.testing.v1 import AppTest  # noqa: E402

import sim  # noqa: E402
from helpers import SCENARIOS  # noqa: E402
from sim.app import config as app_config  # noqa: E402
from sim.app.ui import headline_frame, shared_cache  # noqa: E402
from sim.outputs.folders import save  # noqa: E402
from sim.outputs.report import headline_rows  # noqa: E402
from sim.outputs.results import load_results  # noqa: E402
from sim.scenario.loading import load_raw, set_key_path, validate_scenario  # noqa: E402

MAIN = Path(sim.__file__).parent / "app" / "main.py"
PAGES = ("pages/compare.py", "pages/staffing.py", "pages/sure.py", "pages/open_results.py", "pages/downloads.py")
PEER_UNITS = "edit:peer_embedded_copy:teams.peer_team.shifts[0].units"
DAYS, WARMUP, REPS, SEED = 6, 1, 2, 2026


@pytest.fixture
def given(tmp_path, monkeypatch):
    """The page started with copies of two shipped scenarios, small run settings and its own results root."""
    folder = tmp_path / "given"
    folder.mkdir()
    shutil.copy(SCENARIOS / "base.yaml", folder / "base.yaml")
    police = folder / "police_only.yaml"
    shutil.copy(SCENARIOS / "police_only.yaml", police)
    peer = folder / "peer.yaml"  # a name of its own, so this test's cache entries are its own
    peer.write_text((SCENARIOS / "peer_embedded.yaml").read_text().replace("name: peer_embedded", "name: peer_embedded_copy"))
    env = app_config.environment([police, peer], tmp_path / "results", workers=1, days=DAYS, warmup_days=WARMUP,
                                 replications=REPS)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return {"files": [police, peer], "results": tmp_path / "results",
            "digests": {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}}


def app_test() -> AppTest:
    return AppTest.from_file(str(MAIN), default_timeout=180)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_every_page_renders(given):
    at = app_test().run()
    no_exceptions(at)
    assert at.title[0].value == "Compare staffing options"
    assert not at.button(key="run").disabled
    for page in PAGES[1:]:
        at.switch_page(page).run()
        no_exceptions(at)
    assert any("No results folder" in i.value for i in at.info), "How sure? says there is nothing yet"


def test_open_results_says_what_is_wrong_with_a_damaged_folder(given):
    """A results folder whose manifest was cut short is named with what is wrong, not a traceback."""
    damaged = given["results"] / "cut" / "20261127-120000"
    damaged.mkdir(parents=True)
    (damaged / "manifest.json").write_text('{"kind": "run", "scenarios": [{"na')
    at = app_test().run()
    at.switch_page("pages/open_results.py").run()
    no_exceptions(at)
    assert any("manifest.json is damaged" in e.value and "rerun the command" in e.value for e in at.error), \
        [e.value for e in at.error]

    good = save(sim.run_experiment([sim.load_scenario(given["files"][0])], replications=2, days=1, warmup_days=0),
                given["results"] / "good", charts=False)
    at.text_input(key="keep:open:typed").set_value(str(good)).run()
    no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert any(c.value.startswith("run results") for c in at.caption)


def test_invalid_edit_shows_the_check_message_and_disables_run(given):
    at = app_test().run()
    at.text_input(key="edit:peer_embedded_copy:teams.peer_team.shifts[0].end").set_value("08:00").run()
    no_exceptions(at)
    messages = [e.value for e in at.error]
    assert any(m.startswith("teams.peer_team.shifts[0].end: must differ from start (08:00)") for m in messages)
    assert at.button(key="run").disabled
    at.text_input(key="edit:peer_embedded_copy:teams.peer_team.shifts[0].end").set_value("20:00").run()
    assert not at.button(key="run").disabled


def test_run_shows_the_library_numbers_and_downloads_hold_the_files(given):
    at = app_test().run()
    at.number_input(key=PEER_UNITS).set_value(7).run()
    at.button(key="run").click().run()
    no_exceptions(at)

    raw = set_key_path(load_raw(given["files"][1]), "teams.peer_team.shifts[0].units", 7)
    edited = validate_scenario({**raw, "name": "peer_embedded_copy_edited", "label": "Peer-embedded teams (edited)"})
    direct = sim.run_experiment([sim.load_scenario(given["files"][0]), edited], replications=REPS, days=DAYS,
                                warmup_days=WARMUP, seed=SEED)
    pd.testing.assert_frame_equal(at.session_state["compare_experiment"].metrics, direct.metrics)
    pd.testing.assert_frame_equal(at.session_state["compare_experiment"].comparison, direct.comparison)

    folder = Path(at.session_state["compare_result"]["folder"])
    assert folder.parent.parent == given["results"]
    saved = load_results(save(direct, given["results"].parent / "direct", charts=False))
    labels = ["Police only", "Peer-embedded teams (edited)"]
    expected = headline_frame(headline_rows(saved, direct.names), labels, labels[0])
    shown = at.table[0].value
    assert list(shown.columns) == list(expected.columns)
    assert shown.to_numpy().tolist() == expected.to_numpy().tolist()
    assert any("** compared with Police only:" in m.value for m in at.markdown)
    assert len(at.get("image")) == len(sim.CHARTS), "every standard chart"

    runs = shared_cache().replications_simulated
    at.radio(key=f"keep:{at.session_state['compare_result']['key']}:style").set_value("paper").run()
    no_exceptions(at)
    assert shared_cache().replications_simulated == runs, "a chart option never re-runs the model"

    at.switch_page("pages/downloads.py").run()
    no_exceptions(at)
    labels = {b.label for b in at.download_button}
    assert {"Results folder (.zip)", "report.html", "metrics.csv", "summary.csv", "comparison.csv",
            "peer_embedded_copy_edited.yaml"} <= labels
    assert {p.name for p in (folder / "figures").glob("*.png")} >= {"cost.png", "who_responds.png"}
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in given["digests"]} == given["digests"], \
        "the given scenario files are never written"


def test_staffing_page_finds_what_the_library_finds_and_shows_its_search(given):
    at = app_test().run()
    at.switch_page("pages/staffing.py").run()
    no_exceptions(at)
    assert at.selectbox(key="keep:staff:scenario").value == "peer_embedded"  # the shipped program, by default
    at.text_area(key="keep:staff:peer_embedded:peer_team:targets").set_value(
        "utilization[peer_team]<=0.8").run()
    for key, value in (("keep:staff:min", 1), ("keep:staff:max", 4), ("keep:staff:reps", 2),
                       ("keep:staff:maxreps", 2), ("keep:staff:days", 5)):
        at.number_input(key=key).set_value(value).run()
    at.button(key="staff:run").click().run()
    no_exceptions(at)
    folder = Path(at.session_state["staff_result"])
    assert folder.parent.parent == given["results"] and (folder / "search.csv").exists()
    from sim.analysis.targets import parse_target
    from sim.designs.staffing import StaffingQuestion, find_staffing

    question = StaffingQuestion(sim.load_scenario(SCENARIOS / "peer_embedded.yaml"), "peer_team",
                                (parse_target("utilization[peer_team]<=0.8"),), max_units=4, min_units=1,
                                replications=2, max_replications=2, days=5.0)
    direct = find_staffing(question, workers=1)
    shown = pd.read_csv(folder / "search.csv")
    assert shown["units"].tolist() == direct.search["units"].tolist()
    assert at.subheader[0].value == "Staffing levels tried" and len(at.table) == 1
