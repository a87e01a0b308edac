"""Scaling: from saved runs, does more data for a low-resource language beat a bigger model?"""

import streamlit as st

from pages import ui
from pages.ui import scaling_results, scaling_sources, scaling_view
from salt_core.runs.selection import OWN

ui.enter_page("pages/scaling.py")
st.title("Scaling")
st.caption("Accuracy against a language's pretraining-data volume and against model size, from saved runs. "
           "Bundled runs are published figures, each with its source; known problems travel with them as flags. "
           f"*{OWN}* are the experiment this tool ran itself (benchmarks/bench_salt_sib200.py), every row trained "
           "here and committed with its runs.")

runs, uploads = scaling_sources.gather()  # bundled sets, uploads, runs trained here
view = scaling_view.choose(runs, uploads)  # kind, task, method, metric, protocol, filters, unit
scaling_results.cards(view)  # more data or a bigger model; this tool's own experiment
data_figure, fit_terms = scaling_results.tabs(view)
scaling_results.downloads(view, data_figure, fit_terms)
