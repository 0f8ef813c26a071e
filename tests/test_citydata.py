"""From a city's own data: a known scenario → a messy synthetic CAD export → `fit` → the scenario again.

Tolerances come from the sampling error of each estimate (counts, shares, log-medians), so
they hold for any seed; defects are put on separate rows, so each is counted back exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from helpers import SCENARIOS
from sim.citydata.cad import load_map, read_cad
from sim.citydata.fit import fit_scenario, shifts_from_hours
from sim.citydata.synthetic import Messiness, write_synthetic
from sim.cli import app
from sim.engine.teams import weekly_schedule
from sim.scenario.loading import load_raw, validate_scenario

DAYS = 120
GAP = Messiness(gap_start_day=40, gap_days=61)


def known_scenario():
    """The shipped base city without repeat crises (a CAD export cannot tell who calls again).

    `fit` has no geography block (travel is one distribution per team), so the known city keeps
    0.1's travel, as the program cities do: no zones, police travel lognormal mean 10, sd 6."""
    raw = load_raw(SCENARIOS / "base.yaml")
    raw["demand"].pop("repeat")
    raw.pop("geography", None)
    police = raw["teams"]["police"]
    for key in ("bases", "turnout_min", "travel_factor"):
        police.pop(key, None)
    police["response_min"] = {"dist": "lognormal", "mean": 10, "sd": 6}
    return validate_scenario(raw)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cad")
    scenario = known_scenario()
    data_path, map_path, cad = write_synthetic(folder, scenario, days=DAYS, seed=7, messiness=GAP)
    data = read_cad(data_path, load_map(map_path))
    return scenario, data_path, map_path, cad, data, fit_scenario(data, "city")


def _log_median(dist: dict) -> float:
    if dist["dist"] == "lognormal":
        return math.log(dist["mean"]) - 0.5 * math.log1p((dist["sd"] / dist["mean"]) ** 2)
    return math.log(float(np.median(dist["values"])))


def _sigma(dist: dict) -> float:
    return math.sqrt(math.log1p((dist["sd"] / dist["mean"]) ** 2))


def test_fit_recovers_volume_profiles_and_mix(export):
    truth, _, _, _, data, fitted = export
    est = fitted.estimates
    days = data.days_observed
    assert days == pytest.approx(DAYS - GAP.gap_days, abs=0.5)
    d = truth.demand
    # Poisson counts: 4 standard errors
    assert abs(est["crisis_calls_per_day"] - d.crisis_calls_per_day) < 4 * math.sqrt(d.crisis_calls_per_day / days)
    other = d.other_police_calls.per_day
    assert abs(est["other_per_day"] - other) < 4 * math.sqrt(other / days)
    assert np.corrcoef(est["hourly_profile"], d.hourly_profile)[0, 1] > 0.98
    true_week = np.array(d.weekday_profile) / np.mean(d.weekday_profile)
    # ~13 days per weekday of ~340 calls: a weekday's relative error is about 1/sqrt(4400) + day-to-day noise
    assert np.max(np.abs(np.array(est["weekday_profile"]) - true_week)) < 0.08
    n = est["crisis_calls_per_day"] * days
    for t, spec in d.call_types.items():
        assert abs(est["call_types"][t] - spec.share) < 4 * math.sqrt(spec.share * (1 - spec.share) / n), t
    assert est["phone_resolution"]["mental_health"] == pytest.approx(0.05, abs=0.02)


def test_fit_recovers_times(export):
    truth, _, _, _, _, fitted = export
    team = truth.teams["police"]
    sc = fitted.scenario.teams["police"]
    fitted_raw = yaml.safe_load(fitted.text)["teams"]["police"]
    true_travel = team.response_min.model_dump(by_alias=True)
    n_travel = int(fitted.text.split("travel, dispatched → arrived, all calls: n=")[1].split(";")[0].replace(",", ""))
    assert abs(_log_median(fitted_raw["response_min"]) - _log_median(true_travel)) < 4 * _sigma(true_travel) / math.sqrt(n_travel)
    for t, dist in fitted_raw["on_scene_min_by_type"].items():
        true = (team.on_scene_min_by_type.get(t) or team.on_scene_min).model_dump(by_alias=True)
        n = int(fitted.text.split(f"# {t}: n=")[1].split(";")[0].replace(",", ""))
        assert abs(_log_median(dist) - _log_median(true)) < 4 * _sigma(true) / math.sqrt(n) + 0.02, t
    for d, dist in sc.transport_min.items():
        assert dist.mean == pytest.approx(team.transport_min[d].mean, rel=0.25), d


