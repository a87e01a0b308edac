"""Every AppTest runs app.py, as the real server does.

Streamlit treats an app with a `pages/` folder beside its main script as a legacy (v1) multipage app until
`st.navigation` is called, and AppTest resets that flag before every run, so a rerun would execute the page
file alone: no router, no sidebar, no page guard. The server runs app.py (our router calls st.navigation,
which clears the flag); this fixture makes AppTest do the same, so the tests exercise what users get.
"""

import pytest
from streamlit.runtime.pages_manager import PagesManager


@pytest.fixture(autouse=True)
def run_through_the_router(monkeypatch):
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
