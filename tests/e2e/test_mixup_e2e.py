import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, expect_in_url, type_and_submit, wait_until_idle

pytestmark = pytest.mark.e2e


def test_pick_pair_move_r_and_see_tables_and_projection_change(app_url, page):
    page.goto(f"{app_url}/mixup?model=demo")
    wait_until_idle(page)
    expect(page.get_by_text("embeddings are random").first).to_be_visible()
    type_and_submit(page, "Source sentence", "The old man walks home.")
    type_and_submit(page, "Code-switched sentence", "The alte man walks home.")
    expect(page.get_by_role("combobox", name="Word to mix")).to_have_value("1: old (replaced)")
    projection = page.locator('[data-testid="stPlotlyChart"]').first
    expect(projection).to_be_visible()
    star_before = projection.locator("path.point").last.get_attribute("transform")
    table_before = page.locator('[data-testid="stTable"]').first.inner_text()
    slider = page.locator('[data-testid="stSlider"]', has_text="Scalar r").get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")  # r = 1: the mix is the source word itself
    wait_until_idle(page)
    expect_in_url(page, "mx_r=1")
    expect(page.get_by_text("mix at r = 1.00").first).to_be_visible()
    assert page.locator('[data-testid="stTable"]').first.inner_text() != table_before
    star_after = projection.locator("path.point").last.get_attribute("transform")
    assert star_after != star_before  # the chosen-r point moved in the projection
    assert_no_traceback(page)


def test_misaligned_pair_shows_a_message(app_url, page):
    page.goto(f"{app_url}/mixup?model=demo")
    wait_until_idle(page)
    type_and_submit(page, "Code-switched sentence", "A completely different and much longer text is here.")
    expect(page.get_by_text("do not align").first).to_be_visible()
    assert_no_traceback(page)
