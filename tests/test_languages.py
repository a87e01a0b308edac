import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import BertTokenizerFast

from salt_core.errors import EmptyLanguageError, UnknownLanguageError
from salt_core.languages import (
    LANGUAGES,
    coverage,
    get_language,
    language_vocabulary,
    text_scripts,
    vocabulary_entries,
)

XNLI = "en fr es de el bg ru tr ar vi th zh hi sw ur".split()
PAWSX = "en de es fr ja ko zh".split()


def _wordpiece(words):
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])}
    raw = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return BertTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                             sep_token="[SEP]", mask_token="[MASK]")


def _tokens(tokenizer, ids):
    return set(tokenizer.convert_ids_to_tokens(list(ids)))


def test_registry_covers_xnli_and_pawsx():
    assert set(XNLI) | set(PAWSX) <= set(LANGUAGES)
    for code in XNLI:
        assert "XNLI" in LANGUAGES[code].benchmarks


def test_unknown_code_is_our_error():
    with pytest.raises(UnknownLanguageError, match="xx"):
        get_language("xx")


def test_shared_script_uses_word_frequency_evidence():
    tok = _wordpiece(["Katze", "und", "the", "and", "die", "Hund", "in", "##en", "Кошка", "3", "!"])
    german = _tokens(tok, language_vocabulary(tok, "de").initial_ids)
    english = _tokens(tok, language_vocabulary(tok, "en").initial_ids)
    assert {"Katze", "und", "die", "Hund", "in"} <= german
    assert not {"the", "and", "Кошка", "3", "!", "[MASK]"} & german
    assert {"the", "and", "in"} <= english and "Katze" not in english
    assert _tokens(tok, language_vocabulary(tok, "de").continuation_ids) == {"##en"}


def test_demo_tokenizer_german_has_german_words_not_english(demo_bert):
    tok = demo_bert.tokenizer
    german = _tokens(tok, language_vocabulary(tok, "de").initial_ids)
    assert {"und", "der", "nicht", "Die"} <= german
    assert not {"the", "and", "of", "The"} & german


@pytest.mark.parametrize("code", ["ru", "el", "ar", "hi", "zh", "th", "ko"])
@pytest.mark.parametrize("which", ["demo_bert", "demo_xlmr"])
def test_own_script_languages_hold_only_their_script(code, which, request):
    tok = request.getfixturevalue(which).tokenizer
    vocab = language_vocabulary(tok, code)
    assert len(vocab.initial_ids) > 10
    entries = vocabulary_entries(tok)
    allowed = set(LANGUAGES[code].scripts)
    for token_id in vocab.initial_ids + vocab.continuation_ids:
        assert entries[token_id].scripts <= allowed, entries[token_id]


@pytest.mark.parametrize("which", ["demo_bert", "demo_xlmr"])
def test_specials_punctuation_and_digits_never_belong(which, request):
    tok = request.getfixturevalue(which).tokenizer
    special = set(tok.all_special_ids)
    entries = vocabulary_entries(tok)
    for code in LANGUAGES:
        try:
            vocab = language_vocabulary(tok, code)
        except EmptyLanguageError:
            continue
        for token_id in vocab.initial_ids + vocab.continuation_ids:
            surface = entries[token_id].surface
            assert token_id not in special
            assert text_scripts(surface) is not None, surface  # letters and marks only


def test_word_initial_and_continuation_pieces_are_kept_apart(demo_bert, demo_xlmr):
    bert_de = language_vocabulary(demo_bert.tokenizer, "de")
    assert not any(t.startswith("##") for t in _tokens(demo_bert.tokenizer, bert_de.initial_ids))
    assert all(t.startswith("##") for t in _tokens(demo_bert.tokenizer, bert_de.continuation_ids))
    xlmr_de = language_vocabulary(demo_xlmr.tokenizer, "de")
    assert all(t.startswith("▁") for t in _tokens(demo_xlmr.tokenizer, xlmr_de.initial_ids))
    assert not any(t.startswith("▁") for t in _tokens(demo_xlmr.tokenizer, xlmr_de.continuation_ids))


def test_language_missing_from_tokenizer_is_our_error():
    tok = _wordpiece(["the", "und"])
    with pytest.raises(EmptyLanguageError, match="Thai"):
        language_vocabulary(tok, "th")


def test_coverage_reports_every_language_and_its_rule(demo_bert):
    table = coverage(demo_bert.tokenizer).set_index("code")
    assert set(XNLI) | set(PAWSX) <= set(table.index)
    assert table.loc["th", "rule"] == "script" and table.loc["th", "word_source"] == "curated list"
    assert table.loc["sw", "word_source"] == "curated list"
    assert table.loc["de", "rule"].startswith("word frequency")
    assert (table["word_initial_tokens"] > 0).all()


def test_results_are_cached_per_tokenizer_and_language(demo_bert):
    first = language_vocabulary(demo_bert.tokenizer, "fr")
    assert language_vocabulary(demo_bert.tokenizer, "fr") is first


def test_a_stated_script_is_kept_only_when_it_is_not_the_usual_one():
    from salt_core.languages import language_code

    assert [language_code(c) for c in ("deu_Latn", "zho_Hans", "eng_Latn", "kas_Arab")] == ["de", "zh", "en", "ks"]
    assert [language_code(c) for c in ("zho_Hant", "arb_Latn", "kas_Deva", "zh-Hant")] == \
        ["zh-Hant", "arb-Latn", "ks-Deva", "zh-Hant"]
    assert language_code("German") == "de" and language_code("xnli") is None


