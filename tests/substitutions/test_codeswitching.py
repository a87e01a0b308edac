import numpy as np
import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.substitutions.codeswitching import (
    CodeSwitchSettings,
    codeswitch,
    dictionary_precision_recall,
    kept_substitutions,
    threshold_curve,
)
from salt_core.substitutions.mining import mine_substitutions

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
    pr = dictionary_precision_recall(mined, dictionary, [0.0, 0.25, 0.55], "de").set_index("threshold")
    assert pr.loc[0.0, "precision"] == pytest.approx(3 / 5) and pr.loc[0.0, "recall"] == pytest.approx(1.0)
    assert pr.loc[0.25, "precision"] == pytest.approx(2 / 3) and pr.loc[0.25, "recall"] == pytest.approx(2 / 3)
    assert pr.loc[0.55, "precision"] == pytest.approx(1.0) and pr.loc[0.55, "recall"] == pytest.approx(1 / 3)


def test_dictionary_scores_only_its_own_language_among_several_targets():
    """An en-de dictionary with targets de, fr, zh gives exactly the de-only figures (it was capped at 1/3)."""
    rows = []
    for sentence, word in enumerate(["cat", "dog", "house"]):
        for language, candidate in (("de", {"cat": "Katze", "dog": "Hund", "house": "Haus"}[word]),
                                    ("fr", "chat"), ("zh", "猫")):
            rows.append({"sentence_id": sentence, "sentence": word, "word_index": 0, "word": word, "start": 0,
                         "end": len(word), "kind": "translation", "language": language, "candidate": candidate,
                         "p_restricted": 0.9, "p_full": 0.5})
    mined = pd.DataFrame(rows)
    dictionary = pd.DataFrame({"source": ["cat", "dog", "house"], "target": ["Katze", "Hund", "Haus"]})
    grid = [0.0, 0.5, 0.95]
    settings = CodeSwitchSettings(languages=("de", "fr", "zh"))
    several = dictionary_precision_recall(mined, dictionary, grid, "de", settings)
    de_only = dictionary_precision_recall(mined[mined["language"] == "de"], dictionary, grid, "de",
                                          CodeSwitchSettings(languages=("de",)))
    pd.testing.assert_frame_equal(several, de_only)
    assert several["precision"].iloc[0] == 1.0 and several["recall"].iloc[0] == 1.0
    assert dictionary_precision_recall(mined, dictionary, grid, "fr")["precision"].iloc[0] == 0.0


def _slow_codeswitch(mined, settings):
    """The rule written plainly: filter the kept rows per sentence and per word (the page's old, slow path)."""
    import random

    from salt_core.substitutions.codeswitching import Replacement as R
    from salt_core.substitutions.codeswitching import apply_replacements

    kept = kept_substitutions(mined, settings)
    out = []
    for sentence_id, rows in mined.groupby("sentence_id", sort=False):
        candidates = kept[kept["sentence_id"] == sentence_id]
        by_word = {index: group for index, group in candidates.groupby("word_index")}
        rng = random.Random(f"{settings.seed}:{sentence_id}")
        chosen = []
        for word_index in sorted(rng.sample(sorted(by_word), int(settings.ratio * len(by_word) + 0.5))):
            row = by_word[word_index].iloc[rng.randrange(len(by_word[word_index]))]
            chosen.append(R(int(word_index), int(row["start"]), int(row["end"]), row["word"], row["candidate"],
                            row["language"], row["kind"], float(row[settings.score])))
        out.append(apply_replacements(rows["sentence"].iloc[0], chosen))
    return out


@pytest.mark.parametrize("threshold,ratio,seed", [(0.0, 0.5, 0), (0.0, 1.0, 3), (0.002, 0.3, 7)])
def test_codeswitch_equals_the_plain_rule(mined, threshold, ratio, seed):
    settings = CodeSwitchSettings(threshold, threshold, ratio=ratio, seed=seed)
    assert [r.codeswitched for r in codeswitch(mined, settings)] == _slow_codeswitch(mined, settings)


def test_curves_equal_a_filter_per_threshold(mined):
    grid = [0.0, 0.0005, 0.001, 0.002, 0.01, 0.5, 1.0]
    settings = CodeSwitchSettings(languages=("de",))
    curve = threshold_curve(mined, grid, settings)
    translations = mined[(mined["kind"] == "translation") & (mined["language"] == "de")]
    for t, row in zip(grid, curve.itertuples()):
        kept = translations[translations["p_restricted"] >= t]
        assert row.kept_substitutions == len(kept)
        assert row.words_with_a_substitution == len(kept[["sentence_id", "word_index"]].drop_duplicates())
    words = translations.drop_duplicates("word")
    dictionary = pd.DataFrame({"source": words["word"], "target": words["candidate"]})  # each word's first candidate
    pr = dictionary_precision_recall(mined, dictionary, grid, "de", settings)
    for t, row in zip(grid, pr.itertuples()):
        kept = translations[translations["p_restricted"] >= t]
        correct = [(w.lower(), c.lower()) in set(zip(dictionary["source"].str.lower(), dictionary["target"].str.lower()))
                   for w, c in zip(kept["word"], kept["candidate"])]
        assert row.kept == len(kept)
        if len(kept):
            assert row.precision == pytest.approx(sum(correct) / len(kept))
        else:
            assert np.isnan(row.precision)


def test_threshold_step_and_just_below_keep_the_best_candidate():
    from salt_core.substitutions.codeswitching import just_below, threshold_step

    assert threshold_step(0.9) == 0.001 and threshold_step(0.0) == 0.001
    assert threshold_step(0.0023) == pytest.approx(1e-5) and threshold_step(0.05) == pytest.approx(1e-4)
    for best in (0.0023456, 0.05, 0.3, 0.999, 0.00001234):
        step = threshold_step(best)
        below = just_below(best, step)
        assert below <= best and best - below < step + 1e-12


def test_the_dictionary_check_at_the_threshold_counts_by_hand():
    from salt_core.substitutions.codeswitching import dictionary_check

    def row(sid, word, candidate, p, rank):
        return {"sentence_id": sid, "sentence": f"The {word}.", "word_index": 1, "word": word, "start": 4,
                "end": 4 + len(word), "kind": "translation", "language": "de", "rank": rank, "candidate": candidate,
                "token_id": 0, "p_restricted": p, "p_full": p, "lang_mass": 1.0}

    mined = pd.DataFrame([row(0, "house", "Haus", 0.9, 1), row(0, "house", "Hause", 0.4, 2),
                          row(1, "dog", "Katze", 0.8, 1),  # kept, wrong
                          row(2, "tree", "Baum", 0.1, 1),  # right, not kept
                          row(3, "xylophone", "Xylo", 0.9, 1)])  # not in the dictionary: coverage
    dictionary = pd.DataFrame({"source": ["house", "dog", "tree"], "target": ["Haus", "Hund", "Baum"]})
    numbers, table = dictionary_check(mined, dictionary, "de", CodeSwitchSettings(translation_threshold=0.3))
    assert numbers["kept"] == 3 and numbers["precision"] == pytest.approx(1 / 3)  # Haus; Hause and Katze are not
    assert numbers["recall"] == pytest.approx(1 / 3) and numbers["coverage"] == pytest.approx(3 / 4)
    assert table.set_index("word")["outcome"].to_dict() == {
        "house": "matched", "dog": "kept, not in the dictionary", "tree": "nothing kept"}
    assert table.set_index("word").loc["house", "kept candidates"] == "Haus, Hause"
