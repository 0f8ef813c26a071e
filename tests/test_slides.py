"""Slides a presenter can use as they are: identity colours, honest captions, the difference chart,
presentation controls, readable type, and charts that survive many long labels."""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

import sim
import sim.outputs.plots as plots
from fixtures_results import DAYS, fixture_scenarios, results_dir  # noqa: F401 (fixture)
from sim.cli import app
from sim.outputs.difference_chart import difference_table, row_summary
from sim.outputs.identity import IDENTITY_COLOURS, identities, identity_colour
from sim.outputs.results import _seal, load_results
from sim.outputs.style import DPI, look
from sim.scenario.loading import validate_scenario


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    return " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


@pytest.fixture
def captured(monkeypatch):
    """Every figure a chart finishes, kept for inspection after it is saved."""
    figures = []
    original = plots.finish

    def keep(fig, style, title, caption, out_dir, stem):
        paths = original(fig, style, title, caption, out_dir, stem)
        figures.append((stem, fig, paths))
        return paths

    monkeypatch.setattr(plots, "finish", keep)
    return figures


def _lightness(colour: str) -> float:
    import matplotlib.colors as mc

    def lin(u):
        return u / 12.92 if u <= 0.04045 else ((u + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(u) for u in mc.to_rgb(colour))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16


# ---------------------------------------------------------------------------- identity colours


def test_a_scenario_keeps_its_colour_whatever_the_run_and_its_order():
    specs = {s.name: s.to_dict() for s in fixture_scenarios()}
    alone = {n: identities({n: spec})[n][0] for n, spec in specs.items()}
    for order in itertools.permutations(specs):
        together = identities({n: specs[n] for n in order})
        assert {n: c for n, (c, _v) in together.items()} == alone
    assert alone == {"police_only": IDENTITY_COLOURS["police"], "co_responder": IDENTITY_COLOURS["co_responder"],
                     "peer_embedded": IDENTITY_COLOURS["civilian"]}


def test_siblings_of_one_colour_get_patterns_by_name_and_overrides_win():
    peer = next(s for s in fixture_scenarios() if s.name == "peer_embedded").to_dict()
    twin = {**copy.deepcopy(peer), "name": "another_peer"}
    looks = identities({"peer_embedded": peer, "another_peer": twin})
    assert looks == identities({"another_peer": twin, "peer_embedded": peer})  # order-free
    assert looks["peer_embedded"][0] == looks["another_peer"][0] and {v for _c, v in looks.values()} == {0, 1}
    assert identity_colour({**peer, "color": "#123456"}) == "#123456"
    team_coloured = copy.deepcopy(peer)
    team_coloured["teams"]["peer_team"]["color"] = "mixed"
    assert identity_colour(team_coloured) == IDENTITY_COLOURS["mixed"]


def test_identity_colours_lie_at_distinct_lightness():
    levels = sorted(_lightness(c) for c in IDENTITY_COLOURS.values())
    assert min(b - a for a, b in zip(levels, levels[1:])) >= 15, levels


def test_series_stay_distinct_when_the_chart_is_printed_in_grey(results_dir, tmp_path, captured):  # noqa: F811
    """Rendered PNG in greyscale: the bars of the three scenarios differ clearly in grey level."""
    results = load_results(results_dir)
    plots.plot_police_hours(results, tmp_path, "talk")
    stem, fig, paths = captured[-1]
    grey = np.asarray(Image.open(paths[0]).convert("L"), dtype=float)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert len(bars) == 3
    levels = []
    for bar in bars:
        box = bar.get_window_extent()
        x, y = int((box.x0 + box.x1) / 2), int(grey.shape[0] - (box.y0 + box.y1) / 2)
        levels.append(float(np.median(grey[y - 5:y + 5, x - 5:x + 5])))
    assert min(abs(a - b) for a, b in itertools.combinations(levels, 2)) >= 30, levels


def test_who_responds_shows_civilian_backup_and_phone_in_identity_colours(results_dir, tmp_path):  # noqa: F811
    results = load_results(results_dir)
    shares = plots.responder_shares(results)
    calls = results.calls(["scenario", "team", "police_on_scene", "disposition"])
    peer = calls[(calls["scenario"] == "peer_embedded") & (calls["team"] == "peer_team")]
    assert shares.loc["peer_embedded", "civilian_backup"] > 0
    assert shares.loc["peer_embedded", "civilian_backup"] == pytest.approx(
        peer["police_on_scene"].sum() / (calls["scenario"] == "peer_embedded").sum(), rel=0.2)
    paths = plots.plot_who_responds(results, tmp_path, "talk")
    text = svg_text(paths[1])
    for words in ("Civilian / peer team alone", "Civilian / peer + police backup", "Police", "By phone"):
        assert words in text


# ---------------------------------------------------------------------------- captions


@pytest.fixture(scope="module")
def noted_dir(tmp_path_factory):
    """The fixture city with a place, a currency and a note on the peer scenario."""
    raw = [s.to_dict() for s in fixture_scenarios()]
    raw[0].update(city="Testville, a small synthetic city", currency="USD")
    raw[2]["note"] = "peer effects are assumptions"
    experiment = sim.run_experiment([validate_scenario(r) for r in raw], replications=2, days=10, workers=1)
    return sim.save(experiment, tmp_path_factory.mktemp("noted") / "run", charts=False)


def test_captions_carry_place_forecast_warning_currency_noise_and_notes(noted_dir, tmp_path):
    paths = sim.draw_folder(noted_dir, out=tmp_path / "figs")
    texts = {p.stem: " ".join(svg_text(p).split()) for p in paths if p.suffix == ".svg"}
    for stem, text in texts.items():
        assert "Testville, a small synthetic city" in text, stem
        assert "not a forecast" in text, stem
        assert "Peer-embedded teams: peer effects are assumptions" in text, stem
    assert "Costs in USD" in texts["cost"] and "(USD)" in texts["cost"]
    for stem in ("outcomes_per_100_calls", "police_hours", "difference", "cost"):
        assert "95% CI" in texts[stem] and "simulation noise only" in texts[stem], stem
    for stem in ("who_responds", "utilisation_by_hour"):  # no intervals drawn, none claimed
        assert "95% CI" not in texts[stem], stem


def test_costs_without_a_currency_say_so(results_dir, tmp_path):  # noqa: F811
    paths = plots.plot_cost(load_results(results_dir), tmp_path, "talk")
    assert "scenario's currency units" in svg_text(paths[1])


# ---------------------------------------------------------------------------- difference chart


def test_difference_chart_numbers_are_comparison_csv(results_dir, tmp_path):  # noqa: F811
    results = load_results(results_dir)
    table = difference_table(results)
    comp = pd.read_csv(results_dir / "comparison.csv").fillna({"team": ""})
    metrics = pd.read_csv(results_dir / "metrics.csv").fillna({"team": ""})
    calls = metrics[(metrics["scenario"] == "police_only") & (metrics["metric"] == "calls") & (metrics["team"] == "")]
    assert len(table) == 2 * 7
    for r in table.itertuples():
        c = comp[(comp["scenario"] == r.scenario) & (comp["metric"] == r.metric) & (comp["team"] == "")].iloc[0]
        assert r.diff_year == pytest.approx(c["diff_mean"] * 365 / DAYS)
        assert (r.low_year, r.high_year) == pytest.approx((c["ci_low"] * 365 / DAYS, c["ci_high"] * 365 / DAYS))
        assert r.per_100 == pytest.approx(c["diff_mean"] * 100 / calls["mean"].iloc[0])
        word = "fewer" if c["ci_high"] < 0 else "more" if c["ci_low"] > 0 else "no clear change"
        assert word in r.words
    paths = plots._difference(results, tmp_path, "talk")
    assert "Change per year" in svg_text(paths[1])


def test_difference_chart_words_for_one_comparison(noted_dir, tmp_path):
    results = load_results(noted_dir)
    folder = tmp_path / "two"
    shutil.copytree(noted_dir, folder)
    man = json.loads((folder / "manifest.json").read_text())
    man["scenarios"] = [s for s in man["scenarios"] if s["name"] != "co_responder"]
    (folder / "manifest.json").write_text(json.dumps(man))
    comp = pd.read_csv(folder / "comparison.csv")
    comp[comp["scenario"] != "co_responder"].to_csv(folder / "comparison.csv", index=False)
    man.pop("files", None)
    (folder / "manifest.json").write_text(json.dumps(man))
    results = load_results(folder)
    expected = difference_table(results)
    paths = plots._difference(results, tmp_path / "figs", "talk")
    text = svg_text(paths[1])
    arrests = expected[expected["metric"] == "arrests"].iloc[0]["words"]
    assert arrests.split(" (")[0] in " ".join(text.split())


def test_difference_chart_words_per_row_for_many_comparisons(six_dir, tmp_path):
    """Five comparisons: each row says in words how many change which way and the largest clear change."""
    results = load_results(six_dir)
    table = difference_table(results)
    paths = plots._difference(results, tmp_path, "talk")
    text = " ".join(svg_text(paths[1]).split())
    labels = {n: results.label(n) for n in results.scenarios}
    for row in ("Arrests", "Calls with police on scene"):
        mine = table[table["row"] == row]
        clear_fewer = int(((mine["high_year"] < 0)).sum())
        clear_more = int(((mine["low_year"] > 0)).sum())
        words, top_name = row_summary(mine, labels)
        if clear_fewer or clear_more:  # computed here from the CIs, not by the function under test
            sure = mine[(mine["high_year"] < 0) | (mine["low_year"] > 0)]
            top = sure.loc[sure["diff_year"].abs().idxmax()]
            assert labels[top["scenario"]] in words and top_name == top["scenario"]
            assert ("fewer" if top["diff_year"] < 0 else "more") + " a year" in words
            if clear_fewer:
                assert (f"with {clear_fewer} of 5" if clear_fewer < 5 else "with all 5") in words
        else:
            assert (words, top_name) == ("No clear change with any of 5", None)
        assert words.split(";")[0] in text  # drawn beside its row
    assert row_summary(pd.DataFrame({"scenario": ["a", "b"], "diff_year": [-12.0, 3.0], "low_year": [-20.0, -1.0],
                                     "high_year": [-4.0, 7.0]}), {"a": "A", "b": "B"}) == \
        ("Fewer with 1 of 2; largest: A, 12 fewer a year", "a")


# ---------------------------------------------------------------------------- presentation controls


def test_plot_options_title_aspect_theme_only_and_out(results_dir, tmp_path):  # noqa: F811
    out = tmp_path / "slides"
    result = CliRunner().invoke(app, ["plot", str(results_dir), "--out", str(out), "--aspect", "4:3", "--theme", "dark",
                                      "--only", "difference", "--only", "who_responds", "--title",
                                      "difference=What peers change", "--font-scale", "1.1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["difference.png", "difference.svg", "who_responds.png",
                                                      "who_responds.svg"]
    with Image.open(out / "difference.png") as image:
        assert image.size == (10 * DPI, int(7.5 * DPI))
        assert np.asarray(image.convert("L")).mean() < 100, "a dark slide"
    assert "What peers change" in svg_text(out / "difference.svg")
    transparent = tmp_path / "clear"
    result = CliRunner().invoke(app, ["plot", str(results_dir), "--out", str(transparent), "--theme", "transparent",
                                      "--only", "cost"])
    assert result.exit_code == 0, result.output
    with Image.open(transparent / "cost.png") as image:
        assert image.mode == "RGBA" and image.getpixel((2, 2))[3] == 0


def test_plot_out_never_overwrites_another_folders_figures(results_dir, tmp_path):  # noqa: F811
    other = tmp_path / "other"
    first = CliRunner().invoke(app, ["plot", str(results_dir), "--out", str(other / "figures")])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in (other / "figures").iterdir()}
    again = CliRunner().invoke(app, ["plot", str(results_dir), "--out", str(other / "figures"), "--theme", "dark"])
    assert again.exit_code == 2 and "not empty" in again.output
    assert {p.name: p.read_bytes() for p in (other / "figures").iterdir()} == before


@pytest.mark.parametrize("args, words", [
    (["--aspect", "21:9"], "--aspect"), (["--theme", "neon"], "--theme"), (["--only", "pie"], "unknown chart"),
    (["--title", "nonsense"], "--title"), (["--call-type", "robbery"], "robbery"),
    (["--call-type", "welfare_check", "--only", "cost"], "all calls"),
])
def test_bad_presentation_options_exit_2_and_write_nothing(results_dir, tmp_path, args, words):  # noqa: F811
    out = tmp_path / "never"
    result = CliRunner().invoke(app, ["plot", str(results_dir), "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_charts_block_of_the_baseline_sets_the_look_and_the_command_line_wins(results_dir, tmp_path):  # noqa: F811
    folder = tmp_path / "run"
    shutil.copytree(results_dir, folder)
    path = folder / "scenarios" / "police_only.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["charts"] = {"aspect": "4:3", "titles": {"cost": "The bill"}, "only": ["cost", "difference"]}
    path.write_text(yaml.safe_dump(spec))
    _seal(folder)  # the folder as if written with these chart settings
    paths = sim.draw_folder(folder, out=tmp_path / "a")
    assert sorted(p.name for p in paths) == ["cost.png", "cost.svg", "difference.png", "difference.svg"]
    with Image.open(tmp_path / "a" / "cost.png") as image:
        assert image.size == (10 * DPI, int(7.5 * DPI))
    assert "The bill" in svg_text(tmp_path / "a" / "cost.svg")
    paths = sim.draw_folder(folder, out=tmp_path / "b", aspect="16:9", only=["cost"])
    with Image.open(tmp_path / "b" / "cost.png") as image:
        assert image.size[0] == 2000


def test_charts_of_one_call_type(results_dir, tmp_path):  # noqa: F811
    paths = sim.draw_folder(results_dir, out=tmp_path / "wc", call_type="welfare_check")
    assert sorted({p.stem for p in paths}) == ["outcomes_per_100_calls_welfare_check", "response_time_welfare_check",
                                               "who_responds_welfare_check"]
    results = load_results(results_dir).of_call_type("welfare_check")
    calls = results.calls(["scenario", "replication", "disposition"])
    rate = plots.rate_per_100_calls(results, "involuntary_holds").set_index("scenario")
    expected = (calls.assign(h=calls["disposition"] == "involuntary_hold").groupby(["scenario", "replication"])["h"]
                .mean().groupby("scenario").mean() * 100)
    assert rate["mean"].to_dict() == pytest.approx(expected.to_dict())
    assert "welfare check calls" in svg_text(tmp_path / "wc" / "who_responds_welfare_check.svg")


def _texts(fig):
    """The text artists the renderer actually draws (tick labels outside the view are not)."""
    from unittest import mock

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    drawn, original = [], Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    with mock.patch.object(Text, "draw", draw):
        FigureCanvasAgg(fig).draw()
    return drawn


def test_no_text_under_18_pt_on_a_16_9_talk_slide(results_dir, tmp_path, captured):  # noqa: F811
    sim.draw_folder(results_dir, out=tmp_path / "talk")
    assert {stem for stem, _f, _p in captured} >= {"outcomes_per_100_calls", "who_responds", "difference",
                                                   "response_time", "police_hours", "cost", "utilisation_by_hour"}
    for stem, fig, _paths in captured:
        assert tuple(fig.get_size_inches()) == pytest.approx((40 / 3, 7.5))
        small = [(t.get_text()[:30], t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 18]
        assert not small, f"{stem}: {small}"


# ---------------------------------------------------------------------------- many long labels


LONG = ("Police only, as most cities answer crisis calls today",
        "Co-responder teams: an officer with a clinician on every shift",
        "Peer-embedded teams with a peer support specialist and a clinician",
        "Peer-embedded teams plus a weekday peer follow-up program for repeat callers",
        "Peer-embedded teams with an IDD peer for calls about intellectual disabilities",
        "Co-responder and peer teams together, night and day, city-wide coverage")


@pytest.fixture(scope="module")
def six_dir(tmp_path_factory):
    base, co, peer = (s.to_dict() for s in fixture_scenarios())
    raw = [base, co, peer, copy.deepcopy(peer), copy.deepcopy(peer), copy.deepcopy(co)]
    raw[3]["name"], raw[4]["name"], raw[5]["name"] = "peer_follow_up", "peer_idd", "both_teams"
    raw[3]["teams"]["peer_team"]["shifts"][0]["units"] = 3
    raw[4]["teams"]["peer_team"]["on_scene_min"] = {"dist": "lognormal", "mean": 70, "sd": 30}
    raw[5]["teams"]["peer_team"] = copy.deepcopy(peer["teams"]["peer_team"])
    raw[5]["routing"] = [{"match": {"risk": ["low"]}, "send": ["peer_team", "police"], "max_wait_min": 10},
                         *co["routing"]]
    for spec, label in zip(raw, LONG):
        spec["label"] = label
    experiment = sim.run_experiment([validate_scenario(r) for r in raw], replications=2, days=8, workers=1)
    return sim.save(experiment, tmp_path_factory.mktemp("six") / "run", charts=False)


def _overlaps(fig) -> list[tuple[str, str]]:
    texts = _texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text()[:40], t.get_window_extent(renderer)) for t in texts]
    width, height = fig.bbox.width, fig.bbox.height
    bad = [(a, "(off the slide)") for a, box in boxes
           if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if ba.width and bb.width and ba.overlaps(bb):
            inter_w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            inter_h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if inter_w > 2 and inter_h > 2:
                bad.append((a, b))
    return bad


def test_six_scenarios_with_long_labels_render_without_overlap(six_dir, tmp_path, captured):
    sim.draw_folder(six_dir, out=tmp_path / "six")
    colours = identities({n: load_results(six_dir).scenarios[n] for n in load_results(six_dir).scenarios})
    assert len(set(colours.values())) == 6, "six scenarios, six looks"
    assert {stem for stem, _f, _p in captured} == {c.stem for c in sim.CHARTS}
    for stem, fig, _paths in captured:
        assert not _overlaps(fig), f"{stem}: {_overlaps(fig)[:4]}"
        small = [(t.get_text()[:30], t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 18]
        assert not small, f"{stem}: {small}"


def test_look_validates_its_settings():
    st = look("talk", aspect="4:3", theme="dark", font_scale=1.5, titles={"cost": "x"})
    assert st.figsize == (10.0, 7.5) and st.min_pt == 27 and st.title_for("cost", "y") == "x"
    with pytest.raises(sim.ScenarioError):
        look("talk", font_scale=9)




# ---------------------------------------------------------------------------- SVG in slide tools


def _libreoffice_png(svg, out_dir, profile) -> "Image.Image | None":
    """LibreOffice's rendering of an SVG (as a slide tool imports it), or None when it cannot convert SVG."""
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "png",
                        "--outdir", str(out_dir), str(svg)], capture_output=True, timeout=180, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    png = out_dir / f"{svg.stem}.png"
    if not png.exists():
        return None
    image = Image.open(png).convert("RGBA")
    page = Image.new("RGBA", image.size, "white")
    page.alpha_composite(image)
    return page.convert("L")


@pytest.mark.slow
def test_svgs_survive_libreoffice_with_text_hatching_and_heatmaps(results_dir, tmp_path):  # noqa: F811
    """LibreOffice (Draw's SVG import, as Impress uses) renders each SVG like matplotlib's PNG: the same layout
    at thumbnail scale, hatched segments and heatmap cells included; text stays text with a sans-serif fallback."""
    stems = ("who_responds", "utilisation_by_hour", "difference")
    paths = sim.draw_folder(results_dir, out=tmp_path / "figs", only=list(stems))
    svgs = [p for p in paths if p.suffix == ".svg"]
    first = _libreoffice_png(svgs[0], tmp_path / "lo", tmp_path / "profile")
    if first is None:
        pytest.skip("LibreOffice with its SVG import (libreoffice-draw) is not installed; .ci/run installs it")
    for svg in svgs:
        text = svg.read_text()
        assert "font-family: 'Arial', 'Helvetica', 'Liberation Sans', 'Arimo', 'DejaVu Sans', sans-serif" in text
        assert "<text" in text and "<use" not in text.split("<text", 1)[1][:200], "text kept as text"
        theirs = first if svg == svgs[0] else _libreoffice_png(svg, tmp_path / "lo", tmp_path / "profile")
        ours = Image.open(svg.with_suffix(".png")).convert("L")
        a = np.asarray(theirs.resize((80, 45), Image.BILINEAR), float)
        b = np.asarray(ours.resize((80, 45), Image.BILINEAR), float)
        assert np.abs(a - b).mean() < 20, svg.stem
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.75, svg.stem
