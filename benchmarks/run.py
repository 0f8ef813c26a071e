"""crisis-sim performance harness: `python benchmarks/run.py` (or `make bench`).

Prints, from one run on one machine, eight figures with their targets:

  (a) a bare SimPy M/M/c loop (as lean as SimPy allows), customers/s
  (b) crisis-sim on the equivalent M/M/c scenario, calls/s, and the ratio (b)/(a)
  (c) one 365-day replication of the base city with peer-embedded routing: calls/s
      (crisis and other police calls), wall time, peak memory
  (d) 20 replications with 1 and 2 workers: the speed-up
  (e) peak memory per million call records: in the event log, and writing calls.parquet
  (f) the planner's page: a what-if of the base city (police only against the peer-embedded
      city with its peer units changed), 5 replications x 365 days on 2 workers, as the page
      runs it: time to the headline table, first run and what-if (unchanged baseline cached)
  (g) probabilistic sensitivity analysis: 200 draws x 3 shipped scenarios x 1 replication x
      365 days on 2 workers; wall time, and the parent's peak memory against a 20-draw run
      (it must not grow with the number of draws)
  (h) `fit` on a year of a big city's CAD export (synthetic, about 2 million rows): wall time,
      peak memory, and where the time goes (the export is made once and kept)
  (i) the shift planner on the shipped peer team for one target with 2 workers: wall time and
      the number of replications its confirmation and budget curve simulated
  (j) geography: the base city with zones (peer-embedded, six districts) against the same city
      without zones (0.1's travel distributions), calls/s side by side; and the same city cut
      into 9 and into 144 zones (units based in the same 9 places), to show that dispatch cost
      does not grow with the number of zones

Timings are medians of several runs; ratios are measured in the same process with the runs
interleaved, so a busy machine slows both sides alike. Memory is measured in a fresh child
process (peak RSS above the level after imports, via Linux's resettable VmHWM).
Figures are also written as JSON to benchmarks/results/ (git-ignored).

`--scale` adds the big-city run (about 5,000 other police calls and 500 crisis calls a day
for 365 days) and how cost grows with calls per day. `--quick` uses fewer repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.scenario.loading import deep_merge, load_raw, validate_scenario  # noqa: E402
from sim.analysis.metrics import replication_tables  # noqa: E402
from sim.engine.model import Model  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
SEED = 2026
TARGETS = {
    "ratio_b_over_a": (">=", 0.5),
    "c_wall_s": ("<=", 2.5),
    "d_speedup": (">=", 1.9),
    "e_event_log_mb_per_million": ("<=", 1024.0),
    "e_parquet_mb_per_million": ("<=", 1024.0),
    "f_what_if_s": ("<=", 10.0),
    "g_memory_growth_mb": ("<=", 50.0),
    "h_fit_wall_s": ("<=", 60.0),
    "h_fit_peak_mb": ("<=", 2048.0),
    "i_plan_wall_s": ("<=", 180.0),
    "j_ratio_zones_over_none": (">=", 0.8),
    "k_answer_ratio": (">=", 0.6),
    "k_help_s": ("<=", 0.3),
    "l_command_mb_per_million": ("<=", 400.0),
    "c_capabilities_cost": ("<=", 0.25),
    "n_dask_memory_growth_mb": ("<=", 50.0),
    "big_city_wall_s": ("<=", 30.0),
    "big_city_peak_mb": ("<=", 1024.0),
}
GOALS = {"k_answer_ratio": 0.8, "l_command_mb_per_million": 300.0}
PSA_SCENARIOS = ("police_only", "co_responder", "peer_embedded")
# (h) a year of a big city's CAD export: about 5,500 calls a day, 2 million rows
FIT_CRISIS_PER_DAY, FIT_OTHER_PER_DAY, FIT_DAYS = 500, 5000, 426  # 365 days once the 61-day gap is out
PLAN_TARGET = "eligible_reached_share[peer_team]>=0.6"
PLAN_BUDGET = 3_000_000

# M/M/c: 10 servers, mean service 10 min, 0.8 arrivals/min (load 0.8), about 200k customers.
MMC_SERVERS = 10
MMC_SERVICE_MIN = 10.0
MMC_RATE_PER_MIN = 0.8
MMC_CUSTOMERS = 200_000

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Used when scenarios/peer_embedded.yaml is not there yet: the base city plus a peer +
# clinician team taking low/medium-risk calls of the eligible types, police keeping the rest.
PEER_EMBEDDED = {
    "name": "peer_embedded",
    "label": "Peer-embedded teams",
    "teams": {
        "peer_team": {
            "kind": "civilian",
            "label": "Peer + clinician",
            "members": ["peer", "clinician"],
            "shifts": [
                {"days": ALL_DAYS, "start": "00:00", "end": "08:00", "units": 2},
                {"days": ALL_DAYS, "start": "08:00", "end": "24:00", "units": 5},
            ],
            "cost_per_unit_hour": 90,
            "response_min": {"dist": "lognormal", "mean": 14, "sd": 8},
            "on_scene_min": {"dist": "lognormal", "mean": 60, "sd": 40},
            "transport_min": {
                "ed_transport": {"dist": "gamma", "mean": 50, "sd": 30},
                "crisis_center": {"dist": "gamma", "mean": 40, "sd": 20},
            },
            "outcomes": {"involuntary_hold": 0.03, "ed_transport": 0.06, "crisis_center": 0.08,
                         "linked_to_services": 0.30},
            "backup": {"team": "police", "probability": 0.05},
            "follow_up": {"probability": 0.6, "after_hours": 24,
                          "duration_min": {"dist": "constant", "value": 45}, "links": 0.4},
        }
    },
    "routing": [
        {"match": {"call_type": ["mental_health", "welfare_check", "substance_use", "idd"], "risk": ["low", "medium"]},
         "send": ["peer_team", "police"], "max_wait_min": 10},
        {"match": {}, "send": ["police"]},
    ],
}
# Big city: about 5,000 other police calls and 500 crisis calls a day (400 first crises
# plus ~25% repeats), units scaled with each team's call volume.
BIG_OTHER_PER_DAY = 5000
BIG_CRISIS_PER_DAY = 400
SCALE_FRACTIONS = (0.125, 0.25, 0.5, 1.0)
BIG_WARMUP_DAYS = 14


# --- scenarios -------------------------------------------------------------------------------


def mmc_scenario(days: float) -> Scenario:
    """crisis-sim's version of the M/M/c loop: one team, Poisson arrivals, exponential on scene, no travel."""
    return validate_scenario({
        "name": "mmc",
        "run": {"days": days, "warmup_days": 0, "replications": 1, "seed": SEED},
        "demand": {"crisis_calls_per_day": MMC_RATE_PER_MIN * 24 * 60, "call_types": {"any": {"share": 1.0}}},
        "teams": {"servers": {"kind": "civilian", "units": MMC_SERVERS,
                              "on_scene_min": {"dist": "exponential", "mean": MMC_SERVICE_MIN}}},
        "routing": [{"match": {}, "send": ["servers"]}],
    })


def peer_scenario_raw() -> tuple[dict, str]:
    path = ROOT / "scenarios" / "peer_embedded.yaml"
    if path.exists():
        return load_raw(path), "scenarios/peer_embedded.yaml"
    return deep_merge(load_raw(ROOT / "scenarios" / "base.yaml"), PEER_EMBEDDED), "base.yaml + built-in peer team"


