"""Open a page of the app in AppTest with the demo model, the way a user's browser would."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, timeout: int = 180, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["model"] = "demo"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()  # the router must exist before switching pages
    at.switch_page(page)
    return at.run()
