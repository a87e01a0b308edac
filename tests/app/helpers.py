"""Open a page of the app in AppTest with the demo model, the way a user's browser would."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, timeout: int = 180, query: dict | None = None, **state) -> AppTest:
    """`query`: the shared link's parameters (what the browser's URL holds when the session opens)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["model"] = "demo"
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()  # the router must exist before switching pages
    at.switch_page(page)
    return at.run()
