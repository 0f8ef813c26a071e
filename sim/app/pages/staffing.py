"""How many teams? The staffing finder: the fewest units whose 95% intervals meet every target, confirmed with
fresh replications as `crisis-sim staff` does."""

import hashlib
import math
from pathlib import Path

import pandas as pd
import streamlit as st

from sim.analysis.targets import parse_target
from sim.app import ui
from sim.app.presets import available_presets
from sim.app.runs import RunSettings, check_run_fits, new_folder
from sim.designs.confirm import confirm_staffing
from sim.designs.staffing import StaffingQuestion, find_staffing
from sim.errors import ScenarioError
from sim.outputs.folders import save
from sim.outputs.results import scenario_hash
from sim.scenario.loading import load_scenario

cfg = ui.config()
cache = ui.shared_cache()
st.title("How many teams do we need?")
st.caption("The staffing finder tries staffing levels by bisection, with the same calls at every level, and "
           "adds replications where a decision is close. A level meets a target only when its whole 95% CI does; "
           "the answer is then confirmed with fresh replications.")

paths = {}
for p in list(cfg.scenarios) + [path for preset in available_presets() for path in preset.paths()]:
    paths.setdefault(p.resolve(), p)
scenarios = {}
for path in paths.values():
    try:
        s = load_scenario(path)
    except ScenarioError:
        continue
    if any(t.kind != "police" for t in s.teams.values()):
        scenarios.setdefault(s.name, s)
if not scenarios:
    st.info("No scenario with a team other than police to staff. Start `crisis-sim app` with such a scenario file.")
    st.stop()
names = list(scenarios)
default = names.index("peer_embedded") if "peer_embedded" in names else 0
top = st.columns([3, 2, 2])
name = top[0].selectbox("Scenario", names, index=default, format_func=lambda n: scenarios[n].display_label,
                        key="keep:staff:scenario")
scenario = scenarios[name]
teams = [t for t, team in scenario.teams.items() if team.kind != "police"]
team = top[1].selectbox("Team to staff", teams, format_func=lambda t: scenario.teams[t].label or t,
                        key=f"keep:staff:{name}:team")
shifts = scenario.teams[team].shifts
shift_options = [None] + (list(range(len(shifts))) if shifts and len(shifts) > 1 else [])
shift = top[2].selectbox("Which shift", shift_options, key=f"keep:staff:{name}:{team}:shift",
                         format_func=lambda i: "every shift" if i is None else
                         f"shift {i + 1}: {', '.join(shifts[i].days)} {shifts[i].start}-{shifts[i].end}")
targets_text = st.text_area(
    "Targets, one per line (METRIC<=VALUE or METRIC>=VALUE; a team's metric as NAME[TEAM])",
    value=f"fallback_share<=0.25\nutilization[{team}]<=0.8", key=f"keep:staff:{name}:{team}:targets",
    help="e.g. response_min_p90<=20, eligible_reached_share[peer_team]>=0.7; docs/metrics.md lists every metric.")
cols = st.columns(5)
min_units = cols[0].number_input("Fewest units", min_value=0, value=1, step=1, key="keep:staff:min")
max_units = cols[1].number_input("Most units", min_value=1, value=12, step=1, key="keep:staff:max")
reps = cols[2].number_input("Replications per level", min_value=2, value=3, step=1, key="keep:staff:reps")
max_reps = cols[3].number_input("At most, when close", min_value=2, value=6, step=1, key="keep:staff:maxreps")
days = cols[4].number_input("Days", min_value=1, value=min(int(cfg.days), 180), step=30, key="keep:staff:days")

errors, targets = [], []
for line in targets_text.splitlines():
    if line.strip():
        try:
            targets.append(parse_target(line.strip(), "targets"))
        except ScenarioError as exc:
            errors.append(exc.message)
question = StaffingQuestion(scenario, team, tuple(targets), max_units=int(max_units), min_units=int(min_units),
                            shift=None if shift is None else str(shift + 1), replications=int(reps), max_replications=int(max_reps), days=float(days))
if not errors:
    try:
        question.check()
    except ScenarioError as exc:
        errors.append(str(exc))
ui.show_messages(errors)

key = hashlib.sha256(repr((scenario_hash(scenario), team, shift, [str(t) for t in targets], int(min_units),
                           int(max_units), int(reps), int(max_reps), float(days))).encode()).hexdigest()[:10]
if st.button("Find the staffing", type="primary", disabled=bool(errors), key="staff:run", icon=":material/play_arrow:"):
    folder = cache.folders.get(f"staff:{key}")
    if folder is None:
        levels = math.ceil(math.log2(max(int(max_units) - int(min_units) + 1, 1))) + 1
        progress = ui.Progress(levels * int(reps), "Searching", "search", "staff:cancel", of_total=False)
        try:
            check_run_fits([scenario] * levels, RunSettings(int(reps), float(days), 0), cfg.workers, keep_calls=False)
        except ScenarioError as exc:  # too big for this machine: refused before any work
            progress.refuse(exc)
        result = find_staffing(question, workers=cfg.workers, on_done=progress.advance)
        progress.total += 2 * int(max_reps)
        result.confirmation = confirm_staffing(result, workers=cfg.workers, on_done=progress.advance)
        folder = save(result, new_folder(cfg.results, [f"{name}_staffing"], key),
                      command=f"crisis-sim app (How many teams?: {name}, {team})")
        cache.folders[f"staff:{key}"] = folder
        progress.finish(folder)
    st.session_state["staff_result"] = str(folder)
    st.session_state["last_folder"] = str(folder)

if st.session_state.get("staff_result"):
    import json

    folder = Path(st.session_state["staff_result"])
    info = json.loads((folder / "manifest.json").read_text())["staffing"]
    (st.success if info["answer"] is not None else st.warning)(info["message"])
    confirmation = json.loads((folder / "manifest.json").read_text()).get("confirmation")
    if confirmation:
        (st.success if confirmation["answer"] is not None else st.warning)(confirmation["message"])
    search = pd.read_csv(folder / "search.csv")
    shown = search[["step", "units", "replications", "verdict"]].copy()
    for t in info["targets"]:
        shown[t] = [f"{m:.3g} ({lo:.3g} to {hi:.3g})" for m, lo, hi in
                    zip(search[f"{t} mean"], search[f"{t} ci_low"], search[f"{t} ci_high"])]
    st.subheader("Staffing levels tried")
    st.table(shown.set_index("step"))
    ui.show_folder_figures(folder)
    st.caption(f"Results folder: {folder}")
