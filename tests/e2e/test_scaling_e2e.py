from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, wait_until_idle

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs"


def test_bundled_runs_answer_and_plot(app_url, page):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    expect(page.get_by_text("More data for a language, or a bigger model?")).to_be_visible()
    expect(page.get_by_text("10x more pretraining data goes with").first).to_be_visible()
    expect(page.get_by_text("helps low-resource languages more").first).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    assert "task=XNLI" in page.url or "scaling" in page.url
    assert_no_traceback(page)


def test_uploaded_lm_eval_file_loads_and_reports_bad_rows(app_url, page):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        str(FIXTURES / "lm_eval_new.json"))
    wait_until_idle(page)
    expect(page.get_by_text("2 runs loaded.")).to_be_visible()
    expect(page.get_by_text("2 rows were not loaded")).to_be_visible()
    expect(page.get_by_text("unknown language code 'xx'").first).to_be_visible()
    expect(page.get_by_text("10x more pretraining data goes with").first).to_be_visible()
    assert_no_traceback(page)


def test_a_shared_url_restores_families_and_languages(app_url, page):
    languages = "".join(f"&languages={code}" for code in ["de", "fr", "sw", "ur", "hi", "th", "el", "bg"])
    page.goto(f"{app_url}/scaling?families=XLM-R{languages}")
    wait_until_idle(page)
    expect(page.get_by_text("(8 languages, 2 model sizes").first).to_be_visible()
    assert_no_traceback(page)
