"""SALT Explorer: page config, the shared sidebar, and routing. Nothing else lives here."""

import streamlit as st

from pages import ui

st.set_page_config(page_title="SALT Explorer", page_icon=":material/science:", layout="wide")

ui.clean_url_numbers()
navigation = st.navigation(ui.page_list())
ui.route(navigation)
ui.sidebar(navigation)
ui.run_page_safely(navigation)