def test_a_vocabulary_is_kept_on_disk_and_a_damaged_copy_is_recomputed(tmp_path, monkeypatch, demo_bert):
    """The first language of a tokenizer reads every rival's word list (seconds); later processes read the result."""
    from salt_core import languages

    monkeypatch.setenv("SALT_HOME", str(tmp_path))
    monkeypatch.setattr(languages, "_CACHE", {})
    computed = language_vocabulary(demo_bert.tokenizer, "de", "exclusive")
    stored = sorted((tmp_path / "vocabularies").glob("*.json"))
    assert [p.name.split("-", 1)[1] for p in stored] == ["de-exclusive.json", "de-shared.json"]

    def no_evidence(*args, **kwargs):
        raise AssertionError("recomputed although a stored vocabulary exists")

    monkeypatch.setattr(languages, "_CACHE", {})
    monkeypatch.setattr(languages, "_belongs_by_frequency", no_evidence)
    assert language_vocabulary(demo_bert.tokenizer, "de", "exclusive") == computed
    monkeypatch.undo()
    monkeypatch.setenv("SALT_HOME", str(tmp_path))
    monkeypatch.setattr(languages, "_CACHE", {})
    stored[0].write_text("{not json")
    assert language_vocabulary(demo_bert.tokenizer, "de", "exclusive") == computed


def test_scripts_come_from_unicode_script_extensions_not_character_names():
    # ー (KATAKANA-HIRAGANA PROLONGED SOUND MARK) is Common with Script_Extensions {Hira, Kana}; 々 is Han
    assert text_scripts("コーヒー") == {"Katakana"} and text_scripts("時々") == {"Han"}
    assert text_scripts("すごーい") == {"Hiragana"} and text_scripts("ー") <= {"Hiragana", "Katakana"}
    assert text_scripts("ኢትዮጵያ") == {"Ethiopic"} and text_scripts("ភាសាខ្មែរ") == {"Khmer"}
    assert text_scripts("ქართული") == {"Georgian"} and text_scripts("Yorùbá") == {"Latin"}
    assert text_scripts("ab1") is None and text_scripts("…") is None


def test_japanese_words_with_the_long_vowel_and_iteration_marks_are_japanese(demo_bert):
    from salt_core.languages import LANGUAGES

    japanese = set(LANGUAGES["ja"].scripts)
    assert text_scripts("コーヒー") <= japanese and text_scripts("時々") <= japanese


@pytest.mark.parametrize("given, key", [
    ("yor_Latn", "yo"), ("yo", "yo"), ("yor", "yo"), ("Yoruba", "yo"), ("quy_Latn", "quy"), ("amh_Ethi", "am"),
    ("khm_Khmr", "km"), ("swh_Latn", "sw"), ("swh", "sw"), ("arb_Arab", "ar"), ("pes_Arab", "fa"),
    ("prs_Arab", "prs"), ("zho_Hant", "zh-Hant"), ("zho_Hans", "zh"), ("deu_Latn", "de"), ("ace_Arab", "ace-Arab"),
])
def test_every_flores_language_is_in_the_registry_by_any_of_its_codes(given, key):
    from salt_core.languages import LANGUAGES, get_language

    assert get_language(given).code == key
    assert len({language.flores for language in LANGUAGES.values() if language.flores}) == 205


def test_the_code_a_run_importer_gives_a_flores_language_names_that_same_language():
    """Run importers label a FLORES language by `language_code`; the registry must read that label back as the
    same language. CLDR folds Dari (prs) into Persian's Afghan variety (fa-AF), so every bundled Dari score was
    labelled `fa`, which the registry (and a reader) takes for Iranian Persian."""
    from salt_core.languages import _flores_codes, get_language, language_code

    assert language_code("prs_Arab") == "prs" and language_code("pes_Arab") == "pes"
    assert {f: get_language(language_code(f)).flores for f in _flores_codes()} == {f: f for f in _flores_codes()}


def test_a_language_outside_flores_or_no_language_at_all_is_refused_with_why():
    from salt_core.errors import UnknownLanguageError
    from salt_core.languages import get_language

    with pytest.raises(UnknownLanguageError, match="Klingon .* not one of the 205 FLORES-200 languages"):
        get_language("tlh")
    with pytest.raises(UnknownLanguageError, match="FLORES-200 code .* ISO 639 code"):
        get_language("xx")


def test_each_language_has_the_evidence_its_rule_needs_or_is_refused_saying_why(demo_bert):
    from salt_core.errors import UncoveredLanguageError
    from salt_core.languages import IDENTIFIER, get_language, language_vocabulary, word_source

    assert word_source("de") == "wordfreq" and word_source("hr") == "wordfreq"  # hr reads the 'sh' list
    assert word_source("sw") == "curated list" and word_source("yo") == IDENTIFIER
    assert word_source("quy") == IDENTIFIER  # through its macrolanguage, Quechua (qu)
    with pytest.raises(UncoveredLanguageError, match=r"Ewe \(ee\) is written in Latin.*cannot be told"):
        language_vocabulary(demo_bert.tokenizer, "ewe_Latn")
    assert get_language("ee").flores == "ewe_Latn"  # evaluated, never code-switched into


def test_the_identifier_rule_keeps_what_cld2_calls_the_language(demo_bert):
    from salt_core.languages import identified, language_vocabulary, vocabulary_entries

    tok = demo_bert.tokenizer
    yoruba = language_vocabulary(tok, "yo")
    assert yoruba.rule == "language identifier (CLD2)" and len(yoruba) > 0
    entries = {entry.token_id: entry for entry in vocabulary_entries(tok)}
    assert all(identified(entries[i].surface) == "yo" for i in yoruba.initial_ids)
