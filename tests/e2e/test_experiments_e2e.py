"""From training to Scaling in a real browser: runs the CLI trained are the user's runs on Scaling, with the
method-vs-baseline deltas and the comparison paired by seed; the Experiments page renders without internals."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, open_tab, wait_until_idle
from tests.paths import ROOT, SHARED

pytestmark = pytest.mark.e2e
SIB200 = SHARED / "data" / "sib200"


@pytest.mark.skipif(not SIB200.is_dir(), reason="../shared/data/sib200 is not beside this checkout")
def test_runs_trained_by_the_cli_land_on_scaling_with_the_paired_test(app_url, page, tmp_path):
    runs = tmp_path / "runs"
    result = subprocess.run([sys.executable, "-m", "salt_core", "train", "--model", "demo", "--data", str(SIB200),
                             "--methods", "baseline,salt", "--languages", "eng_Latn,deu_Latn,fra_Latn,swh_Latn",
                             "--seeds", "1,2", "--epochs", "1", "--max-train-examples", "32", "--quiet",
                             "--output", str(runs)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    page.get_by_text("Your runs trained here").click()
    field = page.get_by_role("textbox", name="Runs folder")
    field.fill(str(runs))
    field.press("Enter")
    wait_until_idle(page)
    expect(page.get_by_text("4 runs (32 rows) in").first).to_be_visible()
    wait_until_idle(page)  # the line above is written early in the rerun: the tabs below may still be the old ones
    expect(page.get_by_role("combobox", name="Task").first).to_have_value("SIB-200")
    open_tab(page, "Method vs baseline")
    page.get_by_role("combobox", name="Baseline").click()
    page.get_by_role("option", name="zero-shot transfer (fine-tuned on English)").click()
    wait_until_idle(page)
    expect(page.get_by_role("tab", name="Method vs baseline")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("over 2 shared seeds").first).to_be_visible()  # paired by seed, never by language
    expect(page.get_by_text("Target languages (3").first).to_be_visible()  # English reported apart
    expect(page.get_by_text("augmented languages (2)").first).to_be_visible()  # de, fr (the registry has sw, not swh)
    expect(page.get_by_text("languages not augmented (1)").first).to_be_visible()
    assert_no_traceback(page)


def test_the_experiments_page_renders_its_form_and_says_what_it_needs(app_url, page):
    page.goto(f"{app_url}/experiments?model=demo")
    wait_until_idle(page)
    expect(page.get_by_role("heading", name="Experiments")).to_be_visible()
    expect(page.get_by_text("demo model (random weights").first).to_be_visible()
    page.get_by_role("button", name="Start the experiment").click()
    wait_until_idle(page)
    expect(page.get_by_text("name the task data").first).to_be_visible()
    assert_no_traceback(page)


@pytest.mark.skipif(not SIB200.is_dir(), reason="../shared/data/sib200 is not beside this checkout")
def test_the_experiments_page_draws_each_runs_learning_curve(browser, tmp_path):
    """A run's curve is kept beside it and drawn where its runs are listed (a server whose runs folder is this one)."""
    from tests.e2e.conftest import streamlit_server

    runs = tmp_path / "runs"
    result = subprocess.run([sys.executable, "-m", "salt_core", "train", "--model", "demo", "--data", str(SIB200),
                             "--methods", "baseline,salt", "--languages", "eng_Latn,deu_Latn", "--seeds", "1",
                             "--epochs", "1", "--max-train-examples", "32", "--batch-size", "8", "--quiet",
                             "--output", str(runs)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    with streamlit_server(tmp_path / "server.log", SALT_RUNS=str(runs), SALT_JOBS=str(tmp_path / "jobs")) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/experiments")
        wait_until_idle(page)
        expect(page.get_by_text("Learning curves", exact=True)).to_be_visible()
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        expect(chart).to_contain_text("source-dev accuracy")
        expect(chart).to_contain_text("training loss")
        expect(page.get_by_text("same number of optimisation steps").first).to_be_visible()
        assert_no_traceback(page)
        context.close()
