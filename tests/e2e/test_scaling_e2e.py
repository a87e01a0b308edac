from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, expect_in_url, open_tab, wait_until_idle

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs"
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_bundled_runs_answer_and_plot(app_url, page):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    expect(page.get_by_text("More data for a language, or a bigger model?")).to_be_visible()
    expect(page.get_by_text("10x more pretraining data goes with").first).to_be_visible()
    expect(page.get_by_text("helps low-resource languages more").first).to_be_visible()
    data_figure = page.locator('[data-testid="stPlotlyChart"]').filter(
        has_text="Score against the language's pretraining data")
    expect(data_figure).to_be_visible()  # the first tab's figure; the closed settings expander's figure is hidden
    expect(page.get_by_role("combobox", name="Task")).to_have_value("XNLI")  # the natural-language default
    assert_no_traceback(page)


def open_scaling_with_uploads(tab, app_url, *paths) -> None:
    tab.goto(f"{app_url}/scaling")
    wait_until_idle(tab)
    tab.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files([str(p) for p in paths])
    wait_until_idle(tab)
    expect(tab.get_by_text("Upload: ").first).to_be_visible()
    expect(tab.get_by_role("tab", name="Data volume")).to_have_count(1)  # the view before the upload has gone


def test_uploaded_lm_eval_file_loads_and_reports_bad_rows(app_url, page):
    open_scaling_with_uploads(page, app_url, FIXTURES / "lm_eval_new.json")
    expect(page.get_by_text("3 runs loaded.")).to_be_visible()
    expect(page.get_by_text("1 rows were not loaded")).to_be_visible()
    expect(page.get_by_text("is not a language code").first).to_be_visible()
    assert_no_traceback(page)


def test_a_real_bloom_xnli_file_lands_beside_the_published_bloom_runs(app_url, page):
    """Issue 8's acceptance: no other click than the upload."""
    open_scaling_with_uploads(page, app_url, REAL / "lm_eval_v03_bloom-560m_xnli_0-shot.json")
    expect(page.get_by_text("15 runs loaded.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Method")).to_have_value("prompted 0-shot")  # the view moved
    expect(page.get_by_role("combobox", name="Task")).to_have_value("XNLI")
    chips = page.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text("Model families", exact=True))
    expect(chips).to_have_count(1)  # the view before the upload has left the page
    expect(chips).to_contain_text("BLOOM")
    charts = page.locator('[data-testid="stPlotlyChart"]')
    data_figure = charts.filter(has_text="Score against the language's pretraining data")
    expect(data_figure).to_contain_text("your runs (uploaded or trained here)")
    expect(data_figure).to_contain_text("bloom-7b1")  # the published BLOOM runs share the axis
    open_tab(page, "Model size")
    size_figure = charts.filter(has_text="Score against model size")
    expect(size_figure).to_contain_text("your runs (uploaded or trained here)")
    assert_no_traceback(page)


def test_a_shared_url_restores_families_and_languages(app_url, page):
    languages = "".join(f"&languages={code}" for code in ["de", "fr", "sw", "ur", "hi", "th", "el", "bg"])
    page.goto(f"{app_url}/scaling?families=XLM-R{languages}")
    wait_until_idle(page)
    expect(page.get_by_text("(8 languages, 2 model sizes").first).to_be_visible()
    assert_no_traceback(page)


def _view(tab) -> dict:
    """What the view shows: the selectboxes' values and the chips of the two multiselects."""
    view = {label: tab.get_by_role("combobox", name=label).input_value() for label in ("Task", "Method", "Metric")}
    for label in ("Model families", "Languages"):
        chips = tab.locator('[data-testid="stMultiSelect"]').filter(has=tab.get_by_text(label, exact=True)).locator(
            '[data-baseweb="tag"]')
        view[label] = sorted(chips.all_inner_texts())
    return view


