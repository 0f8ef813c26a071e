"""Downloads: a results folder as a zip, its CSVs and report.html, and the edited scenarios as YAML."""

from pathlib import Path

import streamlit as st

from sim.app import ui
from sim.app.runs import results_folders

cfg = ui.config()
st.title("Downloads")
last = st.session_state.get("last_folder")
folder = ui.pick_folder(results_folders(cfg.results), cfg.results, "downloads", Path(last) if last else None)
if folder is not None:
    if (folder / "manifest.json").exists():
        ui.download_buttons(folder)
    else:
        st.error(f"{folder} is not a crisis-sim results folder (no manifest.json)")
ui.yaml_downloads(st.session_state.get("edited_yaml", {}))
