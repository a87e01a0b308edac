import re

import pytest

from salt_core.substitutions.codeswitching import CodeSwitchSettings, threshold_step
from tests.app.helpers import open_page


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_mines_the_example_and_thresholds_filter_without_rerunning_the_model(monkeypatch):
    at = open_page("pages/substitutions.py")
    assert not at.exception and not at.error
    assert any("random weights" in w.value for w in at.warning)
    assert int(_metric(at, "Words mined")) == 12
    assert int(_metric(at, "Translations kept")) == 0  # demo probabilities are ~1/vocabulary
    import salt_core.substitutions.mining as mining

    calls = []
    original = mining.masked_logits
    monkeypatch.setattr(mining, "masked_logits", lambda *a, **k: calls.append(1) or original(*a, **k))
    at.slider(key="t").set_value(0.0).run()
    assert not at.exception
    assert int(_metric(at, "Translations kept")) == 12 * 5
    assert calls == []  # mining results came from the cache
    shown = [m.value for m in at.markdown if '<div dir="auto"' in m.value]
    assert len(shown) == 1  # the page of sentences is one element
    sentences = shown[0].split('<div dir="auto"')[1:]
    assert len(sentences) == 2 and all("<mark" in s and "title=" in s for s in sentences)
    pairs = at.session_state["codeswitched_pairs"]
    assert len(pairs) == 2 and all(p["replacements"] for p in pairs)


def test_two_target_languages_and_synonyms(monkeypatch):
    at = open_page("pages/substitutions.py", targets=["de", "fr"])
    at.slider(key="t").set_value(0.0).run()
    at.slider(key="ts").set_value(0.0).run()
    assert int(_metric(at, "Translations kept")) == 12 * 5 * 2
    assert int(_metric(at, "Synonyms kept")) == 12 * 5
    assert len(at.get("plotly_chart")) == 2


def test_a_random_model_at_the_default_threshold_gets_a_hint_and_a_button():
    at = open_page("pages/substitutions.py")
    defaults = CodeSwitchSettings()
    assert at.slider(key="t").value == defaults.translation_threshold  # the dataclass is the one source
    assert at.slider(key="ts").value == defaults.synonym_threshold
    hint = next(i.value for i in at.info if "No translation reaches its threshold" in i.value)
    best = float(re.search(r"seen is ([0-9.]+[0-9])", hint).group(1))
    assert 0 < best < 0.05  # random weights: about 1/vocabulary
    assert at.slider(key="t").step == pytest.approx(threshold_step(best))  # fine enough to place a threshold there
    at.button(key="below_t").click().run()
    assert not at.exception
    assert 0 < at.slider(key="t").value <= best
    assert int(_metric(at, "Translations kept")) >= 1
    assert not any("translation reaches" in i.value for i in at.info)


def test_log_axis_for_the_survivors_curve():
    at = open_page("pages/substitutions.py")
    at.toggle(key="log_counts").set_value(True).run()
    assert not at.exception
    figure = at.get("plotly_chart")[1].proto.spec
    assert '"type":"log"' in figure.replace(" ", "")


def test_bad_input_gives_messages_not_tracebacks():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("   ").run()
    assert any("Type a sentence" in i.value for i in at.info)
    at.text_area(key="text").set_value("🙂🙂 !!!\n\nThe dog\u200b runs home.\nمرحبا").run()
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "Line 1 not mined" in warnings and "Line 2 not mined" in warnings and "Line 4 not mined" in warnings
    assert int(_metric(at, "Words mined")) == 4  # The, dog, runs, home


def test_more_lines_than_the_limit_mines_the_first_and_says_how_many_were_left():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("\n".join(f"line number {i}" for i in range(210))).run()
    assert not at.exception and not at.error
    assert any("Mining the first 200 sentences" in w.value and "10 sentences" in w.value for w in at.warning)
    assert int(_metric(at, "Words mined")) == 200 * 2  # "line", "number" (digits are never eligible)
    assert at.number_input(key="cs_page").max == 20  # the sentence list is paginated, 10 at a time


