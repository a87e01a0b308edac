"""What every browser test does: wait for the app to settle, and check no traceback leaked."""

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_until_idle(tab, timeout_ms: int = 120_000) -> None:
    """Wait until the app's script has finished running, and stays finished (reruns included)."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    for _ in range(3):
        tab.wait_for_timeout(400)
        tab.wait_for_selector(IDLE, timeout=timeout_ms)


def assert_no_traceback(tab) -> None:
    body = tab.inner_text("body")
    assert "Traceback" not in body and "streamlit.errors" not in body, body[:2000]
    assert tab.locator('[data-testid="stException"]').count() == 0


def type_and_submit(tab, label: str, text: str, key: str = "Enter") -> None:
    """Replace a text field's content, submit it the way a person would, and wait for the rerun."""
    field = tab.get_by_label(label)
    field.fill(text)
    field.press(key)
    wait_until_idle(tab)