def peer_scenario() -> Scenario:
    return validate_scenario(peer_scenario_raw()[0])


def scaled_scenario(fraction: float) -> Scenario:
    """The peer-embedded city grown to `fraction` of the big city."""
    raw = peer_scenario_raw()[0]
    kinds = {name: team.kind for name, team in validate_scenario(raw).teams.items()}  # a team may give roles, not kind
    demand = raw["demand"]
    other_factor = BIG_OTHER_PER_DAY * fraction / demand["other_police_calls"]["per_day"]
    crisis_factor = BIG_CRISIS_PER_DAY * fraction / demand["crisis_calls_per_day"]
    demand["other_police_calls"]["per_day"] *= other_factor
    demand["crisis_calls_per_day"] *= crisis_factor
    for name, team in raw["teams"].items():
        factor = other_factor if kinds[name] in ("police", "co_responder") else crisis_factor
        if team.get("units") is not None:
            team["units"] = math.ceil(team["units"] * factor)
        for shift in team.get("shifts") or []:
            shift["units"] = math.ceil(shift["units"] * factor)
    raw["name"] = f"scale_{int(fraction * 1000)}"
    raw["run"]["warmup_days"] = BIG_WARMUP_DAYS  # the big-city year: 365 days after two weeks (2.1 M calls)
    return validate_scenario(raw)


# --- (a) bare SimPy ---------------------------------------------------------------------------


def _mmc_draws(n: int, seed: int) -> tuple[list[float], list[float]]:
    """Interarrival gaps and service times of n M/M/c customers, drawn before the clock starts."""
    rng = np.random.default_rng(seed)
    return rng.exponential(1 / MMC_RATE_PER_MIN, n).tolist(), rng.exponential(MMC_SERVICE_MIN, n).tolist()


def bare_simpy_process(n: int, seed: int = SEED) -> float:
    """The textbook M/M/c: an arrival generator starting one customer process each; returns mean wait."""
    gaps, services = _mmc_draws(n, seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=MMC_SERVERS)
    total_wait = [0.0]

    def customer(service):
        arrived = env.now
        with servers.request() as req:
            yield req
            total_wait[0] += env.now - arrived
            yield env.timeout(service)

    def arrivals():
        for gap, service in zip(gaps, services):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(arrivals())
    env.run()
    return total_wait[0] / n


def bare_simpy_callbacks(n: int, seed: int = SEED) -> float:
    """The same M/M/c with no process per customer: request and timeout callbacks only."""
    gaps, services = _mmc_draws(n, seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=MMC_SERVERS)
    total_wait = [0.0]

    def arrivals():
        for gap, service in zip(gaps, services):
            yield env.timeout(gap)
            req = servers.request()
            req.callbacks.append(lambda ev, arrived=env.now, service=service: start(ev, arrived, service))

    def start(req, arrived, service):
        total_wait[0] += env.now - arrived
        env.timeout(service).callbacks.append(lambda _ev: servers.release(req))

    env.process(arrivals())
    env.run()
    return total_wait[0] / n


# --- crisis-sim runs ----------------------------------------------------------------------------


def replication(scenario: Scenario, rep: int = 0, days: float | None = None) -> tuple[int, dict]:
    """One replication as the experiment runner does it (model + tables); returns calls simulated."""
    model = Model(scenario, rep, days=days)
    log = model.run()
    tables = replication_tables(log, scenario, rep)
    n_other = len(model.other.arrival_min) if model.other is not None else 0
    return n_crisis_calls(log) + n_other, tables


def n_crisis_calls(log) -> int:
    return len(log.table("calls")["call_id"])


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def median(xs):
    return statistics.median(xs)


# --- memory (child processes) ------------------------------------------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM = peak, VmRSS = now), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def _hwm_mb() -> float:
    return _status_mb("VmHWM")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _reset_peak() -> float:
    """Reset the peak-RSS mark to the current RSS (Linux >= 4.0); returns the current RSS."""
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _rss_mb()


def child_replication(fraction: float | None) -> dict:
    scenario = peer_scenario() if fraction is None else scaled_scenario(fraction)
    replication(scenario, 0, days=7)  # warm caches and imports so the peak is the run's own
    base = _reset_peak()
    load = os.getloadavg()[0]
    cpu = time.process_time()
    wall, (n_calls, tables) = timed(replication, scenario, 0)
    cpu = time.process_time() - cpu
    peak = _hwm_mb()
    days = scenario.run.days + scenario.run.warmup_days
    return {"calls": n_calls, "crisis_calls_in_window": len(tables["calls"]), "wall_s": wall, "cpu_s": cpu,
            "load_avg_1min": load, "peak_rss_mb": peak, "peak_increase_mb": peak - base, "calls_per_day": n_calls / days}


def child_event_log(days: float) -> dict:
    """Peak memory of one long replication's event log: simulating, then turning it into arrays."""
    scenario = peer_scenario()
    Model(scenario, 0, days=7).run()
    base = _reset_peak()
    model = Model(scenario, 0, days=days)
    log = model.run()
    after_run = _hwm_mb()
    tables = {name: log.table(name) for name in ("calls", "jobs", "fallbacks", "backups", "staffing", "overtime")}
    peak = _hwm_mb()
    n_other = len(model.other.arrival_min) if model.other is not None else 0
    n_records = len(tables["calls"]["call_id"]) + n_other
    return {"records": n_records, "crisis_calls": len(tables["calls"]["call_id"]), "job_rows": len(tables["jobs"]["kind"]),
            "peak_increase_mb": peak - base, "run_increase_mb": after_run - base,
            "mb_per_million": (peak - base) / n_records * 1e6}


def child_parquet(rows: int) -> dict:
    """Peak memory of writing calls.parquet for `rows` crisis calls (replications of the peer city stacked)."""
    import pandas as pd

    scenario = peer_scenario()
    _, tables = replication(scenario, 0)
    one = tables["calls"]
    copies = math.ceil(rows / len(one))
    parts = []
    for r in range(copies):
        part = one.copy()
        part["replication"] = r
        parts.append(part)
    calls = pd.concat(parts, ignore_index=True).iloc[:rows]
    del parts, one, tables
    in_memory = calls.memory_usage(deep=True).sum() / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        base = _reset_peak()
        wall, _ = timed(lambda: calls.to_parquet(Path(tmp) / "calls.parquet", index=False))
        peak = _hwm_mb()
        size = (Path(tmp) / "calls.parquet").stat().st_size / 2**20
    return {"rows": len(calls), "table_in_memory_mb": in_memory, "write_peak_increase_mb": peak - base,
            "write_s": wall, "file_mb": size, "mb_per_million": (peak - base) / len(calls) * 1e6,
            "table_plus_write_mb_per_million": (peak - base + in_memory) / len(calls) * 1e6}


