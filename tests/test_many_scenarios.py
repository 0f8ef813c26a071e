"""Charts and tables hold up with six scenarios and long labels: no text collides, nothing
leaves the figure, and no number reads "−0"."""

from __future__ import annotations

import itertools

import pytest

import sim
import sim.outputs.design_charts
import sim.outputs.plots
from fixtures_results import fixture_scenarios
from sim.outputs.plots import CHARTS
from sim.outputs.results import load_results

LONG = (
    "Peer-embedded teams with twice the staffing on weekday evenings and weekends",
    "Co-responder teams paired with a clinician from the county behavioural-health department",
    "Police only, with crisis intervention training for every patrol officer",
)


def six_scenarios() -> list[sim.Scenario]:
    base = fixture_scenarios()
    longer = [sim.derive(s, {}, f"{s.name}_variant", label) for s, label in zip(base, LONG)]
    return base + longer


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    experiment = sim.run_experiment(six_scenarios(), replications=2, days=6, workers=1)
    return sim.save(experiment, tmp_path_factory.mktemp("six") / "results", charts=False)


def _texts(fig):
    """(text, window extent) of every text artist a draw of the figure actually draws."""
    from unittest import mock

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    drawn = []
    original = Text.draw

    def recording_draw(self, renderer):
        if self.get_visible() and str(self.get_text()).strip():
            drawn.append(self)
        return original(self, renderer)

    with mock.patch.object(Text, "draw", recording_draw):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out, seen = [], set()
    for artist in drawn:
        if id(artist) in seen:
            continue
        seen.add(id(artist))
        box = artist.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            out.append((str(artist.get_text()), box))
    return out


def collisions(fig, slack: float = 1.0) -> list[str]:
    """Pairs of texts whose boxes overlap, and texts that leave the figure."""
    texts = _texts(fig)
    problems = []
    frame = fig.bbox
    for text, box in texts:
        if box.x0 < frame.x0 - slack or box.x1 > frame.x1 + slack or box.y0 < frame.y0 - slack or box.y1 > frame.y1 + slack:
            problems.append(f"outside the figure: {text!r}")
    for (t1, b1), (t2, b2) in itertools.combinations(texts, 2):
        if t1 == t2 and b1.bounds == b2.bounds:
            continue
        dx = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        dy = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        if dx > slack and dy > slack:
            problems.append(f"overlap: {t1!r} and {t2!r}")
    return problems


@pytest.mark.parametrize("style", ["talk", "paper"])
def test_six_scenarios_with_long_labels_draw_without_collisions(six, style, tmp_path, monkeypatch):
    found: dict[str, list[str]] = {}
    original = sim.outputs.plots.finish

    def checking_finish(fig, st, title, caption, out_dir, stem):
        found[stem] = collisions(fig)
        return original(fig, st, title, caption, out_dir, stem)

    monkeypatch.setattr(sim.outputs.plots, "finish", checking_finish)
    results = load_results(six)
    for chart in CHARTS:
        chart.draw(results, tmp_path, style)
    assert set(found) == {c.stem for c in CHARTS}
    bad = {stem: problems for stem, problems in found.items() if problems}
    assert not bad, bad


def test_the_collision_check_can_fail():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    fig.text(0.1, 0.5, "one long label here")
    fig.text(0.12, 0.5, "another label")
    fig.text(0.9, 0.9, "leaves the figure on the right")
    problems = collisions(fig)
    assert any(p.startswith("overlap") for p in problems)
    assert any(p.startswith("outside") for p in problems)


def test_no_minus_zero_and_no_placeholder_currency_in_chart_text(six, tmp_path):
    import xml.etree.ElementTree as ET

    sim.draw_folder(six, out=tmp_path / "figures")
    for svg in (tmp_path / "figures").glob("*.svg"):
        root = ET.parse(svg).getroot()
        text = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))
        assert "−0 " not in text and "-0 " not in text and "−0\n" not in text, svg.name
        assert "scenario currency" not in text, svg.name


def test_formatter_never_prints_minus_zero():
    from sim.outputs.formatting import MINUS, fmt

    assert fmt(-0.0004, "count") == "0.00"
    assert fmt(-0.00004, "share", diff=True) == "0.0 pts"
    assert fmt(-0.04, "minutes", diff=True, minus=MINUS) == "0.0"
    assert fmt(-3.0, "count", diff=True, minus=MINUS) == f"{MINUS}3"
    assert fmt(0.123, "fallback_share") == "12.3%"


CHROMIUM = __import__("pathlib").Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                                   "(`apt-get install chromium`; .ci/run installs it)")
def test_headline_table_of_six_scenarios_fits_a_1400_px_page(six, tmp_path):
    import shutil
    import subprocess

    folder = tmp_path / "six"
    shutil.copytree(six, folder)
    html = (sim.write_report(folder)).read_text(encoding="utf-8")
    probe = ("<script>window.addEventListener('load', () => { const t = document.getElementById('headline-table');"
             "document.body.setAttribute('data-widths', t.scrollWidth + ' ' + t.parentElement.clientWidth); });"
             "</script></body>")
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=180).stdout
    import re

    found = re.search(r'data-widths="(\d+) (\d+)"', dom)
    assert found, dom[-500:]
    table_width, room = map(int, found.groups())
    assert table_width <= room, f"headline table {table_width} px wide in {room} px"