def test_units_on_duty_is_a_floor_close_at_busy_hours(export):
    truth, _, _, _, _, fitted = export
    schedule = weekly_schedule(truth.teams["police"])
    true_by_hour = [max(u for t, u in schedule if t <= h * 60) for h in range(24)]
    est = fitted.estimates["units_by_hour"]
    hourly = np.array(truth.demand.hourly_profile)
    busy = np.argsort(hourly)[-8:]  # the busiest hours, when every unit on duty gets calls
    for h in range(24):
        assert est[h] <= true_by_hour[h] + 1, h
    for h in busy:
        assert est[h] >= 0.85 * true_by_hour[h], h
    assert np.corrcoef(est, true_by_hour)[0, 1] > 0.7
    assert fitted.scenario.teams["police"].weekly_shifts()[0].units == est[0]


def test_shifts_from_hours_merges_equal_hours():
    shifts = shifts_from_hours([2] * 8 + [5] * 16)
    assert [(s["start"], s["end"], s["units"]) for s in shifts] == [("00:00", "08:00", 2), ("08:00", "24:00", 5)]


def test_every_defect_is_counted(export):
    _, _, _, cad, data, _ = export
    q = data.quality
    inj = cad.injected
    assert q.count("duplicate") == inj["duplicates"]
    assert q.count("received time missing") == inj["missing_received"]
    assert q.rows_read - q.rows_kept == inj["duplicates"] + inj["missing_received"]
    assert sum(q.unmapped_types.values()) == inj["unmapped_codes"]
    on_scene = q.intervals["on_scene"]
    assert on_scene["placeholder time (00:00 before the previous time)"] == inj["placeholder_cleared"]
    assert on_scene["over 24 h"] == inj["over_cap"]
    assert on_scene["missing time"] == inj["missing_arrived"] + inj["missing_cleared"] + inj["not_dispatched"]
    assert q.intervals["travel"]["missing time"] == inj["missing_arrived"] + inj["not_dispatched"]
    assert len(q.gaps) == 1
    start, end = q.gaps[0]
    assert abs((start - cad.gap[0]).total_seconds()) < 3600 and abs((end - cad.gap[1]).total_seconds()) < 3600
    text = q.text()
    for word in ("duplicate", "received time missing", "placeholder", "over 24 h", "PARKING", "gaps"):
        assert word in text