def child_psa(draws: int, workers: int) -> dict:
    """Wall time and this process's peak memory for a PSA of the shipped scenarios, streamed to a folder."""
    from sim.designs.psa import PsaDesign, run_psa
    from sim.outputs.psa_results import save_psa
    from sim.scenario.loading import load_scenario

    scenarios = tuple(load_scenario(ROOT / "scenarios" / f"{name}.yaml") for name in PSA_SCENARIOS)
    design = PsaDesign(scenarios, draws, replications=1, days=365)
    design.check()
    with tempfile.TemporaryDirectory() as tmp:
        base = _reset_peak()
        wall, (_, result) = timed(lambda: save_psa(lambda sink: run_psa(design, workers=workers, sink=sink),
                                                   design.names, Path(tmp) / "psa", charts=False))
        peak = _hwm_mb()
    return {"draws": draws, "workers": workers, "wall_s": wall, "s_per_draw": wall / draws,
            "peak_increase_mb": peak - base, "peak_rss_mb": peak, "peak_rows_held": result.peak_rows_held,
            "summary_values_held": result.summary_values_held}


def big_city_export() -> tuple[Path, Path]:
    """The synthetic CAD export of (h), written once into benchmarks/results/ (git-ignored)."""
    from sim.citydata.synthetic import write_synthetic

    folder = RESULTS_DIR / "cad"
    data, cad_map = folder / "big_city.csv", folder / "big_city_map.yaml"
    if data.exists() and cad_map.exists():
        return data, cad_map
    raw = load_raw(ROOT / "scenarios" / "base.yaml")
    raw["demand"].pop("repeat", None)
    factor = FIT_OTHER_PER_DAY / raw["demand"]["other_police_calls"]["per_day"]
    raw["demand"]["crisis_calls_per_day"] = FIT_CRISIS_PER_DAY
    raw["demand"]["other_police_calls"]["per_day"] = FIT_OTHER_PER_DAY
    for shift in raw["teams"]["police"]["shifts"]:
        shift["units"] = math.ceil(shift["units"] * factor)
    raw["name"] = "big_city"
    write_synthetic(folder, validate_scenario(raw), name="big_city", days=FIT_DAYS, seed=SEED)
    return data, cad_map


def child_fit() -> dict:
    """Wall time, peak memory and where the time goes for `fit` on the big city's export."""
    import sim.citydata.cad as cad
    import sim.citydata.fit as fit

    data_path, map_path = big_city_export()
    stages: dict[str, float] = {}

    def timed_stage(module, name: str, label: str) -> None:
        fn = getattr(module, name)

        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                stages[label] = stages.get(label, 0.0) + time.perf_counter() - t0
        setattr(module, name, wrapper)

    for module, name, label in ((cad, "_read_table", "read CSV"), (cad, "_parse_times", "parse times"),
                                (cad, "_durations", "durations and their checks"), (cad, "_find_gaps", "gaps"),
                                (fit, "fit_duration", "distribution fits"), (fit, "estimate_units", "units on duty")):
        timed_stage(module, name, label)
    base = _reset_peak()
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    data = cad.read_cad(data_path, cad.load_map(map_path))
    read_s = time.perf_counter() - t0
    fitted = fit.fit_scenario(data, "big_city")
    wall = time.perf_counter() - t0
    stages["mapping, duplicates, quality report"] = read_s - sum(
        stages.get(k, 0.0) for k in ("read CSV", "parse times", "durations and their checks", "gaps"))
    stages["profiles, shares, outcomes, YAML"] = wall - read_s - stages["distribution fits"] - stages["units on duty"]
    return {"rows": data.quality.rows_read, "wall_s": wall, "cpu_s": _cpu_s() - cpu0,
            "load_avg_1min": os.getloadavg()[0], "peak_rss_mb": _hwm_mb(), "peak_increase_mb": _hwm_mb() - base,
            "stages_s": stages, "file_mb": data_path.stat().st_size / 2**20,
            "crisis_calls_per_day": fitted.estimates["crisis_calls_per_day"]}


def measure_h() -> dict:
    in_child("export")
    f = in_child("fit")
    return {"h_fit_wall_s": f["wall_s"], "h_fit_peak_mb": f["peak_rss_mb"], "h_fit": f}


