import pandas as pd
import pytest
import torch
from transformers import BertConfig, BertForMaskedLM

from salt_core.errors import EmptyLanguageError, InputError, UnknownLanguageError
from salt_core.languages import language_vocabulary, vocabulary_entries
from salt_core.models import MaskedLM
from salt_core.substitutions.mining import mine_substitutions
from salt_core.text import Eligibility, segment_words
from tests.test_languages import _wordpiece

SENTENCES = ["The cat sat on the mat.", "She reads a good book every evening, and then sleeps."]
ALL = 10**9  # top_k larger than any vocabulary: every candidate is returned


def reference_rows(mlm, sentence, word, language_ids, exclude=()):
    """The slow way: one word per forward pass, the full softmax, then restrict and renormalise."""
    tok = mlm.tokenizer
    text = sentence[:word.start] + tok.mask_token + sentence[word.end:]
    inputs = tok(text, return_tensors="pt")
    position = int((inputs["input_ids"][0] == tok.mask_token_id).nonzero()[0, 0])
    with torch.inference_mode():
        p_full = torch.softmax(mlm.model(**inputs).logits[0, position].double(), dim=-1)
    ids = torch.tensor(language_ids)
    in_language = p_full[ids]
    allowed = in_language.clone()
    allowed[[i for i, t in enumerate(language_ids) if t in exclude]] = 0.0
    return {t: (float(allowed[i] / allowed.sum()), float(in_language[i]), float(in_language.sum()))
            for i, t in enumerate(language_ids) if t not in exclude}


@pytest.mark.parametrize("which", ["demo_bert", "demo_xlmr"])
def test_engine_equals_the_slow_reference(which, request):
    mlm = request.getfixturevalue(which)
    mined = mine_substitutions(mlm, SENTENCES, "en", ["de", "fr"], top_k=ALL, batch_size=7)
    assert len(mined) > 0
    checked = 0
    for (sid, word_index, kind, language), group in mined.groupby(["sentence_id", "word_index", "kind", "language"]):
        sentence = SENTENCES[sid]
        word = next(w for w in segment_words(sentence) if w.index == word_index)
        ids = list(language_vocabulary(mlm.tokenizer, language).initial_ids)
        surfaces = vocabulary_entries(mlm.tokenizer)
        exclude = {t for t in ids if surfaces[t].surface.lower() == word.text.lower()} if kind == "synonym" else set()
        expected = reference_rows(mlm, sentence, word, ids, exclude)
        assert set(group["token_id"]) == set(expected)
        for token_id, p_r, p_f, mass in group[["token_id", "p_restricted", "p_full", "lang_mass"]].itertuples(
                index=False):
            assert p_r == pytest.approx(expected[token_id][0], abs=1e-5)
            assert p_f == pytest.approx(expected[token_id][1], abs=1e-5)
            assert mass == pytest.approx(expected[token_id][2], abs=1e-5)
        checked += 1
    assert checked == mined.groupby(["sentence_id", "word_index"]).ngroups * 3


def test_restricted_probabilities_sum_to_one_and_candidates_belong(demo_bert):
    mined = mine_substitutions(demo_bert, SENTENCES, "en", ["de", "ru"], top_k=ALL)
    sums = mined.groupby(["sentence_id", "word_index", "kind", "language"])["p_restricted"].sum()
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-5)
    for language, group in mined.groupby("language"):
        assert set(group["token_id"]) <= set(language_vocabulary(demo_bert.tokenizer, language).initial_ids)
    assert (mined["p_full"] <= mined["lang_mass"] + 1e-9).all()
    assert mined["lang_mass"].between(0, 1).all()


def test_top_k_rows_are_ranked_and_complete(demo_xlmr):
    mined = mine_substitutions(demo_xlmr, SENTENCES, "en", ["de"], top_k=4)
    for _, group in mined.groupby(["sentence_id", "word_index", "kind", "language"]):
        assert list(group["rank"]) == [1, 2, 3, 4]
        assert group["p_restricted"].is_monotonic_decreasing
    expected = {"sentence_id", "word_index", "word", "start", "end", "kind", "language", "rank", "candidate",
                "p_restricted", "p_full", "lang_mass"}
    assert expected <= set(mined.columns)
    row = mined.iloc[0]
    assert SENTENCES[row["sentence_id"]][row["start"]:row["end"]] == row["word"]


def test_synonyms_never_propose_the_word_itself(demo_bert):
    mined = mine_substitutions(demo_bert, ["the the and and of"], "en", [], top_k=ALL, synonyms=True)
    synonyms = mined[mined["kind"] == "synonym"]
    assert len(synonyms) > 0
    assert not (synonyms["candidate"].str.lower() == synonyms["word"].str.lower()).any()


def test_batching_and_padding_do_not_change_results(demo_bert):
    one = mine_substitutions(demo_bert, SENTENCES, "en", ["de"], top_k=5, batch_size=1)
    many = mine_substitutions(demo_bert, SENTENCES, "en", ["de"], top_k=5, batch_size=64)
    pd.testing.assert_frame_equal(one[["candidate", "rank"]], many[["candidate", "rank"]])
    assert one["p_restricted"].to_numpy() == pytest.approx(many["p_restricted"].to_numpy(), abs=1e-5)


