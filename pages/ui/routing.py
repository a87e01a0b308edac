"""The page list, the router's detour for links that open a page directly, and safe page running."""

from __future__ import annotations

import logging

import streamlit as st

from pages.ui.url import plain
from salt_core.errors import SaltError

log = logging.getLogger("salt_explorer")


def page_list() -> list:
    """The pages that exist. A page is listed only when it does something."""
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
        st.Page("pages/substitutions.py", title="Substitutions", icon=":material/swap_horiz:", url_path="substitutions"),
        st.Page("pages/mixup.py", title="Mixup", icon=":material/blur_on:", url_path="mixup"),
        st.Page("pages/scaling.py", title="Scaling", icon=":material/trending_up:", url_path="scaling"),
        st.Page("pages/experiments.py", title="Experiments", icon=":material/model_training:", url_path="experiments"),
    ]


def enter_page(path: str) -> None:
    """First line of every page: make sure the page runs inside app.py's router.

    Streamlit runs a script from pages/ directly (without app.py, so without the sidebar) when it is the
    first page a fresh server process is asked for, e.g. a shared link to /substitutions. We send such
    a run through app.py, which then switches to the page the link asked for, query parameters intact.
    """
    if not st.session_state.get("_salt_routed"):
        st.session_state["_salt_intended_page"] = path
        st.switch_page("app.py", query_params=url_parameters())


def url_parameters() -> dict[str, list[str]]:
    """Every URL parameter with all its values (to_dict() keeps only the last: targets=de&targets=fr lost de)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def route(navigation) -> None:
    """Called by app.py once its router exists: finish a detour started by enter_page()."""
    st.session_state["_salt_routed"] = True
    intended = st.session_state.pop("_salt_intended_page", None)
    if intended:
        st.switch_page(intended, query_params=url_parameters())


def run_page_safely(page) -> None:
    """Run a page; an unexpected failure becomes a message, never a traceback."""
    try:
        page.run()
    except SaltError as exc:
        st.error(plain(exc))
    except Exception as exc:  # noqa: BLE001 — last line of defence for the UI
        log.exception("page failed")
        st.error(f"Something went wrong on this page ({type(exc).__name__}). The details are in the server "
                 "log. Change the input and try again; nothing you entered was lost.")