def test_fit_cli_writes_a_scenario_that_checks(export, tmp_path):
    _, data_path, map_path, _, _, _ = export
    out = tmp_path / "city.yaml"
    result = CliRunner().invoke(app, ["fit", str(data_path), "--map", str(map_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "city.quality.txt").read_text().startswith("Data quality")
    assert "rows dropped" in result.output
    checked = CliRunner().invoke(app, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    # every fitted number under demand and teams has a comment above it (or on its block)
    lines = out.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if ":" in stripped and not stripped.startswith(("#", "-")) and line.startswith("    ") and any(c.isdigit() for c in stripped.split(":", 1)[1]):
            block = [x for x in lines[max(0, i - 3):i] if x.strip().startswith("#")]
            assert block, f"no comment above line {i + 1}: {line}"


def _small_export(tmp_path, rows: str, columns=None, **map_extra):
    data = tmp_path / "calls.csv"
    data.write_text(rows)
    cad_map = {"columns": columns or {"received": "t", "type": "code"}, "types": {"MH": "mental_health", "X": "other"}}
    cad_map.update(map_extra)
    map_path = tmp_path / "map.yaml"
    map_path.write_text(yaml.safe_dump(cad_map))
    return data, map_path


@pytest.mark.parametrize("case, expected", [
    ("no usable rows", ["calls.csv", "no usable rows", "'t'"]),
    ("missing column", ["map.yaml", "columns.zone", "'beat'", "not in calls.csv"]),
    ("bad time format", ["calls.csv", "columns.received", "time format", "%d/%m/%Y %H:%M"]),
    ("not a CSV", ["calls.xlsx", "not a CSV or parquet file"]),
    ("no crisis rows", ["calls.csv", "no rows map to a crisis call type"]),
])
def test_bad_cad_input_exits_2_and_writes_nothing(tmp_path, case, expected):
    good = "t,code\n2024-01-01 10:00:00,MH\n2024-01-01 11:00:00,X\n"
    if case == "no usable rows":
        data, map_path = _small_export(tmp_path, "t,code\n,MH\n,X\n")
    elif case == "missing column":
        data, map_path = _small_export(tmp_path, good, columns={"received": "t", "type": "code", "zone": "beat"})
    elif case == "bad time format":
        data, map_path = _small_export(tmp_path, good, time_format="%d/%m/%Y %H:%M")
    elif case == "not a CSV":
        data, map_path = _small_export(tmp_path, good)
        data = data.rename(tmp_path / "calls.xlsx")
    else:
        data, map_path = _small_export(tmp_path, "t,code\n2024-01-01 10:00:00,X\n2024-01-02 10:00:00,Y\n")
    out = tmp_path / "out" / "city.yaml"
    result = CliRunner().invoke(app, ["fit", str(data), "--map", str(map_path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.output.split())
    for word in expected:
        assert word in message, (word, message)
    assert not (tmp_path / "out").exists()


def test_parquet_export_reads_like_csv(tmp_path):
    scenario = known_scenario()
    path, map_path, _ = write_synthetic(tmp_path, scenario, name="calls.parquet", days=10, seed=3,
                                        messiness=Messiness(gap_start_day=None))
    data = read_cad(path, load_map(map_path))
    assert data.quality.rows_kept > 3000 and not data.quality.gaps


def test_backtest_puts_the_export_inside_the_bands_of_its_fit(export, tmp_path):
    _, data_path, map_path, _, _, fitted = export
    scenario_path = tmp_path / "city.yaml"
    scenario_path.write_text(fitted.text)
    out = tmp_path / "bt"
    result = CliRunner().invoke(app, ["backtest", str(scenario_path), str(data_path), "--map", str(map_path),
                                      "--out", str(out), "-r", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    verdicts = pd.read_csv(out / "verdicts.csv")
    assert set(verdicts["measure"]) == {"calls_by_hour", "wait_by_hour", "busy_by_hour", "travel_quantiles",
                                        "on_scene_quantiles"}
    assert (verdicts["outside"] == 0).all(), verdicts.to_string()
    table = pd.read_csv(out / "backtest.csv")
    calls = table[table["measure"] == "calls_by_hour"]
    # the bands are tight enough to mean something: under ±30% of the mean at the busiest hour
    peak = calls.loc[calls["sim_mean"].idxmax()]
    assert (peak["band_high"] - peak["band_low"]) / 2 < 0.3 * peak["sim_mean"]
    for name in ("backtest.html", "figures/backtest_calls_by_hour.png", "figures/backtest_busy_by_hour.svg"):
        assert (out / name).exists(), name
    assert "inside" in (out / "backtest.html").read_text()


def test_backtest_flags_a_scenario_that_does_not_fit(export):
    from sim.designs.backtest import run_backtest

    _, _, _, _, data, fitted = export
    raw = yaml.safe_load(fitted.text)
    raw["demand"]["crisis_calls_per_day"] *= 1.5
    raw["demand"]["other_police_calls"]["per_day"] *= 1.5
    result = run_backtest(validate_scenario(raw), data, replications=5)
    verdict = result.verdicts.set_index("measure")
    for measure in ("calls_by_hour", "busy_by_hour"):
        assert verdict.loc[measure, "outside"] >= 1, measure
        assert "observed lower" in verdict.loc[measure, "verdict"]
    assert not result.all_inside


def test_without_a_unit_column_units_come_from_calls_in_progress_and_say_so(export, tmp_path):
    truth, data_path, map_path, _, _, fitted = export
    raw_map = yaml.safe_load(map_path.read_text())
    del raw_map["columns"]["unit"]
    no_unit = tmp_path / "map.yaml"
    no_unit.write_text(yaml.safe_dump(raw_map))
    refit = fit_scenario(read_cad(data_path, load_map(no_unit)), "city")
    assert "estimated from calls in progress (no unit column)" in refit.text
    # units busy at the 95th percentile never exceed the distinct units seen working
    assert all(a <= b + 1 for a, b in zip(refit.estimates["units_by_hour"], fitted.estimates["units_by_hour"]))


# --- geography: zones, bases and travel from the zone and unit columns -------------------------------------------

@pytest.fixture(scope="module")
def zoned_export(tmp_path_factory):
    """The shipped base city as it is (six districts, police cars based in each), without repeat crises."""
    raw = load_raw(SCENARIOS / "base.yaml")
    raw["demand"].pop("repeat")
    truth = validate_scenario(raw)
    folder = tmp_path_factory.mktemp("cad_zones")
    data_path, map_path, _ = write_synthetic(folder, truth, days=60, seed=11, messiness=Messiness(gap_start_day=None))
    data = read_cad(data_path, load_map(map_path))
    return truth, data_path, map_path, data, fit_scenario(data, "city")


def test_fit_recovers_zones_bases_and_travel(zoned_export):
    truth, _, _, data, fitted = zoned_export
    geo, fgeo = truth.geography, fitted.scenario.geography
    assert fgeo is not None and "response_min" not in yaml.safe_load(fitted.text)["teams"]["police"]
    n = sum(1 for z in data.frame["zone"] if str(z) != "")
    for zone, spec in geo.zones.items():  # shares: 4 standard errors of a proportion
        assert abs(fgeo.zones[zone].share - spec.share) < 4 * math.sqrt(spec.share * (1 - spec.share) / n), zone
        assert (fgeo.zones[zone].x, fgeo.zones[zone].y) == (spec.x, spec.y)  # centroids from MAP.yaml
    # bases: every unit is sent mostly to its own district, so the weights come back (whole units of 32)
    true_w = np.array([truth.teams["police"].bases[z] for z in geo.zones], float)
    fit_w = np.array([fitted.scenario.teams["police"].bases.get(z, 0) for z in geo.zones], float)
    assert np.abs(fit_w / fit_w.sum() - true_w / true_w.sum()).max() < 1.5 / fit_w.sum()
    # travel: each cell with its own mean is the true mean + turnout (1 min), within 4 standard errors
    # (the lognormal travel factor has cv 0.5 around the mean)
    geofit = fitted.estimates["geography"]
    cells = yaml.safe_load(fitted.text)["geography"]["travel_min"]
    from sim.citydata.geofit import MIN_CELL

    checked = 0
    for base in cells:
        for zone in cells[base]:
            true_mean = geo.travel_min[base][zone]
            calls = _cell_calls(fitted, base, zone)
            if calls >= MIN_CELL:
                tol = 4 * geo.travel_cv * true_mean / math.sqrt(calls) + 0.05
                assert abs(cells[base][zone] - (true_mean + 1)) < tol, (base, zone, cells[base][zone], true_mean)
                checked += 1
    assert checked >= 6 and geofit["travel_cv"] == pytest.approx(0.5 * 5 / 6, abs=0.08)


def _cell_calls(fitted, base, zone) -> int:
    return fitted.estimates["geography"]["cell_calls"][base][zone]


def test_fitted_geography_checks_and_backtests_inside_the_bands(zoned_export, tmp_path):
    _, data_path, map_path, _, fitted = zoned_export
    city = tmp_path / "city.yaml"
    city.write_text(fitted.text)
    checked = CliRunner().invoke(app, ["check", str(city)])
    assert checked.exit_code == 0 and "zones: downtown" in checked.output, checked.output
    result = CliRunner().invoke(app, ["backtest", str(city), str(data_path), "--map", str(map_path),
                                      "--out", str(tmp_path / "bt"), "-r", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    verdicts = pd.read_csv(tmp_path / "bt" / "verdicts.csv").set_index("measure")
    assert verdicts.loc["travel_quantiles", "outside"] == 0, verdicts.to_string()


def test_without_units_or_with_centroids_missing_geography_is_said_or_refused(zoned_export, tmp_path):
    _, data_path, map_path, _, _ = zoned_export
    raw_map = yaml.safe_load(map_path.read_text())
    no_unit = dict(raw_map, columns={k: v for k, v in raw_map["columns"].items() if k != "unit"})
    path = tmp_path / "no_unit.yaml"
    path.write_text(yaml.safe_dump(no_unit))
    refit = fit_scenario(read_cad(data_path, load_map(path)), "city")
    assert refit.scenario.geography is None and "where units are based cannot be told" in refit.text
    assert "response_min" in yaml.safe_load(refit.text)["teams"]["police"]
    partial = dict(raw_map, zones={k: v for k, v in raw_map["zones"].items() if k != "west"})
    path.write_text(yaml.safe_dump(partial))
    out = tmp_path / "out" / "city.yaml"
    result = CliRunner().invoke(app, ["fit", str(data_path), "--map", str(path), "--out", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    message = " ".join(result.output.split())
    assert "zones" in message and "'west'" in message and "no centroid" in message, message
    assert not (tmp_path / "out").exists()


def test_zone_codes_become_scenario_names():
    from sim.citydata.geofit import zone_name

    assert zone_name("Beat 12", set()) == "beat_12"
    assert zone_name("7", set()) == "z7"
    assert zone_name("N-1", {"n_1"}) == "n_1_2"


def test_fit_recovers_the_outcome_table_by_type_and_risk(export):
    from sim.scenario.outcomes import team_outcomes

    truth, _, _, _, _, fitted = export
    est = fitted.estimates
    true_table = team_outcomes(truth, "police")
    cells = 0
    for t, by_risk in est["outcomes_by_type_risk"].items():
        for r, shares in by_risk.items():
            n = est["outcomes_by_type_risk_n"][t][r]
            true = dict(zip(("arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services"),
                            true_table[t][r].dispositions()))
            for d, p in true.items():  # a proportion: 4 standard errors (and half a call)
                assert abs(shares[d] - p) < 4 * math.sqrt(max(p * (1 - p), 1 / n) / n) + 0.5 / n, (t, r, d)
            cells += 1
    assert cells >= 8
    # the fitted scenario reads the same cells back
    assert team_outcomes(fitted.scenario, "police")["suicide_risk"]["low"].dispositions()[1] == pytest.approx(
        est["outcomes_by_type_risk"]["suicide_risk"]["low"]["involuntary_hold"])
