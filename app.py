"""SALT Explorer: page config, the shared sidebar, and routing. Nothing else lives here."""

import streamlit as st

from pages import ui

st.set_page_config(page_title="SALT Explorer", page_icon=":material/science:", layout="wide")

navigation = st.navigation(ui.page_list(), position="hidden")  # drawn by ui.sidebar (config: showSidebarNavigation)
ui.route(navigation)
ui.clean_url_numbers()  # after the router's detour (a switch of page would take the toasts with it)
ui.sidebar(navigation)
ui.run_page_safely(navigation)
