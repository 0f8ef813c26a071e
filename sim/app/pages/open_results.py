"""Open results: any saved results folder (run, sweep, staffing, sensitivity), without re-running."""

from pathlib import Path

import pandas as pd
import streamlit as st

from sim.app import ui
from sim.app.runs import results_folders
from sim.errors import ScenarioError
from sim.outputs.results import read_manifest, results_kind

cfg = ui.config()
st.title("Open results")
folders = results_folders(cfg.results)
last = st.session_state.get("last_folder")
folder = ui.pick_folder(folders, cfg.results, "open", Path(last) if last else None)
if folder is None:
    st.stop()
try:
    kind, man = results_kind(folder), read_manifest(folder)
except ScenarioError as exc:  # not a results folder, or a damaged one: say which file and why
    st.error(str(exc))
    st.stop()
st.caption(f"{kind} results · {man.get('command', '')} · created {man.get('created', '?')} · "
           f"{man.get('replications', '?')} replications × {man.get('days', '?')} days")
if kind == "run":
    try:
        ui.show_run(folder, f"open:{folder}")
    except ScenarioError as exc:  # a table damaged in a folder sealed before sizes were recorded
        st.error(str(exc))
else:
    message = (man.get(kind) or {}).get("message") if isinstance(man.get(kind), dict) else None
    if message:
        st.info(message)
    tables = sorted(folder.glob("*.csv"))
    if tables:
        table = st.selectbox("Table", tables, format_func=lambda p: p.name, key=f"open:{folder}:table")
        st.dataframe(pd.read_csv(table), hide_index=True)
    ui.show_folder_figures(folder)