def test_a_shared_url_reopens_the_view_after_a_change_of_task(app_url, page, browser):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    page.get_by_role("combobox", name="Task").click()
    page.get_by_role("option", name="PAWS-X", exact=True).click()
    wait_until_idle(page)
    expect(page.get_by_role("combobox", name="Task")).to_have_value("PAWS-X")
    shown, shared = _view(page), page.url
    query = parse_qs(urlparse(shared).query)
    assert query.get("task") == ["PAWS-X"]
    methods = page.get_by_role("combobox", name="Method")
    methods.click()
    offered = set(page.get_by_role("option").all_inner_texts())
    page.keyboard.press("Escape")
    assert set(query.get("method", [])) <= offered  # no stale method from XNLI
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(shared)
    wait_until_idle(fresh)
    expect(fresh.get_by_role("combobox", name="Task")).to_have_value("PAWS-X")
    assert _view(fresh) == shown
    assert_no_traceback(fresh)
    fresh.context.close()


def test_two_uploads_with_the_same_file_name_both_load(app_url, page, tmp_path):
    """Every Trainer run is all_results.json: uploads are keyed by content, not by name."""
    first, second = tmp_path / "a" / "all_results.json", tmp_path / "b" / "all_results.json"
    for path, accuracy in ((first, 0.61), (second, 0.66)):
        path.parent.mkdir()
        path.write_text(f'{{"eval_accuracy": {accuracy}, "epoch": 3.0}}')
    open_scaling_with_uploads(page, app_url, first, second)
    expect(page.get_by_text("Upload: all_results.json")).to_have_count(2)
    expect(page.get_by_text("Trainer eval_accuracy = 0.61").first).to_be_visible()
    expect(page.get_by_text("Trainer eval_accuracy = 0.66").first).to_be_visible()
    assert_no_traceback(page)


def test_salt_against_its_baseline_with_seeds_draws_error_bars_and_a_paired_test(app_url, page, tmp_path):
    compare_salt_with_its_baseline(app_url, page, tmp_path)


def compare_salt_with_its_baseline(app_url, page, tmp_path):
    """Upload SALT and baseline runs with seeds and open Method vs baseline (also run on a requirements-only venv)."""
    rows = ["model,language,task,method,metric,score,seed"]
    for index, language in enumerate(["de", "fr", "sw", "ur", "hi"]):
        for seed in range(3):
            rows.append(f"mBERT,{language},XNLI,SALT,accuracy,{72 + index + 0.3 * seed},{seed}")
            rows.append(f"mBERT,{language},XNLI,zero-shot transfer (fine-tuned on English),accuracy,"
                        f"{70 + index + 0.2 * seed},{seed}")
    upload = tmp_path / "salt_seeds.csv"
    upload.write_text("\n".join(rows) + "\n")
    open_scaling_with_uploads(page, app_url, upload)
    expect(page.get_by_text("30 runs loaded.")).to_be_visible()
    wait_until_idle(page)
    open_tab(page, "Method vs baseline")  # an upload reruns the page more than once: it waits for the last view
    baseline = page.get_by_role("combobox", name="Baseline")
    baseline.click()
    page.get_by_role("option", name="zero-shot transfer (fine-tuned on English)").click()
    wait_until_idle(page)
    expect(page.get_by_text("over 3 shared seeds").first).to_be_visible()  # paired by seed, never by language
    expect(page.get_by_text("Target languages (5").first).to_be_visible()
    assert_no_traceback(page)


def test_the_data_figure_exports_as_png_and_svg_with_its_caption(app_url, page, tmp_path):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    for fmt, magic in (("PNG", b"\x89PNG"), ("SVG", b"<svg")):
        with page.expect_download(timeout=180_000) as download:
            page.get_by_role("button", name=f"Data plot with its caption ({fmt})").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        content = path.read_bytes()
        assert content.lstrip()[:len(magic)] == magic and len(content) > 5_000
        if fmt == "SVG":
            assert b"bootstrap over languages" in content and b"XNLI" in content
    assert_no_traceback(page)


def test_non_embedding_parameters_go_to_the_url_and_the_card_says_so(app_url, page):
    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    page.get_by_text("non-embedding", exact=True).click()
    wait_until_idle(page)
    expect_in_url(page, "param_count=non-embedding")
    expect(page.get_by_text("counted as non-embedding parameters")).to_be_visible()
    expect(page.get_by_text("302M against 85.1M")).to_be_visible()
    assert_no_traceback(page)