def in_child(kind: str, *args) -> dict:
    """Run a measurement in a fresh interpreter and return its JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the five figures ----------------------------------------------------------------------------


def measure_ab(repeats: int) -> dict:
    days = MMC_CUSTOMERS / MMC_RATE_PER_MIN / (24 * 60)
    scenario = mmc_scenario(days)
    proc, cb, cs_full, cs_model = [], [], [], []
    n_cs = None
    for _ in range(repeats):
        proc.append(timed(bare_simpy_process, MMC_CUSTOMERS)[0])
        cb.append(timed(bare_simpy_callbacks, MMC_CUSTOMERS)[0])
        t0 = time.perf_counter()
        model = Model(scenario, 0)
        log = model.run()
        t1 = time.perf_counter()
        replication_tables(log, scenario, 0)
        t2 = time.perf_counter()
        cs_model.append(t1 - t0)
        cs_full.append(t2 - t0)
        n_cs = n_crisis_calls(log)
    a_proc = MMC_CUSTOMERS / median(proc)
    a_cb = MMC_CUSTOMERS / median(cb)
    a = max(a_proc, a_cb)
    b = n_cs / median(cs_full)
    return {
        "a_customers_per_s": a, "a_variant": "callbacks" if a_cb >= a_proc else "process per customer",
        "a_process_customers_per_s": a_proc, "a_callbacks_customers_per_s": a_cb,
        "b_calls": n_cs, "b_calls_per_s": b, "b_model_only_calls_per_s": n_cs / median(cs_model),
        "ratio_b_over_a": b / a, "ratio_model_only_over_a": n_cs / median(cs_model) / a,
        "ratio_b_over_a_process": b / a_proc,
    }


def measure_c(repeats: int) -> dict:
    scenario = peer_scenario()
    walls, n = [], 0
    for r in range(repeats):
        wall, (n, _) = timed(replication, scenario, 0)
        walls.append(wall)
    mem = in_child("replication")
    return {"scenario": peer_scenario_raw()[1], "c_days": scenario.run.days, "c_warmup_days": scenario.run.warmup_days,
            "c_calls": n, "c_wall_s": median(walls), "c_walls_s": walls,
            "c_calls_per_s": n / median(walls), "c_peak_rss_mb": mem["peak_rss_mb"],
            "c_peak_increase_mb": mem["peak_increase_mb"]}


def without_zones(raw: dict) -> dict:
    """The same city without geography: each team's travel from 0.1's distribution (police lognormal
    10/6 min, other teams 8/4) instead of bases and a travel matrix."""
    raw = deep_merge(raw, {})
    raw.pop("geography", None)
    for name, team in raw["teams"].items():
        for key in ("bases", "travel_factor", "turnout_min"):
            team.pop(key, None)
        team["response_min"] = ({"dist": "lognormal", "mean": 10, "sd": 6} if team.get("kind") == "police"
                                else {"dist": "lognormal", "mean": 8, "sd": 4})
    return raw


def grid_zones(raw: dict, side: int) -> dict:
    """The city cut into side x side zones of equal share on a 20 x 12 km rectangle, 30 km/h manhattan.

    Units are based in the same 9 places whatever `side` (the middle zone of each ninth of
    the city), so only the number of zones changes: the dispatch cost should not.
    """
    raw = deep_merge(raw, {})
    zones = {f"z{i}_{j}": {"share": 1 / side ** 2, "x": (i + 0.5) * 20 / side, "y": (j + 0.5) * 12 / side}
             for i in range(side) for j in range(side)}
    block = side // 3
    bases = {f"z{i * block + block // 2}_{j * block + block // 2}": 1 for i in range(3) for j in range(3)}
    raw["geography"] = {"zones": zones, "speed_kmh": 30, "metric": "manhattan", "travel_cv": 0.5}
    for team in raw["teams"].values():
        # shift teams take weights; a team with `units` needs counts, so it keeps every unit in one zone
        team["bases"] = bases if "shifts" in team else None
    return raw


def measure_j(repeats: int) -> dict:
    raw, source = peer_scenario_raw()
    if "geography" not in raw:
        return {}
    zoned = validate_scenario(raw)
    plain = validate_scenario(without_zones(raw))
    grids = {side: validate_scenario(grid_zones(raw, side)) for side in (3, 12)}
    walls: dict[str, list[float]] = {"zones": [], "none": [], "grid3": [], "grid12": []}
    calls: dict[str, int] = {}
    for _ in range(repeats):  # interleaved, so a busy machine slows every side alike
        for key, scenario in (("zones", zoned), ("none", plain), ("grid3", grids[3]), ("grid12", grids[12])):
            wall, (n, _) = timed(replication, scenario, 0)
            walls[key].append(wall)
            calls[key] = n
    rate = {k: calls[k] / median(walls[k]) for k in walls}
    return {"j_scenario": source, "j_calls_per_s_zones": rate["zones"], "j_calls_per_s_none": rate["none"],
            "j_ratio_zones_over_none": rate["zones"] / rate["none"], "j_calls_per_s_9_zones": rate["grid3"],
            "j_calls_per_s_144_zones": rate["grid12"], "j_ratio_144_over_9_zones": rate["grid12"] / rate["grid3"]}


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (pool workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure_d(repeats: int, replications: int = 20) -> dict:
    """Wall-clock speed-up of 2 workers over 1, and what CPU accounting says it would be on an idle machine."""
    from sim.designs.experiment import run_experiment

    scenario = peer_scenario()
    serial, parallel, serial_cpu, parallel_cpu, loads = [], [], [], [], []
    for _ in range(repeats):
        for workers, walls, cpus in ((1, serial, serial_cpu), (2, parallel, parallel_cpu)):
            cpu0 = _cpu_s()
            walls.append(timed(run_experiment, [scenario], replications, None, None, None, workers)[0])
            cpus.append(_cpu_s() - cpu0)
            loads.append(os.getloadavg()[0])
    startup = []
    for _ in range(3):  # what a spawned worker would pay (workers start by fork when the process has one thread)
        cpu0 = _cpu_s()
        subprocess.run([sys.executable, "-c", "import sim.designs.experiment"], check=True, cwd=ROOT)
        startup.append(_cpu_s() - cpu0)
    speedup = median(serial) / median(parallel)
    # On an idle 2-core machine the parallel run's wall time is about its total CPU / 2 (the
    # 20 jobs split evenly): the serial CPU over that is the speed-up the code allows.
    idle_estimate = median(serial_cpu) / (median(parallel_cpu) / 2)
    return {"d_replications": replications, "d_serial_s": median(serial), "d_parallel_s": median(parallel),
            "d_serial_runs_s": serial, "d_parallel_runs_s": parallel, "d_speedup": speedup,
            "d_serial_cpu_s": median(serial_cpu), "d_parallel_cpu_s": median(parallel_cpu),
            "d_idle_machine_estimate": idle_estimate, "d_load_avg_1min": loads,
            "d_worker_startup_cpu_s": median(startup)}


def measure_e(event_log_days: float, parquet_rows: int) -> dict:
    log = in_child("event_log", event_log_days)
    pq = in_child("parquet", parquet_rows)
    return {"e_event_log_mb_per_million": log["mb_per_million"], "e_event_log": log,
            "e_parquet_mb_per_million": pq["table_plus_write_mb_per_million"], "e_parquet": pq}


def measure_g(draws: int, small: int) -> dict:
    big = in_child("psa", draws, 2)
    few = in_child("psa", small, 2)
    return {"g_draws": draws, "g_wall_s": big["wall_s"], "g_s_per_draw": big["s_per_draw"],
            "g_peak_increase_mb": big["peak_increase_mb"], "g_small": few,
            "g_memory_growth_mb": big["peak_increase_mb"] - few["peak_increase_mb"]}


def measure_i() -> dict:
    """`crisis-sim plan` on the shipped peer team: one target, a budget, 2 workers, the scenario's run settings."""
    from sim.analysis.targets import parse_target
    from sim.designs.plan import PlanQuestion, plan_shifts
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "peer_embedded.yaml")
    r = scenario.run.replications
    question = PlanQuestion(scenario, "peer_team", (parse_target(PLAN_TARGET),), budget=PLAN_BUDGET,
                            replications=r, max_replications=4 * r)
    started = time.perf_counter()
    result = plan_shifts(question, workers=2)
    wall = time.perf_counter() - started
    return {"i_plan_wall_s": wall, "i_plan_replications": result.runs, "i_plan_curve_replications": result.curve_runs,
            "i_plan_candidates_simulated": int(len(result.table())), "i_plan_message": result.message()}


def measure_scale(fractions=SCALE_FRACTIONS) -> dict:
    rows = [dict(fraction=f, **in_child("replication", f)) for f in fractions]
    base = rows[0]
    for row in rows:
        row["us_per_call"] = row["wall_s"] / row["calls"] * 1e6
        row["cost_vs_smallest"] = row["us_per_call"] / (base["wall_s"] / base["calls"] * 1e6)
    big = rows[-1]
    return {"scale": rows, "big_city_wall_s": big["wall_s"], "big_city_peak_mb": big["peak_rss_mb"],
            "big_city_calls": big["calls"], "big_city_cpu_s": big["cpu_s"], "big_city_load_avg_1min": big["load_avg_1min"]}


# --- (k) time to an answer, (l) memory of the whole command, capability costs, (n) scale-out ---------


MMC_YAML = f"""name: mmc
label: M/M/{MMC_SERVERS}
run: {{days: {MMC_CUSTOMERS / MMC_RATE_PER_MIN / (24 * 60)!r}, warmup_days: 0, replications: 1, seed: {SEED}}}
demand:
  crisis_calls_per_day: {MMC_RATE_PER_MIN * 24 * 60!r}
  call_types: {{any: {{share: 1.0}}}}
teams:
  servers:
    kind: civilian
    units: {MMC_SERVERS}
    on_scene_min: {{dist: exponential, mean: {MMC_SERVICE_MIN!r}}}
routing:
  - match: {{}}
    send: [servers]
"""


def _cli() -> list[str]:
    return [sys.executable, "-m", "sim.cli"] if not (Path(sys.executable).parent / "crisis-sim").exists() else \
        [str(Path(sys.executable).parent / "crisis-sim")]


def _tree_rss_mb(pid: int) -> tuple[float, float]:
    """(a process's own peak resident memory so far (VmHWM), the memory of it and all its descendants
    now), MB. The second sums proportional set sizes (Pss): pages a forked helper shares with its
    parent count once, not once per process."""
    total, own, todo = 0.0, 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0) / 1024
            if p == pid:
                with open(f"/proc/{p}/status") as f:
                    own = next((int(line.split()[1]) for line in f if line.startswith("VmHWM")), 0) / 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return own, total