def test_deterministic(demo_xlmr):
    a = mine_substitutions(demo_xlmr, SENTENCES, "en", ["fr"])
    b = mine_substitutions(demo_xlmr, SENTENCES, "en", ["fr"])
    pd.testing.assert_frame_equal(a, b)


def test_long_sentence_is_windowed_with_a_warning(demo_bert):
    long_sentence = " ".join(["house garden window"] * 80)  # far past the demo model's 128 tokens
    mined = mine_substitutions(demo_bert, ["The cat sat.", long_sentence], "en", ["de"], top_k=1, synonyms=False)
    assert mined.loc[mined["sentence_id"] == 1, "windowed"].all()
    assert mined.loc[mined["sentence_id"] == 0, "windowed"].sum() == 0
    assert mined[mined["sentence_id"] == 1]["word_index"].nunique() == 240
    assert any("Sentence 1" in w for w in mined.attrs["warnings"])


def test_bad_sentences_are_reported_and_good_ones_still_mined(demo_bert):
    sentences = ["", "   \t", "🙂🙂 !!! 123", "The dog\u200b runs\x07 home.", "مرحبا بالعالم", "A [MASK] <s> cat."]
    mined = mine_substitutions(demo_bert, sentences, "en", ["de"], top_k=2)
    skipped = {s["sentence_id"]: s["reason"] for s in mined.attrs["skipped"]}
    assert "empty" in skipped[0] and "empty" in skipped[1]
    assert "no eligible" in skipped[2] and "no eligible" in skipped[4]
    assert set(mined["sentence_id"]) == {3, 5}
    assert {"dog", "runs", "home"} <= set(mined["word"])
    assert "MASK" in set(mined["word"])  # the literal text "[MASK]" is a word, not a mask token


def test_right_to_left_source(demo_bert):
    mined = mine_substitutions(demo_bert, ["القطة تنام على السرير"], "ar", ["en"], top_k=1)
    assert mined["word"].nunique() == 4


def test_eligibility_is_configurable(demo_bert):
    loose = mine_substitutions(demo_bert, ["I saw the cat and a dog"], "en", ["de"], top_k=1, synonyms=False,
                               eligibility=Eligibility(min_chars=1))
    strict = mine_substitutions(demo_bert, ["I saw the cat and a dog"], "en", ["de"], top_k=1, synonyms=False,
                                eligibility=Eligibility(min_chars=3, skip_stopwords=True))
    assert {"I", "a"} <= set(loose["word"])
    assert not {"I", "a", "the", "and"} & set(strict["word"]) and "cat" in set(strict["word"])


def test_argument_errors_are_ours(demo_bert):
    with pytest.raises(InputError):
        mine_substitutions(demo_bert, [], "en", ["de"])
    with pytest.raises(UnknownLanguageError):
        mine_substitutions(demo_bert, ["The cat."], "en", ["xx"])
    with pytest.raises(InputError):
        mine_substitutions(demo_bert, ["The cat."], "en", ["de"], top_k=0)


def test_language_absent_from_the_tokenizer_is_ours():
    tok = _wordpiece(["the", "cat", "Katze", "und", "sat"])
    model = BertForMaskedLM(BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1,
                                       num_attention_heads=1, intermediate_size=16)).eval()
    mlm = MaskedLM(model, tok, "handmade", "folder", is_demo=True)
    assert len(mine_substitutions(mlm, ["the cat sat"], "en", ["de"], top_k=1)) > 0
    with pytest.raises(EmptyLanguageError):
        mine_substitutions(mlm, ["the cat sat"], "en", ["th"])


@pytest.mark.parametrize("which", ["demo_bert", "demo_xlmr"])
@pytest.mark.parametrize("text", ["<mask> sat", "[MASK] sat", "The </s> cat <s> sat [SEP]"])
def test_literal_special_tokens_are_text(which, text, request):
    """A sentence that spells a special token must not put one into the input: each masked variant holds
    exactly one mask token, at the position of the word it masks (the XLM-R tokenizer used to keep "<mask>")."""
    from salt_core.languages import get_language
    from salt_core.substitutions.mining import MiningReport, prepare_items

    mlm = request.getfixturevalue(which)
    items = prepare_items(mlm, [text], [0], get_language("en"), Eligibility(), MiningReport())
    words = {w.text for w in segment_words(text)}
    assert {item.word.text for item in items} <= words and any(item.word.text == "sat" for item in items)
    specials = set(mlm.tokenizer.all_special_ids) - {mlm.tokenizer.mask_token_id, mlm.tokenizer.unk_token_id}
    for item in items:
        body = item.input_ids[1:-1]  # between [CLS]/<s> and [SEP]/</s>
        assert item.input_ids.count(mlm.tokenizer.mask_token_id) == 1
        assert not specials & set(body)


def test_a_100k_character_line_is_segmented_in_seconds(demo_bert):
    import time

    from salt_core.substitutions.mining import _word_pieces, encode_as_text

    line = " ".join(f"word{i % 50}" if i % 7 else "Katze" for i in range(16_000))[:100_000]
    start = time.perf_counter()
    ids, offsets = encode_as_text(demo_bert.tokenizer, line)
    words = segment_words(line)
    groups = list(_word_pieces(words, offsets, demo_bert.tokenizer.convert_ids_to_tokens(ids), line))
    assert time.perf_counter() - start < 20  # was over 5 minutes (quadratic matching); now about a second
    assert len(groups) == len(words)
    assert all(pieces == sorted(pieces) for _, pieces in groups)
