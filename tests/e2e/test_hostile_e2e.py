"""What a user types is shown as text: no image is fetched, no link or directive rendered, in a real browser."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, wait_until_idle

pytestmark = pytest.mark.e2e
# An image on this machine's loopback (nothing listens there): a request for it would be the leak.
BAIT = "![x](http://127.0.0.1:9/leak.png) :red[boom] [link](http://127.0.0.1:9/leak.html)"


def test_typed_markdown_is_text_and_fetches_nothing(app_url, page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    links = [f"/?model=other+%28hub+id+or+local+folder%29&model_path={quote(BAIT)}",
             f"/mixup?model=demo&mx_src={quote('The cat sat ' + BAIT)}&mx_cs={quote('The Katze sat ' + BAIT)}",
             f"/substitutions?model=demo&text={quote('The cat sat. ' + BAIT)}"]
    for link in links:
        page.goto(app_url + link)
        wait_until_idle(page)
        assert_no_traceback(page)
    page.goto(app_url + links[0])
    wait_until_idle(page)
    expect(page.get_by_text("![x](http://127.0.0.1:9/leak.png)").first).to_be_visible()  # shown as typed
    assert page.locator('img[src*="leak"]').count() == 0
    assert page.locator('a[href^="http://127.0.0.1:9/"]').count() == 0  # nav links carry the query; no link to it
    assert not [url for url in requests if url.startswith("http://127.0.0.1:9/")]  # never fetched


def test_a_link_with_values_no_widget_offers_says_what_it_dropped(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo&targets=de&targets=zz&seed=99999999999")
    wait_until_idle(page)
    toasts = page.locator('[data-testid="stToast"]')
    expect(toasts.filter(has_text="zz").first).to_be_visible()  # unknown language: named, the rest kept
    expect(toasts.filter(has_text="2,147,483,647").first).to_be_visible()  # bounds in plain numbers
    expect(page.get_by_role("button", name="Remove de — German · high resource")).to_have_count(1)  # offered: stays
    page.goto(f"{app_url}/scaling?families=foo")
    wait_until_idle(page)
    expect(page.locator('[data-testid="stToast"]').filter(has_text="foo").first).to_be_visible()
    page.goto(f"{app_url}/mixup?model=demo&mx_src=The+dog+sleeps.&mx_cs=The+Hund+sleeps.&mx_word=garbage&mx_layer=40")
    wait_until_idle(page)
    toasts = page.locator('[data-testid="stToast"]')
    expect(toasts.filter(has_text="garbage").first).to_be_visible()
    expect(toasts.filter(has_text="not a layer of this model").first).to_be_visible()
    assert_no_traceback(page)


def test_a_link_may_name_languages_by_flores_code_or_name(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo&targets=yor_Latn&targets=German&source=eng_Latn")
    wait_until_idle(page)
    expect(page.get_by_role("button", name="Remove yo — Yoruba · not in CC-100")).to_have_count(1)
    expect(page.get_by_role("button", name="Remove de — German · high resource")).to_have_count(1)
    assert "targets=yo" in page.url and "yor_Latn" not in page.url  # the link now holds the pickers' codes
    assert_no_traceback(page)
