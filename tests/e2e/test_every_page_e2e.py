"""Every page and every tab, opened in Chromium with the demo model: nothing internal may show."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, wait_until_idle

pytestmark = pytest.mark.e2e
PAGES = {"": "SALT Explorer", "substitutions?t=0": "Substitutions", "mixup": "Mixup", "experiments": "Experiments",
         "scaling": "Scaling"}


def test_every_page_and_every_tab_renders_without_internals(app_url, page):
    page.goto(f"{app_url}/?model=demo")
    wait_until_idle(page)
    for path, title in PAGES.items():
        page.goto(f"{app_url}/{path}{'&' if '?' in path else '?'}model=demo")
        wait_until_idle(page)
        expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
        assert_no_traceback(page)
        tabs = page.get_by_role("tab")
        for index in range(tabs.count()):
            tabs.nth(index).click()
            wait_until_idle(page)
            expect(tabs.nth(index)).to_have_attribute("aria-selected", "true")
            assert_no_traceback(page)
        for expander in page.locator('[data-testid="stExpander"] summary').all():
            expander.click()
            wait_until_idle(page)
            assert_no_traceback(page)
    assert tabs.count() == 7  # Scaling's tabs (Languages included) were all opened


def test_the_sidebar_lists_the_five_pages_and_never_the_pages_folder(app_url, page):
    """Streamlit's own list of pages/ (app, home, mixup, scaling, substitutions, ui) once flashed on a fresh
    server's first load; it is off (config), and the sidebar draws the router's pages itself."""
    page.goto(f"{app_url}/mixup?model=demo")
    wait_until_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    links = sidebar.locator('[data-testid="stPageLink-NavLink"]')
    expect(links).to_have_count(5)
    assert [link.inner_text().split("\n")[-1].strip() for link in links.all()] == [
        "Home", "Substitutions", "Mixup", "Scaling", "Experiments"]
    expect(sidebar.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    links.filter(has_text="Scaling").click()
    wait_until_idle(page)
    expect(page.get_by_role("heading", name="Scaling", exact=True).first).to_be_visible()
    assert_no_traceback(page)
