"""What every browser test does: wait for the app to settle, and check that nothing internal leaked.

No fixed pauses: waits are for states of the page (the script has finished and no element is stale), and
tests then wait for the element they expect with Playwright's `expect`, which retries until it holds.
"""

import re

from playwright.sync_api import expect

SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null
        && document.querySelector('[data-testid="stSpinner"]') === null
        && document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]') === null;
}"""
LEAKS = ("Traceback", "streamlit.errors", "DeltaGenerator", "Something went wrong", "StreamlitAPIException")


def wait_until_idle(tab, timeout_ms: int = 180_000) -> None:
    """Wait until the app's script has finished running and every element on the page is current."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    tab.wait_for_function(SETTLED, timeout=timeout_ms, polling=100)


def assert_no_traceback(tab) -> None:
    """No traceback, no Streamlit internals (magic once printed DeltaGenerator's docs), no exception box."""
    body = tab.inner_text("body")
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} on the page:\n{body[:3000]}"
    assert tab.locator('[data-testid="stException"]').count() == 0


def click_and_settle(tab, locator) -> None:
    """Click, wait for the rerun the click starts to finish. A rerun may start a moment after the click, so the
    test's following `expect` (which retries up to its ceiling) is what makes the check safe; this only spares
    it most of the wait."""
    locator.click()
    wait_until_idle(tab)


def type_and_submit(tab, label: str, text: str, key: str = "Enter") -> None:
    """Replace a text field's content, submit it the way a person would, and wait for the rerun."""
    field = tab.get_by_label(label)
    field.fill(text)
    field.press(key)
    expect(field).to_have_value(text)
    wait_until_idle(tab)



def expect_in_url(tab, *parts: str, timeout_ms: int = 180_000) -> None:
    """Each of `parts` appears in the page's URL, waiting for it: the app writes the URL at the end of a rerun,
    which may come a moment after the wait for idle has already returned."""
    for part in parts:
        expect(tab).to_have_url(re.compile(re.escape(part)), timeout=timeout_ms)


def open_tab(tab, name: str, timeout_ms: int = 180_000) -> None:
    """Open one of the page's tabs once the page's last rerun has drawn them, and wait until it is selected.
    Tabs are matched by position: a click on the tabs of a view that a running rerun is about to replace is lost
    (the new tabs open on the first), which is how a CI run once waited 180 s for a hidden selectbox."""
    wait_until_idle(tab, timeout_ms)
    button = tab.get_by_role("tab", name=name)
    expect(button).to_have_count(1, timeout=timeout_ms)  # a rerun may still be replacing the previous view
    button.click()
    expect(button).to_have_attribute("aria-selected", "true", timeout=timeout_ms)
    wait_until_idle(tab, timeout_ms)
