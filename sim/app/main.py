"""The planner's page: `crisis-sim app` runs this script with Streamlit."""

import streamlit as st

from sim.app.ui import keep_widget_state

st.set_page_config(page_title="crisis-sim: the planner's page", page_icon=":material/emergency:", layout="wide")
keep_widget_state()
st.navigation([
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", default=True),
    st.Page("pages/staffing.py", title="How many teams?", icon=":material/groups:"),
    st.Page("pages/sure.py", title="How sure?", icon=":material/target:"),
    st.Page("pages/open_results.py", title="Open results", icon=":material/folder_open:"),
    st.Page("pages/downloads.py", title="Downloads", icon=":material/download:"),
], position="top").run()
