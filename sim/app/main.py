"""The planner's page: `crisis-sim app` runs this script with Streamlit."""

import streamlit as st

from sim.app.ui import keep_widget_state

st.set_page_config(page_title="crisis-sim: the planner's page", page_icon="🚑", layout="wide")
keep_widget_state()
st.navigation([
    st.Page("pages/compare.py", title="Compare", icon="⚖️", default=True),
    st.Page("pages/staffing.py", title="How many teams?", icon="👥"),
    st.Page("pages/sure.py", title="How sure?", icon="🎯"),
    st.Page("pages/open_results.py", title="Open results", icon="📂"),
    st.Page("pages/downloads.py", title="Downloads", icon="⬇️"),
], position="top").run()
