"""Compare: start from a preset or files, edit staffing and assumptions, run, read the answer."""

from pathlib import Path

import streamlit as st

from sim.app import ui
from sim.app.edits import MORE, check_edits, day_options, editable_fields
from sim.app.presets import available_presets
from sim.app.runs import RunSettings, comparison_key, run_comparison, save_comparison
from sim.errors import ScenarioError
from sim.outputs.results import scenario_yaml

cfg = ui.config()
cache = ui.shared_cache()
st.title("Compare staffing options")
st.caption("Simulated crisis calls for a city, answered under each scenario with the same calls "
           "(common random numbers); every number comes with its 95% confidence interval.")

GIVEN = "Files given on the command line"
UPLOAD = "Upload YAML files"
presets = {p.title: p for p in available_presets()}
sources = ([GIVEN] if cfg.scenarios else []) + list(presets) + [UPLOAD]
top = st.columns([3, 1, 1, 1, 1])
source = top[0].selectbox("Start from", sources, key="keep:source",
                          help="Shipped response models and program cases, the files crisis-sim app was given, "
                               "or your own. The first scenario is the baseline.")
replications = top[1].number_input("Replications", min_value=2, max_value=200, value=cfg.replications, step=1,
                                   key="keep:replications")
days = top[2].number_input("Days", min_value=1, max_value=3650, value=int(cfg.days), step=30, key="keep:days",
                           help="Simulated days after the warm-up.")

if source == GIVEN:
    paths = list(cfg.scenarios)
elif source == UPLOAD:
    uploads = st.file_uploader("Scenario files (the first is the baseline; upload every file of an `extends` "
                               "chain together)", type=["yaml", "yml"], accept_multiple_files=True, key="upload")
    folder = ui.upload_dir()
    paths = []
    for up in uploads or []:
        target = folder / Path(up.name).name
        target.write_bytes(up.getvalue())
        paths.append(target)
    if not paths:
        st.info("Upload one or more scenario YAML files to compare.")
        st.stop()
else:
    preset = presets[source]
    paths = preset.paths()
    if preset.about:
        st.caption(preset.about)

try:
    raws = [ui.raw_scenario(p) for p in paths]
except ScenarioError as exc:
    st.error(str(exc))
    st.stop()
if not all(isinstance(r.get("demand"), dict) and "name" in r for r in raws):
    st.error("Every file must be a complete scenario (name, demand, teams, routing); check it with `crisis-sim check`.")
    st.stop()
warmup = top[3].number_input("Warm-up days", min_value=0, value=int(cfg.warmup_days if cfg.warmup_days is not None
                                                                   else raws[0].get("run", {}).get("warmup_days", 14)),
                             step=10, key="keep:warmup", help="Days simulated first and left out of every measure.")
seed = top[4].number_input("Seed", min_value=0, value=int(raws[0].get("run", {}).get("seed", 2026)), step=1,
                           key="keep:seed")

DAY_LABELS = {"mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa", "sun": "Su"}


def field_widget(f, k: str) -> None:
    """The input for one editable field; its value is read back from session state by key."""
    if f.kind == "int":
        st.number_input(f.label, value=int(f.value), step=1, key=k, help=f.help or None)
    elif f.kind == "time":
        st.text_input(f.label, value=str(f.value), key=k, help=f.help or None)
    elif f.kind == "days":
        st.segmented_control(f.label, list(day_options()), selection_mode="multi", default=f.value, key=k,
                             format_func=DAY_LABELS.get)
    elif f.kind == "share":
        st.number_input(f.label, value=float(f.value), step=0.05, format="%.2f", key=k, help=f.help or None)
    elif f.kind == "wait":
        st.number_input(f.label, value=None if f.value is None else float(f.value), step=1.0, key=k,
                        help=f.help or None, placeholder="no limit")
    else:
        st.number_input(f.label, value=float(f.value), step=1.0, key=k, help=f.help or None)


