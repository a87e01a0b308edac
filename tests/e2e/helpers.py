"""What every browser test does: wait for the app to settle, and check no traceback leaked."""


def wait_until_idle(tab, timeout_ms: int = 90_000) -> None:
    """Wait until the app has rendered and its script has finished running."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    tab.wait_for_timeout(500)
    tab.wait_for_function(
        """() => { const s = document.querySelector('[data-testid="stStatusWidget"]');
                   return !s || !s.innerText.includes('Running'); }""", timeout=timeout_ms)
    tab.wait_for_timeout(300)


def assert_no_traceback(tab) -> None:
    body = tab.inner_text("body")
    assert "Traceback" not in body and "streamlit.errors" not in body, body[:2000]
