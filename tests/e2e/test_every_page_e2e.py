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