def run_process(cmd: list[str], sample_s: float | None = 0.05, cwd=ROOT, mark: str | None = None) -> dict:
    """Run a command to the end: wall time, CPU (it and its children), its own process's peak RSS
    (VmHWM) and the peak of its process tree's memory (summed Pss, sampled every `sample_s`).
    With `mark`, also the seconds until a line of its output first holds `mark` (`mark_s`; output
    unbuffered, as on a terminal)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1") if mark else None
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    marked = None
    if mark:
        lines = []

        def read_out():
            nonlocal marked
            for line in proc.stdout:
                if marked is None and mark in line:
                    marked = time.perf_counter() - started
                lines.append(line)

        reader = threading.Thread(target=read_out, daemon=True)
        reader.start()
    peak_tree = peak_main = 0.0
    done = threading.Event()

    def sample():
        nonlocal peak_tree, peak_main
        while not done.is_set():
            own, tree = _tree_rss_mb(proc.pid)
            peak_tree, peak_main = max(peak_tree, tree), max(peak_main, own)
            done.wait(sample_s)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_s is not None:  # None: time only (reading a big process tree's smaps every 50 ms costs ~0.3 s of a 4 s run)
        sampler.start()
    if mark:
        err = proc.stderr.read()
        proc.wait()
        wall = time.perf_counter() - started
        reader.join()
        out = "".join(lines)
    else:
        out, err = proc.communicate()
        wall = time.perf_counter() - started
    done.set()
    if sample_s is not None:
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "peak_main_mb": peak_main, "peak_tree_mb": peak_tree, "load_avg_1min": load, "stdout": out,
            "mark_s": marked}


def measure_k(repeats: int) -> dict:
    """The whole `crisis-sim run` process on the M/M/c of (b), one replication, one worker, against a
    bare SimPy script with the same calls as a whole process; alternated, medians."""
    import shutil

    tmp = Path(tempfile.mkdtemp(prefix="bench-k-"))
    try:
        (tmp / "mmc.yaml").write_text(MMC_YAML)
        bare, cs, cs_cpu, bare_cpu, help_s, loads, headline, no_charts = [], [], [], [], [], [], [], []
        calls = None
        for i in range(repeats):
            # timed without sampling memory (sample_s=None): that would load the bigger process tree more
            b = run_process([sys.executable, str(ROOT / "benchmarks" / "bare_mmc.py"), str(MMC_CUSTOMERS), str(SEED)],
                            sample_s=None)
            out = tmp / f"run{i}"
            c = run_process(_cli() + ["run", str(tmp / "mmc.yaml"), "-r", "1", "--workers", "1", "--out", str(out)],
                            mark="Headline metrics", sample_s=None)
            headline.append(c["mark_s"])
            no_charts.append(run_process(_cli() + ["run", str(tmp / "mmc.yaml"), "-r", "1", "--workers", "1", "--out",
                                                   str(tmp / f"bare-folder{i}"), "--no-charts"], sample_s=None)["wall_s"])
            if calls is None:
                import pandas as pd

                calls = int(pd.read_csv(out / "summary.csv").query("metric == 'calls'")["value"].iloc[0])
            shutil.rmtree(out, ignore_errors=True)
            bare.append(b["wall_s"])
            bare_cpu.append(b["cpu_s"])
            cs.append(c["wall_s"])
            cs_cpu.append(c["cpu_s"])
            loads.append(c["load_avg_1min"])
            help_s.append(run_process(_cli() + ["--help"], sample_s=None)["wall_s"])
        bare_rate = MMC_CUSTOMERS / median(bare)
        cs_rate = calls / median(cs)
        return {"k_calls": calls, "k_bare_wall_s": median(bare), "k_run_wall_s": median(cs),
                "k_bare_walls_s": bare, "k_run_walls_s": cs, "k_bare_cpu_s": median(bare_cpu),
                "k_run_cpu_s": median(cs_cpu), "k_answer_ratio": cs_rate / bare_rate,
                "k_answer_ratio_cpu": (calls / median(cs_cpu)) / (MMC_CUSTOMERS / median(bare_cpu)),
                "k_help_s": median(help_s), "k_load_avg_1min": loads,
                "k_headline_s": median(headline), "k_headline_ratio": (calls / median(headline)) / bare_rate,
                "k_no_charts_wall_s": median(no_charts), "k_no_charts_ratio": (calls / median(no_charts)) / bare_rate}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure_l(days: float) -> dict:
    """Peak memory of the whole `crisis-sim run` command on one long replication of the peer city
    (charts and all), per million call records (crisis calls with repeats and warm-up + other police calls)."""
    import shutil

    import pandas as pd

    tmp = Path(tempfile.mkdtemp(prefix="bench-l-"))
    try:
        warmup = peer_scenario().run.warmup_days
        r = run_process(_cli() + ["run", str(ROOT / "scenarios" / "peer_embedded.yaml"), "-r", "1", "--workers", "1",
                                  "--days", f"{days - warmup:g}", "--out", str(tmp / "out")])
        summary = pd.read_csv(tmp / "out" / "summary.csv")
        total = summary[(summary["metric"].isin(["calls", "other_calls"])) & summary["team"].isna()]["value"].sum()
        records = total * days / (days - warmup)  # the window's calls, scaled to the whole run with its warm-up
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"l_days": days, "l_records": records, "l_wall_s": r["wall_s"], "l_cpu_s": r["cpu_s"],
            "l_main_peak_mb": r["peak_main_mb"], "l_tree_peak_mb": r["peak_tree_mb"],
            "l_command_peak_mb": max(r["peak_tree_mb"], r["peak_main_mb"]),
            "l_command_mb_per_million": max(r["peak_tree_mb"], r["peak_main_mb"]) / records * 1e6,
            "l_main_mb_per_million": r["peak_main_mb"] / records * 1e6, "l_load_avg_1min": r["load_avg_1min"]}


def capability_variants(raw: dict) -> dict[str, dict]:
    """The peer city with each of this batch's capabilities turned off, and with all four off."""

    def no_geography(r):
        return without_zones(r)

    def no_triage(r):
        r = deep_merge(r, {})
        r.pop("triage", None)
        return r

    def no_roles(r):
        resolved = validate_scenario(r)
        r = deep_merge(r, {})
        r.pop("roles", None)
        for name, team in r["teams"].items():
            t = resolved.teams[name]
            team.pop("members", None)
            team["kind"] = t.kind
            team["cost_per_unit_hour"] = t.cost_per_unit_hour
        return r

    def no_follow_up(r):
        r = deep_merge(r, {})
        r.pop("follow_up_phone", None)
        by = {t["follow_up"]["by"] for t in r["teams"].values() if isinstance(t.get("follow_up"), dict)
              and t["follow_up"].get("by")}
        for team in r["teams"].values():
            team.pop("follow_up", None)
        for name in by:
            r["teams"].pop(name, None)
        return r

    offs = {"geography": no_geography, "triage": no_triage, "roles": no_roles, "follow_up_programs": no_follow_up}
    out = {name: off(raw) for name, off in offs.items()}
    everything = raw
    for off in (no_roles, no_follow_up, no_triage, no_geography):
        everything = off(everything)
    out["all_four"] = everything
    return out