st.markdown("#### Edit the scenarios")
checked = []
tabs = st.tabs([(r.get("label") or r["name"]) + (" (baseline)" if i == 0 else "") for i, r in enumerate(raws)])
for tab, raw in zip(tabs, raws):
    fields = editable_fields(raw)

    def key(path: str, name: str = raw["name"]) -> str:
        return f"edit:{name}:{path}"

    values = {f.path: st.session_state.get(key(f.path), f.value) for f in fields}
    more = st.session_state.get(key(MORE), "")
    result = check_edits(raw, fields, values, more)
    checked.append((raw, result))
    with tab:
        if raw.get("description"):
            st.caption(raw["description"])
        ui.show_messages(result.general)
        groups: dict[str, list] = {}
        for f in fields:
            groups.setdefault(f.group, []).append(f)
        for group, members in groups.items():
            police = any(f.path.startswith("teams.") for f in members) and all(
                raw["teams"].get(f.path.split(".")[1], {}).get("kind") == "police" for f in members)
            with st.expander(group, expanded=not police or len(raw["teams"]) == 1):
                rows, row = [], []
                for f in members:  # a shift's four fields on one row, the rest four to a row
                    row.append(f)
                    if f.kind == "days" or (len(row) == 4 and not any(m.kind == "time" for m in row)):
                        rows.append(row)
                        row = []
                rows += [row] if row else []
                for row in rows:
                    widths = [3 if f.kind == "days" else 1 for f in row] + [1] * (4 - len(row))
                    for col, f in zip(st.columns(widths), row):
                        with col:
                            field_widget(f, key(f.path))
                            ui.show_messages(result.by_field.get(f.path, []))
        with st.expander("More changes (any key path)"):
            st.text_area("One `key.path: value` per line", key=key(MORE), height=100,
                         placeholder="teams.peer_team.follow_up.probability: 0.6\ncosts.arrest: 3000",
                         help="Any value of the scenario, by the key paths that sweeps and `--vary` use.")
            ui.show_messages(result.by_field.get(MORE, []))
        if result.ok and result.changes:
            st.caption("Changed: " + ", ".join(f"`{k}` = {v}" for k, v in result.changes.items()))

ok = all(c.ok for _, c in checked)
scenarios = [c.scenario for _, c in checked if c.ok]
settings = RunSettings(int(replications), float(days), int(seed), float(warmup))
st.session_state["edited_yaml"] = {c.scenario.name: scenario_yaml(c.scenario) for _, c in checked
                                   if c.ok and c.changes}

st.divider()
run_col, note_col = st.columns([1, 4])
if not ok:
    note_col.error("Fix the fields marked above to run; the messages are those of `crisis-sim check`.")
current_key = comparison_key(scenarios, settings) if ok else None
clicked = run_col.button("Run", type="primary", disabled=not ok, key="run", icon=":material/play_arrow:")
if st.session_state.get("cancel"):
    note_col.warning("Run cancelled; nothing was saved.")

if clicked and ok:
    progress = ui.Progress(settings.replications * len(scenarios), "Simulating", "run", "cancel")
    try:
        experiment = run_comparison(scenarios, settings, cache, workers=cfg.workers, on_done=progress.advance)
    except ScenarioError as exc:  # too big for this machine: refused before any work
        progress.refuse(exc)
    changes = "; ".join(f"{s.name}: " + ", ".join(f"{k}={v}" for k, v in c.changes.items())
                        for s, (_, c) in zip(scenarios, checked) if c.changes)
    command = f"crisis-sim app ({source}{'; ' + changes if changes else ''})"
    folder = save_comparison(experiment, cfg.results, command, cache, current_key)
    progress.finish(folder)
    st.session_state["compare_result"] = {"folder": str(folder), "key": current_key}
    st.session_state["compare_experiment"] = experiment
    st.session_state["last_folder"] = str(folder)

last = st.session_state.get("compare_result")
if last:
    if last["key"] != current_key:
        st.info("These results are from the last run; the edits since then are not in them. Press Run to update.")
    ui.show_run(Path(last["folder"]), last["key"])
    st.caption(f"Results folder: {last['folder']} (see Downloads)")
