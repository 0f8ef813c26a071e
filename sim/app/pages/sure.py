"""How sure? Uncertainty in the inputs, shown only when a results folder holds parameter draws."""

from pathlib import Path

import pandas as pd
import streamlit as st

from sim.app import ui
from sim.app.runs import results_folders

PSA_FILES = ("psa_comparison.csv", "draws.csv")

cfg = ui.config()
st.title("How sure are we?")
st.caption("Confidence intervals elsewhere cover simulation noise only. Uncertainty in the inputs themselves "
           "(effects, costs, travel) comes from runs with parameter draws: a scenario's `uncertainty:` block and "
           "`crisis-sim run ... --draws N`.")
folders = [f for f in results_folders(cfg.results) if any((f / name).exists() for name in PSA_FILES)]
if not folders:
    st.info(f"No results folder under {cfg.results} holds parameter draws ({', '.join(PSA_FILES)}), so there is "
            "nothing to show here yet. This page shows them once such a run exists; it never estimates them itself.")
    st.stop()
folder = ui.pick_folder(folders, cfg.results, "sure")
if folder is not None:
    for name in PSA_FILES:
        path = Path(folder) / name
        if path.exists():
            st.subheader(name)
            st.dataframe(pd.read_csv(path), hide_index=True)
    ui.show_folder_figures(Path(folder))