def measure_capabilities(repeats: int) -> dict:
    """(c)'s cost of each capability of this batch: the base city year with it and without it, interleaved."""
    raw = peer_scenario_raw()[0]
    scenarios = {"with_all": validate_scenario(raw)}
    scenarios.update({f"without_{k}": validate_scenario(v) for k, v in capability_variants(raw).items()})
    walls: dict[str, list[float]] = {k: [] for k in scenarios}
    cpus: dict[str, list[float]] = {k: [] for k in scenarios}
    for _ in range(repeats):
        for key, scenario in scenarios.items():
            c0 = time.process_time()
            walls[key].append(timed(replication, scenario, 0)[0])
            cpus[key].append(time.process_time() - c0)
    base = median(cpus["with_all"])
    cost = {k.removeprefix("without_"): base / median(v) - 1 for k, v in cpus.items() if k != "with_all"}
    return {"c_capability_cost": cost, "c_capabilities_cost": cost["all_four"],
            "c_capability_cpu_s": {k: median(v) for k, v in cpus.items()}}


def measure_n(draws: int, pool_draws: int, days: float | None = None, warmup_days: float | None = None) -> dict:
    """Scale-out: `run --draws N` of the base city (scenarios/base.yaml, one replication of a year per draw) on a
    Dask LocalCluster with 2 worker processes, streamed to its results folder; against the same on the
    local process pool (2 workers). Draws per second, and the command's peak memory at N and at N/10."""
    import shutil

    from dask.distributed import LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="bench-n-"))
    # the base city (police only): the peer city's own uncertainty can draw invalid chances (see notes)
    scenario = str(ROOT / "scenarios" / "base.yaml")
    out: dict = {"n_draws": draws, "n_pool_draws": pool_draws, "n_days": days, "n_warmup_days": warmup_days}
    length = ([] if days is None else ["--days", f"{days:g}"]) + \
        ([] if warmup_days is None else ["--warmup-days", f"{warmup_days:g}"])
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            for n, key in ((max(draws // 10, 2), "small"), (draws, "full")):
                r = run_process(_cli() + ["run", scenario, "--draws", str(n), "--scheduler", cluster.scheduler_address,
                                          "--no-charts", "--quiet", "--out", str(tmp / f"dask{n}"), *length],
                                sample_s=0.5)
                out[f"n_dask_{key}"] = {k: v for k, v in r.items() if k != "stdout"} | {"draws": n}
        r = run_process(_cli() + ["run", scenario, "--draws", str(pool_draws), "--workers", "2", "--no-charts",
                                  "--quiet", "--out", str(tmp / "pool"), *length], sample_s=0.5)
        out["n_pool"] = {k: v for k, v in r.items() if k != "stdout"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    full, small = out["n_dask_full"], out["n_dask_small"]
    out["n_dask_draws_per_s"] = draws / full["wall_s"]
    out["n_pool_draws_per_s"] = pool_draws / out["n_pool"]["wall_s"]
    # the command's own process (the cluster's workers are not its children)
    out["n_dask_memory_growth_mb"] = full["peak_main_mb"] - small["peak_main_mb"]
    return out


def measure_f(repeats: int) -> dict:
    """The planner's page: seconds from Run to the headline table for a what-if of the base city.

    The page's server has threads, so its workers start by spawn (re-importing sim); a
    waiting thread makes this process choose the same. The what-if changes the peer team's
    units, so the police-only baseline comes from the page's cache.
    """
    from sim.app.edits import check_edits, editable_fields
    from sim.app.runs import RunCache, RunSettings, comparison_key, run_comparison, save_comparison
    from sim.outputs.report import write_report

    police = validate_scenario(load_raw(ROOT / "scenarios" / "police_only.yaml"))
    peer_raw = peer_scenario_raw()[0]
    fields = editable_fields(peer_raw)

    def peer(units: int) -> Scenario:
        values = {f.path: f.value for f in fields}
        return check_edits(peer_raw, fields, {**values, "teams.peer_team.shifts[0].units": units}).scenario

    settings = RunSettings(replications=5, days=365, seed=SEED)
    idle = threading.Event()
    server_thread = threading.Thread(target=idle.wait, daemon=True)
    server_thread.start()
    first, what_if, charts = [], [], []
    try:
        for i in range(repeats):
            cache = RunCache()
            with tempfile.TemporaryDirectory() as tmp:
                for scenarios, times in (([police, peer(5)], first), ([police, peer(6 + i)], what_if)):
                    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
                    started = time.perf_counter()
                    exp = run_comparison(scenarios, settings, cache, workers=2)
                    folder = save_comparison(exp, Path(tmp), "bench", cache, comparison_key(scenarios, settings))
                    wall = time.perf_counter() - started
                    me2, kids2 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
                    own = me2.ru_utime + me2.ru_stime - me.ru_utime - me.ru_stime
                    workers = kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime
                    # on an idle 2-core machine: this process's share runs alone, the workers' share in parallel
                    times.append((wall, own + workers / 2, os.getloadavg()[0]))
                started = time.perf_counter()
                write_report(folder)
                charts.append(time.perf_counter() - started)
    finally:
        idle.set()
    return {"f_first_s": median([t[0] for t in first]), "f_what_if_s": median([t[0] for t in what_if]),
            "f_first_idle_estimate_s": median([t[1] for t in first]),
            "f_what_if_idle_estimate_s": median([t[1] for t in what_if]),
            "f_load_avg_1min": [t[2] for t in first + what_if], "f_charts_report_s": median(charts)}


# --- report ----------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "python": platform.python_version(),
            "simpy": simpy.__version__, "numpy": np.__version__, "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in load]}


def verdict(key: str, value: float) -> str:
    op, target = TARGETS[key]
    ok = value >= target if op == ">=" else value <= target
    return f"target {op} {target:g}: {'MET' if ok else 'NOT MET'}"


def report(r: dict) -> None:
    print(f"machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, {r['machine']['memory_gb']} GB, "
          f"Python {r['machine']['python']}, SimPy {r['machine']['simpy']}, load {r['machine']['load_avg_at_start']}")
    print(f"repeats: {r['repeats']} (medians)\n")
    if "a_customers_per_s" in r:
        print(f"(a) bare SimPy M/M/{MMC_SERVERS}, {MMC_CUSTOMERS:,} customers ({r['a_variant']}): "
              f"{r['a_customers_per_s']:,.0f} customers/s  [process per customer {r['a_process_customers_per_s']:,.0f}, "
              f"callbacks {r['a_callbacks_customers_per_s']:,.0f}]")
        print(f"(b) crisis-sim same M/M/c, {r['b_calls']:,} calls: {r['b_calls_per_s']:,.0f} calls/s "
              f"(model only {r['b_model_only_calls_per_s']:,.0f})")
        print(f"    ratio (b)/(a) = {r['ratio_b_over_a']:.2f}   {verdict('ratio_b_over_a', r['ratio_b_over_a'])}"
              f"   [vs process-per-customer loop: {r['ratio_b_over_a_process']:.2f}]")
    if "c_wall_s" in r:
        print(f"(c) {r['c_days']:g}-day replication (+{r['c_warmup_days']:g} warm-up days), {r['scenario']}: {r['c_calls']:,} calls (crisis + other police) in "
              f"{r['c_wall_s']:.2f} s = {r['c_calls_per_s']:,.0f} calls/s; peak RSS {r['c_peak_rss_mb']:.0f} MB "
              f"(+{r['c_peak_increase_mb']:.0f} MB over imports)   {verdict('c_wall_s', r['c_wall_s'])}")
    if "d_speedup" in r:
        print(f"(d) {r['d_replications']} replications: 1 worker {r['d_serial_s']:.1f} s, 2 workers "
              f"{r['d_parallel_s']:.1f} s, speed-up {r['d_speedup']:.2f}x   {verdict('d_speedup', r['d_speedup'])}")
        print(f"    CPU: 1 worker {r['d_serial_cpu_s']:.1f} s, 2 workers {r['d_parallel_cpu_s']:.1f} s in all -> "
              f"{r['d_idle_machine_estimate']:.2f}x expected on an idle machine; 1-min load average during the runs "
              f"{min(r['d_load_avg_1min']):.1f}-{max(r['d_load_avg_1min']):.1f} on {os.cpu_count()} cores")
        print(f"    workers start by fork (a spawned one would first spend {r['d_worker_startup_cpu_s']:.1f} s CPU "
              f"importing sim); {r['d_serial_cpu_s'] / r['d_replications']:.1f} s CPU per replication")
    if "e_event_log" in r:
        lg, pq = r["e_event_log"], r["e_parquet"]
        print(f"(e) event log: {r['e_event_log_mb_per_million']:.0f} MB per million call records "
              f"({lg['records']:,} records, {lg['job_rows']:,} job rows, +{lg['peak_increase_mb']:.0f} MB peak)   "
              f"{verdict('e_event_log_mb_per_million', r['e_event_log_mb_per_million'])}")
        print(f"    calls.parquet: {r['e_parquet_mb_per_million']:.0f} MB per million rows (table "
              f"{pq['table_in_memory_mb']:.0f} MB + write peak {pq['write_peak_increase_mb']:.0f} MB for "
              f"{pq['rows']:,} rows; file {pq['file_mb']:.0f} MB)   "
              f"{verdict('e_parquet_mb_per_million', r['e_parquet_mb_per_million'])}")
    if "f_what_if_s" in r:
        print(f"(f) the planner's page, base city what-if, 5 replications x 365 days, 2 workers (spawned): "
              f"headline in {r['f_what_if_s']:.1f} s with the baseline cached   {verdict('f_what_if_s', r['f_what_if_s'])}")
        print(f"    first run of both scenarios {r['f_first_s']:.1f} s; then the six charts and report.html "
              f"{r['f_charts_report_s']:.1f} s")
        print(f"    CPU accounting: {r['f_what_if_idle_estimate_s']:.1f} s what-if and {r['f_first_idle_estimate_s']:.1f} s "
              f"first run expected on an idle 2-core machine; 1-min load average during the runs "
              f"{min(r['f_load_avg_1min']):.1f}-{max(r['f_load_avg_1min']):.1f}")
    if "g_wall_s" in r:
        few = r["g_small"]
        print(f"(g) PSA, {r['g_draws']} draws x {len(PSA_SCENARIOS)} scenarios x 1 replication x 365 days, 2 workers: "
              f"{r['g_wall_s']:.0f} s ({r['g_s_per_draw']:.2f} s per draw); parent peak +{r['g_peak_increase_mb']:.0f} MB "
              f"vs +{few['peak_increase_mb']:.0f} MB with {few['draws']} draws: growth {r['g_memory_growth_mb']:+.0f} MB   "
              f"{verdict('g_memory_growth_mb', r['g_memory_growth_mb'])}")
    if "h_fit" in r:
        f = r["h_fit"]
        print(f"(h) fit on a synthetic CAD export of {f['rows']:,} rows ({f['file_mb']:.0f} MB CSV): "
              f"{r['h_fit_wall_s']:.1f} s (CPU {f['cpu_s']:.1f} s, load average {f['load_avg_1min']:.1f})   "
              f"{verdict('h_fit_wall_s', r['h_fit_wall_s'])}; peak RSS "
              f"{r['h_fit_peak_mb']:.0f} MB   {verdict('h_fit_peak_mb', r['h_fit_peak_mb'])}")
        print("    where the time goes: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                     sorted(f["stages_s"].items(), key=lambda kv: -kv[1])))
    if "i_plan_wall_s" in r:
        print(f"(i) plan peer_team for {PLAN_TARGET} within {PLAN_BUDGET:,}, 2 workers: {r['i_plan_wall_s']:.0f} s, "
              f"{r['i_plan_replications']} replications ({r['i_plan_candidates_simulated']} candidates confirmed, "
              f"{r['i_plan_curve_replications']} for the budget curve)   {verdict('i_plan_wall_s', r['i_plan_wall_s'])}")
        print(f"    {r['i_plan_message']}")
    if "scale" in r:
        print("\nscale (one 365-day replication, peer-embedded city grown toward the big city):")
        print(f"  {'fraction':>8} {'calls/day':>10} {'calls':>10} {'wall s':>8} {'us/call':>8} {'x smallest':>10} "
              f"{'peak MB':>8} {'+MB':>7}")
        for row in r["scale"]:
            print(f"  {row['fraction']:>8.3f} {row['calls_per_day']:>10,.0f} {row['calls']:>10,} {row['wall_s']:>8.1f} "
                  f"{row['us_per_call']:>8.1f} {row['cost_vs_smallest']:>10.2f} {row['peak_rss_mb']:>8.0f} "
                  f"{row['peak_increase_mb']:>7.0f}")
    if "j_ratio_zones_over_none" in r:
        print(f"(j) {r['j_scenario']} with zones {r['j_calls_per_s_zones']:,.0f} calls/s, without "
              f"{r['j_calls_per_s_none']:,.0f} calls/s: ratio {r['j_ratio_zones_over_none']:.2f}   "
              f"{verdict('j_ratio_zones_over_none', r['j_ratio_zones_over_none'])}")
        print(f"    9 zones {r['j_calls_per_s_9_zones']:,.0f} calls/s, 144 zones {r['j_calls_per_s_144_zones']:,.0f} "
              f"calls/s: ratio {r['j_ratio_144_over_9_zones']:.2f} (units in the same 9 places; only the zones differ)")
    if "c_capabilities_cost" in r:
        cost = r["c_capability_cost"]
        print("    cost on (c) of each capability (CPU with it / without it - 1): "
              + ", ".join(f"{k.replace('_', ' ')} {v:+.0%}" for k, v in cost.items() if k != "all_four")
              + f"; all four together {cost['all_four']:+.0%}   {verdict('c_capabilities_cost', cost['all_four'])}")
    if "k_answer_ratio" in r:
        print(f"(k) time to an answer: `crisis-sim run` on the M/M/{MMC_SERVERS} of (b), {r['k_calls']:,} calls, -r 1 "
              f"--workers 1, whole process {r['k_run_wall_s']:.2f} s (CPU {r['k_run_cpu_s']:.2f} s with its chart "
              f"processes) vs the bare SimPy script {r['k_bare_wall_s']:.2f} s (CPU {r['k_bare_cpu_s']:.2f} s): "
              f"ratio {r['k_answer_ratio']:.2f}   {verdict('k_answer_ratio', r['k_answer_ratio'])} "
              f"(goal {GOALS['k_answer_ratio']:g}); by CPU {r['k_answer_ratio_cpu']:.2f}")
        print(f"    the headline printed after {r['k_headline_s']:.2f} s (ratio {r['k_headline_ratio']:.2f}; the folder is "
              f"written after it); with --no-charts the whole process {r['k_no_charts_wall_s']:.2f} s (ratio "
              f"{r['k_no_charts_ratio']:.2f})")
        print(f"    `crisis-sim --help` {r['k_help_s']:.2f} s   {verdict('k_help_s', r['k_help_s'])}; 1-min load average "
              f"{min(r['k_load_avg_1min']):.1f}-{max(r['k_load_avg_1min']):.1f}")
    if "l_command_mb_per_million" in r:
        print(f"(l) memory of the whole command: `crisis-sim run` of one {r['l_days']:g}-day replication of the peer city "
              f"({r['l_records']:,.0f} call records), peak {r['l_command_peak_mb']:.0f} MB (its processes' summed Pss "
              f"{r['l_tree_peak_mb']:.0f} MB, sampled; main process VmHWM {r['l_main_peak_mb']:.0f} MB) = {r['l_command_mb_per_million']:.0f} MB per million records"
              f"   {verdict('l_command_mb_per_million', r['l_command_mb_per_million'])} (goal "
              f"{GOALS['l_command_mb_per_million']:g}); main process alone {r['l_main_mb_per_million']:.0f} MB per "
              f"million; {r['l_wall_s']:.0f} s wall, load average {r['l_load_avg_1min']:.1f}")
    if "big_city_wall_s" in r:
        print(f"big city: {r['big_city_calls']:,} calls in {r['big_city_wall_s']:.1f} s   "
              f"{verdict('big_city_wall_s', r['big_city_wall_s'])}; peak RSS {r['big_city_peak_mb']:.0f} MB   "
              f"{verdict('big_city_peak_mb', r['big_city_peak_mb'])}")
        if "big_city_cpu_s" in r:
            print(f"    CPU {r['big_city_cpu_s']:.1f} s (model, tables and metrics in one process; on a shared machine "
                  f"the wall time also waits for a core), load average {r['big_city_load_avg_1min']:.1f}")
    if "n_dask_draws_per_s" in r:
        d, small, pool = r["n_dask_full"], r["n_dask_small"], r["n_pool"]
        length = "year" if r["n_days"] is None else f"{r['n_days']:g} days (+{r['n_warmup_days'] or 0:g} warm-up)"
        print(f"(n) scale-out: {r['n_draws']} draws of the base city, {length} each, on a Dask LocalCluster (2 workers): "
              f"{d['wall_s']:.0f} s = {r['n_dask_draws_per_s']:.2f} draws/s; process pool (2 workers), "
              f"{r['n_pool_draws']} draws: {r['n_pool_draws_per_s']:.2f} draws/s; Dask / pool "
              f"{r['n_dask_draws_per_s'] / r['n_pool_draws_per_s']:.2f}")
        print(f"    the command's peak memory {d['peak_main_mb']:.0f} MB at {r['n_draws']} draws vs "
              f"{small['peak_main_mb']:.0f} MB at {small['draws']}: growth {r['n_dask_memory_growth_mb']:+.0f} MB   "
              f"{verdict('n_dask_memory_growth_mb', r['n_dask_memory_growth_mb'])}; load average "
              f"{d['load_avg_1min']:.1f}")
    met = [k for k in TARGETS if k in r and verdict(k, r[k]).endswith(": MET")]
    print(f"\ntargets met: {len(met)} of {sum(k in r for k in TARGETS)}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="runs per timing (median); (d) uses half, at least 1")
    p.add_argument("--quick", action="store_true", help="fewer repeats and a smaller (e)")
    p.add_argument("--scale", action="store_true", help="also the big-city scale check (a few minutes)")
    p.add_argument("--big-city", action="store_true", help="only the big city of --scale (its last row)")
    p.add_argument("--scale-out", type=int, nargs="?", const=1000, default=None, metavar="DRAWS",
                   help="also the scale-out figure (n): DRAWS (default 1000) draws of the base city on a Dask "
                        "LocalCluster with 2 workers, against a tenth as many on the process pool (long)")
    p.add_argument("--scale-out-days", type=float, default=None, metavar="DAYS",
                   help="with --scale-out: days per draw (default the scenario's year) and --scale-out-warmup days")
    p.add_argument("--scale-out-warmup", type=float, default=None, metavar="DAYS", help=argparse.SUPPRESS)
    p.add_argument("--pool-draws", type=int, default=None, help="with --scale-out: draws on the process pool "
                   "(default a tenth)")
    p.add_argument("--only", default="abcdefghijkl", help="which figures to measure, e.g. 'ab'")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "replication":
            out = child_replication(float(rest[0]) if rest else None)
        elif kind == "event_log":
            out = child_event_log(float(rest[0]))
        elif kind == "psa":
            out = child_psa(int(rest[0]), int(rest[1]))
        elif kind == "export":
            out = {"path": str(big_city_export()[0])}
        elif kind == "fit":
            out = child_fit()
        else:
            out = child_parquet(int(rest[0]))
        print(json.dumps(out))
        return
    repeats = 2 if args.quick else args.repeats
    r: dict = {"created": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine(),
               "repeats": repeats, "targets": {k: f"{op} {v:g}" for k, (op, v) in TARGETS.items()}}
    try:
        r["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                         cwd=ROOT).stdout.strip()
    except OSError:
        pass
    if "a" in args.only or "b" in args.only:
        r.update(measure_ab(repeats))
    if "c" in args.only:
        r.update(measure_c(repeats))
        r.update(measure_capabilities(max(2, repeats // 2)))
    if "d" in args.only:
        r.update(measure_d(max(1, repeats // 2)))
    if "e" in args.only:
        # about a million call records (crisis + other police) in one long replication
        r.update(measure_e(365 * (2 if args.quick else 8), 250_000 if args.quick else 1_000_000))
    if "f" in args.only:
        r.update(measure_f(max(1, repeats // 2)))
    if "g" in args.only:
        r.update(measure_g(40 if args.quick else 200, 10 if args.quick else 20))
    if "h" in args.only:
        r.update(measure_h())
    if "i" in args.only:
        r.update(measure_i())
    if "j" in args.only:
        r.update(measure_j(repeats))
    if "k" in args.only:
        r.update(measure_k(repeats))
    if "l" in args.only:
        # the 2,700-day replication of the peer city (about a million call records), as the whole command
        r.update(measure_l(365 * 2 if args.quick else 2700))
    if args.scale or args.big_city:
        r.update(measure_scale(SCALE_FRACTIONS[-1:] if args.big_city and not args.scale else SCALE_FRACTIONS))
    if args.scale_out:
        r.update(measure_n(args.scale_out, args.pool_draws or max(args.scale_out // 10, 2), args.scale_out_days,
                           args.scale_out_warmup))
    r["met"] = {k: verdict(k, r[k]).endswith(": MET") for k in TARGETS if k in r}
    report(r)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(r, indent=2, default=float) + "\n"
    (RESULTS_DIR / f"bench-{stamp}.json").write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    print(f"\nwritten: {(RESULTS_DIR / f'bench-{stamp}.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
