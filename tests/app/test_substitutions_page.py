from tests.app.helpers import open_page


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_mines_the_example_and_thresholds_filter_without_rerunning_the_model(monkeypatch):
    at = open_page("pages/substitutions.py")
    assert not at.exception and not at.error
    assert any("random weights" in w.value for w in at.warning)
    assert int(_metric(at, "Words mined")) == 12
    assert int(_metric(at, "Translations kept")) == 0  # demo probabilities are ~1/vocabulary
    import salt_core.mining as mining

    calls = []
    original = mining.masked_logits
    monkeypatch.setattr(mining, "masked_logits", lambda *a, **k: calls.append(1) or original(*a, **k))
    at.slider(key="t").set_value(0.0).run()
    assert not at.exception
    assert int(_metric(at, "Translations kept")) == 12 * 5
    assert calls == []  # mining results came from the cache
    marked = [m.value for m in at.markdown if "<mark" in m.value]
    assert len(marked) == 2 and "title=" in marked[0]
    assert at.session_state["last_codeswitched"]["replacements"]


def test_two_target_languages_and_synonyms(monkeypatch):
    at = open_page("pages/substitutions.py", targets=["de", "fr"])
    at.slider(key="t").set_value(0.0).run()
    at.slider(key="ts").set_value(0.0).run()
    assert int(_metric(at, "Translations kept")) == 12 * 5 * 2
    assert int(_metric(at, "Synonyms kept")) == 12 * 5
    assert len(at.get("plotly_chart")) == 2


def test_bad_input_gives_messages_not_tracebacks():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("   ").run()
    assert any("Type a sentence" in i.value for i in at.info)
    at.text_area(key="text").set_value("🙂🙂 !!!\n\nThe dog\u200b runs home.\nمرحبا").run()
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "Line 1 not mined" in warnings and "Line 2 not mined" in warnings and "Line 4 not mined" in warnings
    assert int(_metric(at, "Words mined")) == 4  # The, dog, runs, home
    at.text_area(key="text").set_value("\n".join(["a line"] * 300)).run()
    assert any("more than this page mines" in e.value for e in at.error)


def test_no_target_language_asks_for_one():
    at = open_page("pages/substitutions.py", targets=[])
    at.checkbox(key="syn").uncheck().run()
    assert any("target language" in i.value for i in at.info)


def test_a_ten_thousand_word_sentence_gets_a_message():
    at = open_page("pages/substitutions.py")
    at.text_area(key="text").set_value("word " * 10_000).run()
    assert not at.exception
    assert any("10,000 words" in e.value and "python -m salt_core mine" in e.value for e in at.error)
