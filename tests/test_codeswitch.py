import pandas as pd
import pytest

from salt_core.codeswitch import (
    CodeSwitchSettings,
    codeswitch,
    dictionary_precision_recall,
    kept_substitutions,
    threshold_curve,
)
from salt_core.errors import InputError
from salt_core.mining import mine_substitutions

SENTENCES = ["The cat sat on the mat.", "A small house stands near the old river.", "Dogs run."]


@pytest.fixture(scope="module")
def mined(demo_bert):
    return mine_substitutions(demo_bert, SENTENCES, "en", ["de", "fr"], top_k=5)


def _keys(frame):
    return set(zip(frame["sentence_id"], frame["word_index"], frame["kind"], frame["language"], frame["rank"]))


def test_thresholds_only_filter(mined):
    previous = _keys(mined)
    for t in [0.0, 0.0005, 0.001, 0.002, 0.005, 1.0]:
        kept = kept_substitutions(mined, CodeSwitchSettings(translation_threshold=t, synonym_threshold=t))
        assert _keys(kept) <= previous
        assert (kept["p_restricted"] >= t).all()
        pd.testing.assert_frame_equal(kept, mined.loc[kept.index])  # rows unaltered
        previous = _keys(kept)


def test_score_choice_and_languages(mined):
    full = kept_substitutions(mined, CodeSwitchSettings(translation_threshold=0.0001, synonym_threshold=None,
                                                        score="p_full", languages=("fr",)))
    assert set(full["language"]) == {"fr"} and (full["p_full"] >= 0.0001).all()


def test_same_seed_same_output_and_spans_align(mined):
    settings = CodeSwitchSettings(translation_threshold=0.0, synonym_threshold=0.0, ratio=0.5, seed=3)
    first, again = codeswitch(mined, settings), codeswitch(mined, settings)
    assert [c.to_dict() for c in first] == [c.to_dict() for c in again]
    outputs = {tuple(c.codeswitched for c in codeswitch(mined, CodeSwitchSettings(0.0, 0.0, seed=s)))
               for s in range(5)}
    assert len(outputs) > 1
    for result in first:
        assert result.replacements
        for rep in result.replacements:
            assert result.source[rep.start:rep.end] == rep.original
            assert result.codeswitched[rep.new_start:rep.new_end] == rep.substitute


def test_ratio_bounds(mined):
    unchanged = codeswitch(mined, CodeSwitchSettings(0.0, 0.0, ratio=0.0))
    assert all(c.codeswitched == c.source and not c.replacements for c in unchanged)
    everything = codeswitch(mined, CodeSwitchSettings(0.0, None, ratio=1.0))
    for result in everything:
        words = mined[(mined["sentence_id"] == result.sentence_id) & (mined["kind"] == "translation")]
        assert len(result.replacements) == words["word_index"].nunique()


def test_nothing_kept_leaves_sentences_unchanged(mined):
    results = codeswitch(mined, CodeSwitchSettings(1.0, 1.0))
    assert [c.codeswitched for c in results] == [c.source for c in results]


def test_invalid_settings_are_input_errors(mined):
    for bad in [CodeSwitchSettings(1.5), CodeSwitchSettings(ratio=-0.1), CodeSwitchSettings(score="p2")]:
        with pytest.raises(InputError):
            codeswitch(mined, bad)
    with pytest.raises(InputError, match="lacks"):
        codeswitch(pd.DataFrame({"text": ["a"]}))


def test_threshold_curve_is_monotone(mined):
    curve = threshold_curve(mined, [0.0, 0.001, 0.002, 0.01, 1.0])
    assert curve["kept_substitutions"].is_monotonic_decreasing
    assert curve["kept_substitutions"].iloc[0] == (mined["kind"] == "translation").sum()


def test_dictionary_precision_recall_against_hand_counts():
    rows = [  # word "cat" in two sentences; "dog" once; "tree" is not in the dictionary
        (0, 1, "cat", "Katze", 0.6), (0, 1, "cat", "Hund", 0.3),
        (1, 0, "cat", "Katze", 0.2), (1, 0, "cat", "Haus", 0.1),
        (2, 0, "dog", "Hund", 0.5), (2, 3, "tree", "Baum", 0.9),
    ]
    mined = pd.DataFrame([{"sentence_id": s, "sentence": "", "word_index": w, "word": word, "start": 0, "end": 0,
                           "kind": "translation", "language": "de", "candidate": c, "p_restricted": p,
                           "p_full": p / 2} for s, w, word, c, p in rows])
    dictionary = pd.DataFrame({"source": ["cat", "Dog"], "target": ["katze", "hund"]})
    pr = dictionary_precision_recall(mined, dictionary, [0.0, 0.25, 0.55]).set_index("threshold")
    assert pr.loc[0.0, "precision"] == pytest.approx(3 / 5) and pr.loc[0.0, "recall"] == pytest.approx(1.0)
    assert pr.loc[0.25, "precision"] == pytest.approx(2 / 3) and pr.loc[0.25, "recall"] == pytest.approx(2 / 3)
    assert pr.loc[0.55, "precision"] == pytest.approx(1.0) and pr.loc[0.55, "recall"] == pytest.approx(1 / 3)