def test_the_same_file_uploaded_twice_under_two_names_is_read_once_and_the_page_keeps_working(app_url, page, tmp_path):
    data = (FIXTURES / "lm_eval_new.json").read_bytes()
    first, second = tmp_path / "results.json", tmp_path / "copy of results.json"
    first.write_bytes(data)
    second.write_bytes(data)
    open_scaling_with_uploads(page, app_url, first, second)
    expect(page.get_by_text("is byte-identical to results.json").first).to_be_visible()
    expect(page.get_by_text("3 runs loaded.")).to_have_count(1)
    expect(page.get_by_text("More data for a language, or a bigger model?")).to_be_visible()
    assert_no_traceback(page)


def _choose(tab, label: str, option: str) -> None:
    """Pick an option of a selectbox or multiselect the way a person does: open it, type, press Enter."""
    box = tab.locator('[data-testid="stMultiSelect"], [data-testid="stSelectbox"]').filter(
        has=tab.get_by_text(label, exact=True)).locator("input").first  # a help icon changes the accessible name
    box.click()
    box.fill(option)
    box.press("Enter")
    box.press("Escape")  # an open multiselect list hides the rest of the page from role queries (aria-hidden)
    wait_until_idle(tab)


def test_sib200_filtered_to_one_script_and_resource_group_with_its_language_table(app_url, page, tmp_path):
    import pandas as pd

    page.goto(f"{app_url}/scaling")
    wait_until_idle(page)
    _choose(page, "Task", "SIB-200")
    expect(page.get_by_role("combobox", name="Task")).to_have_value("SIB-200")
    expect(page.get_by_text("Every setting of SIB-200, side by side (never pooled)")).to_be_visible()
    _choose(page, "Scripts", "Latin")
    expect(page.get_by_text("The script/region/resource filters hide").first).to_be_visible()
    _choose(page, "Resource groups", "low")
    expect_in_url(page, "scripts=Latin", "groups=low")
    expect(page.get_by_text("10x more pretraining data goes with").first).to_be_visible()
    open_tab(page, "Languages")
    button = page.get_by_role("button", name="Per-language table (CSV)")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    path = tmp_path / "languages.csv"
    download.value.save_as(path)
    assert path.read_text(encoding="utf-8").startswith("# Per-language scores: SIB-200")  # its caption first
    table = pd.read_csv(path, comment="#")
    assert len(table) >= 10 and set(table["script"]) == {"Latin"} and set(table["resource_group"]) == {"low"}
    assert table["score"].is_monotonic_decreasing  # sorted by score; the grid sorts by any column on a click
    assert_no_traceback(page)


def test_the_tools_own_sib200_runs_show_their_answer(small_experiment, browser, tmp_path):
    """The bundled set of this tool's own runs, in the browser: its answer card, paired by seed, and Method vs
    baseline on them (runs of the real training CLI, through $SALT_OWN_RUNS)."""
    from urllib.parse import quote

    from salt_core.files import write_table
    from salt_core.runs.selection import OWN
    from tests.e2e.conftest import WAIT_MS, streamlit_server

    _, runs = small_experiment
    write_table(runs, tmp_path / "own.csv")
    with streamlit_server(tmp_path / "server.log", SALT_OWN_RUNS=str(tmp_path / "own.csv")) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        tab.goto(f"{url}/scaling?sets={quote(OWN)}")
        wait_until_idle(tab)
        expect(tab.get_by_text(f"{OWN}: does SALT help, and more where data is scarce?")).to_be_visible()
        expect(tab.get_by_text("over 2 shared seeds").first).to_be_visible()
        expect(tab.get_by_text("Caveats: a small encoder").first).to_be_visible()
        expect(tab.get_by_role("combobox", name="Task")).to_have_value("SIB-200")
        open_tab(tab, "Method vs baseline")
        expect(tab.get_by_text("Target languages (4, each seed's mean)").first).to_be_visible()
        assert_no_traceback(tab)
        context.close()
