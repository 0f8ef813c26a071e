"""Open results: any saved results folder (run, sweep, staffing, sensitivity), without re-running."""

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from sim.app import ui
from sim.app.runs import folder_kind, results_folders

cfg = ui.config()
st.title("Open results")
folders = results_folders(cfg.results)
last = st.session_state.get("last_folder")
folder = ui.pick_folder(folders, cfg.results, "open", Path(last) if last else None)
if folder is None:
    st.stop()
if not (folder / "manifest.json").exists():
    st.error(f"{folder} is not a crisis-sim results folder (no manifest.json)")
    st.stop()
kind = folder_kind(folder)
man = json.loads((folder / "manifest.json").read_text())
st.caption(f"{kind} results · {man.get('command', '')} · created {man.get('created', '?')} · "
           f"{man.get('replications', '?')} replications × {man.get('days', '?')} days")
if kind == "run":
    ui.show_run(folder, f"open:{folder}")
else:
    message = (man.get(kind) or {}).get("message") if isinstance(man.get(kind), dict) else None
    if message:
        st.info(message)
    tables = sorted(folder.glob("*.csv"))
    if tables:
        table = st.selectbox("Table", tables, format_func=lambda p: p.name, key=f"open:{folder}:table")
        st.dataframe(pd.read_csv(table), hide_index=True)
    ui.show_folder_figures(folder)
