import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_traceback, expect_in_url, type_and_submit, wait_until_idle

pytestmark = pytest.mark.e2e


def metric(page, label: str):
    """The value element of a metric; `expect(...).to_have_text()` waits for the rerun that changes it."""
    return page.locator('[data-testid="stMetric"]', has_text=label).locator('[data-testid="stMetricValue"]')


def test_type_pick_two_languages_move_threshold(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo")
    wait_until_idle(page)
    expect(page.get_by_text("random weights — predictions are meaningless").first).to_be_visible()

    type_and_submit(page, "Sentences, one per line", "The old man walks to the river.", "Control+Enter")
    expect(metric(page, "Words mined")).to_have_text("7")  # The old man walks to the river

    targets = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
    targets.locator("input").click()
    page.keyboard.type("French")
    page.get_by_role("option", name="fr — French · high resource").click()
    page.keyboard.press("Escape")  # close the dropdown
    wait_until_idle(page)
    expect(targets).to_contain_text("French")

    expect(metric(page, "Translations kept")).to_have_text("0")  # random weights: nothing reaches 0.3
    slider = page.locator('[data-testid="stSlider"]', has_text="Translation threshold").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")
    wait_until_idle(page)
    expect(metric(page, "Translations kept")).to_have_text(str(7 * 5 * 2))  # every candidate of both languages
    expect(page).to_have_url(re.compile(r"[?&]t=0"))  # the threshold is in the URL
    expect_in_url(page, "targets=")
    expect(page.locator("mark").first).to_be_visible()  # replaced words are marked
    assert_no_traceback(page)


def test_bad_input_shows_messages(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo")
    wait_until_idle(page)
    type_and_submit(page, "Sentences, one per line", "🙂 ‮ !!!\n\x00\u200b", "Control+Enter")
    expect(page.get_by_text("not mined").first).to_be_visible()
    assert_no_traceback(page)


def test_dictionary_upload_draws_precision_and_recall(app_url, page):
    from pathlib import Path

    page.goto(f"{app_url}/substitutions?model=demo&t=0&targets=fr&targets=de&targets=zh")
    wait_until_idle(page)
    dictionary = Path(__file__).resolve().parents[1] / "fixtures" / "dictionary_en_de.csv"
    uploader = page.locator('[data-testid="stFileUploader"]', has_text="Bilingual dictionary")
    uploader.locator('input[type="file"]').set_input_files(str(dictionary))
    wait_until_idle(page)
    expect(page.get_by_text("Kept translations against your dictionary").first).to_be_visible()
    # Three targets, and the dictionary's name says en-de: German is picked, and only German is scored.
    expect(page.get_by_role("combobox", name="This dictionary translates into")).to_have_value("de — German")
    assert_no_traceback(page)


def test_moving_the_threshold_reruns_only_the_inspector_and_the_hint_sets_it(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo")
    wait_until_idle(page)
    expect(page.get_by_text("No translation reaches its threshold").first).to_be_visible()
    page.get_by_role("button", name="Set the translation threshold to").click()
    wait_until_idle(page)
    expect(page.locator('[data-testid="stMetric"]', has_text="Translations kept").locator(
        '[data-testid="stMetricValue"]')).not_to_have_text("0")
    expect_in_url(page, "t=0.00")  # the threshold the button chose is in the URL
    assert_no_traceback(page)


def test_the_miner_choice_goes_to_the_url_and_both_miners_are_compared(app_url, page):
    page.goto(f"{app_url}/substitutions?model=demo")
    wait_until_idle(page)
    expect(page.get_by_text("The two miners side by side")).to_be_visible()
    page.locator('[data-testid="stRadio"]', has_text="Candidates from").get_by_text("similarity", exact=True).click()
    wait_until_idle(page)
    expect_in_url(page, "miner=similarity")
    expect(page.get_by_text("Threshold reads the confidence")).to_be_visible()
    assert_no_traceback(page)


def test_a_muse_dictionary_and_a_corpus_with_its_own_column_name_load(app_url, page, tmp_path):
    """MUSE's bilingual dictionaries separate the pair by a space; a corpus CSV may call its column anything."""
    page.goto(f"{app_url}/substitutions?model=demo&targets=de")
    wait_until_idle(page)
    corpus = tmp_path / "reviews.csv"
    corpus.write_text("id,review\n1,The house is near the river.\n2,The dog sleeps in the garden.\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"]', has_text="small corpus").locator(
        'input[type="file"]').set_input_files(str(corpus))
    wait_until_idle(page)
    expect(page.get_by_text("pick the one that holds the sentences").first).to_be_visible()
    _choose_option(page, "Text column", "review")
    wait_until_idle(page)
    expect(page.get_by_text("The dog sleeps in the garden.").first).to_be_visible()  # mined from that column
    muse = tmp_path / "en-de.0-5000.txt"
    muse.write_text("the der\nhouse haus\nriver fluss\ndog hund\ngarden garten\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"]', has_text="Bilingual dictionary").locator(
        'input[type="file"]').set_input_files(str(muse))
    wait_until_idle(page)
    for label in ("Precision at", "Recall", "Coverage"):
        expect(page.locator('[data-testid="stMetric"]', has_text=label).first).to_be_visible()
    expect(page.get_by_text("Matched and missed words").first).to_be_visible()
    assert_no_traceback(page)


def _choose_option(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_pasted_corpus_over_the_link_limit_mines_and_its_threshold_moves(app_url, page):
    """200 sentences (~12,000 characters) pasted and submitted: the text leaves the link (it was bound to it a
    moment before), nothing breaks, and the threshold still moves."""
    page.goto(f"{app_url}/substitutions?model=demo&targets=de")
    wait_until_idle(page)
    corpus = "\n".join(f"The old man {i} walks slowly to the river near the town." for i in range(200))
    assert 11_000 < len(corpus) < 13_000
    type_and_submit(page, "Sentences, one per line", corpus, "Control+Enter")
    expect(page.get_by_text("longer than 2,000 characters").first).to_be_visible()
    expect(metric(page, "Words mined")).not_to_have_text("0")
    assert "text=" not in page.url
    slider = page.locator('[data-testid="stSlider"]', has_text="Translation threshold").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")
    wait_until_idle(page)
    expect(metric(page, "Translations kept")).not_to_have_text("0")
    expect_in_url(page, "t=0")
    assert_no_traceback(page)