def test_han_text_counts_words_as_the_miner_does():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("\n".join(["我们今天去看电影了"] * 200)).run()  # 9 words a line, 1,800
    assert not at.exception
    at.text_area(key="text").set_value("\n".join(["我们今天去看电影了我们今天去看电影了"] * 200)).run()
    assert any("Mining the first 166 sentences" in w.value for w in at.warning)  # 18 words each, 3,000 at most


def test_no_target_language_asks_for_one():
    at = open_page("pages/substitutions.py", targets=[])
    at.checkbox(key="syn").uncheck().run()
    assert any("target language" in i.value for i in at.info)


def test_a_ten_thousand_word_sentence_gets_a_message():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("word " * 10_000).run()
    assert not at.exception
    assert any("10,000 words" in e.value and "python -m salt_core mine" in e.value for e in at.error)



def test_both_miners_side_by_side_with_an_installed_dictionary(monkeypatch):
    from pathlib import Path

    import salt_core.substitutions.dictionaries as dictionaries

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "dictionaries"
    original = dictionaries.installed_dictionaries
    monkeypatch.setattr(dictionaries, "installed_dictionaries", lambda folder=real: original(real))
    at = open_page("pages/substitutions.py", targets=["fr"], text="The dog sat in the house near the water.")
    assert not at.exception and not at.error
    assert at.radio(key="miner").value == "mlm"
    frames = [d.value for d in at.dataframe]
    agreement = next(f for f in frames if "same best candidate" in f.columns)
    assert set(agreement["kind"]) == {"translation", "synonym"} and (agreement["words"] > 0).all()
    at.selectbox(key="dict_installed").set_value("FreeDict eng-fra").run()
    assert not at.exception and not at.error
    precision = next(d.value for d in at.dataframe if "precision@1" in d.value.columns)
    assert len(precision) == 2 and (precision["words_in_dictionary"] == 3).all()  # dog, house, water
    assert any("not SALT" in m for m in precision["miner"])
    # At the current threshold: numbers, and each known word's outcome to look at
    labels = {m.label for m in at.metric}
    assert {"Precision at 0.3", "Recall", "Coverage"} <= labels
    outcomes = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert sorted(outcomes["word"].str.lower()) == ["dog", "house", "water"]
    assert set(outcomes["outcome"]) <= {"matched", "kept, not in the dictionary", "nothing kept"}
    at.radio(key="miner").set_value("similarity").run()
    assert not at.exception and not at.error
    assert "similarity" in at.dataframe[-1].value.columns
    # The calibrated confidence has its own threshold and default (the masked LM's 0.3 would keep every word).
    assert at.slider(key="t_sim").value == 0.5 != CodeSwitchSettings().translation_threshold
    assert any("**confidence**, calibrated" in m.value for m in at.markdown)


def test_a_long_text_stays_in_the_session_and_out_of_the_link():
    at = open_page("pages/substitutions.py")
    long = "The house is near the river.\n" * 100  # 2,900 characters
    at.text_area(key="text").input(long).run()
    assert not at.exception
    assert at.text_area(key="text").value == long and "text" not in at.query_params
    assert any("the link does not carry it" in c.value for c in at.caption)


def test_the_similarity_miner_mines_no_synonyms_unless_asked_and_says_why():
    at = open_page("pages/substitutions.py", targets=["de"], text="The dog sat in the house.")
    assert at.checkbox(key="syn").value is True  # SALT's masked LM mines synonyms as the paper does
    at.radio(key="miner").set_value("similarity").run()
    assert not at.exception and not at.error
    assert at.checkbox(key="syn_sim").value is False
    assert any("measured against WordNet" in c.value for c in at.caption)
    assert next(m for m in at.metric if m.label == "Synonyms kept").value == "0"


def test_a_low_resource_target_is_mined_and_an_uncovered_one_says_why():
    at = open_page("pages/substitutions.py", targets=["yo"])  # Yoruba: decided by the language identifier
    assert not at.exception and not at.error
    assert int(_metric(at, "Words mined")) == 12
    at = open_page("pages/substitutions.py", targets=["ee"])  # Ewe: no word list, no identifier covers it
    assert not at.exception
    assert any("Ewe" in e.value and "written in Latin" in e.value and "cannot be told" in e.value for e in at.error)

