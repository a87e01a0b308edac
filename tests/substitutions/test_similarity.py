"""The embedding-similarity miner: a slow reference on the demo models, real candidates with the offline model,
and the CLI's --miner option."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from salt_core.errors import InputError
from salt_core.languages import language_vocabulary
from salt_core.substitutions.codeswitching import CodeSwitchSettings, clean_mined, codeswitch, miner_agreement
from salt_core.substitutions.similarity import (
    SIMILARITY_COLUMNS,
    SimilaritySettings,
    mine,
    mine_by_similarity,
)
from salt_core.text import Eligibility

SENTENCES = ["The cat sat on the mat.", "She reads a good book every evening."]


def slow_vector(mlm, pieces_in_context, position, n, pieces_alone, layer, mean, alpha):
    """One word at a time, every layer computed, hidden_states[layer] read: what the miner must equal."""
    encoder = mlm.model.base_model
    with torch.inference_mode():
        context = encoder(input_ids=torch.tensor([pieces_in_context]), output_hidden_states=True) \
            .hidden_states[layer][0, position:position + n].mean(0)
        alone = encoder(input_ids=torch.tensor([pieces_alone]), output_hidden_states=True) \
            .hidden_states[layer][0, 1:1 + n].mean(0)
    unit = torch.nn.functional.normalize
    return unit(alpha * unit(context - mean, dim=0) + (1 - alpha) * unit(alone - mean, dim=0), dim=0)


@pytest.mark.parametrize("which", ["demo_bert", "demo_xlmr"])
@pytest.mark.parametrize("frequencies", [True, False])
def test_scores_equal_a_slow_reference(which, frequencies, request):
    from salt_core.languages import get_language, zipf_table
    from salt_core.substitutions.mining import MiningReport, prepare_items, special_affixes
    from salt_core.substitutions.similarity import Calibration, target_table

    mlm = request.getfixturevalue(which)
    with_f = Calibration(bias=-0.5, margin=2.0, copy=-1.0, gap=-0.7, reverse=3.0)
    without = Calibration(bias=0.3, margin=1.5, copy=-2.0, reverse=2.5)
    settings = SimilaritySettings(layer=1, alpha=0.5, frequency_weight=0.2, frequencies=frequencies,
                                  with_frequencies=with_f, without_frequencies=without)
    mined = mine_by_similarity(mlm, SENTENCES, "en", ["de"], top_k=3, synonyms=False, settings=settings)
    items = prepare_items(mlm, SENTENCES, [0, 1], get_language("en"), Eligibility(), MiningReport(), masked=False)
    table, source = target_table(mlm, "de", 1), target_table(mlm, "en", 1)
    prefix, suffix = special_affixes(mlm.tokenizer)
    # the table itself, slowly: each entry alone, centred on the language's mean
    ids = language_vocabulary(mlm.tokenizer, "de").initial_ids
    with torch.inference_mode():
        raw = torch.stack([mlm.model.base_model(input_ids=torch.tensor([prefix + [i] + suffix]),
                                                output_hidden_states=True).hidden_states[1][0, len(prefix)]
                           for i in ids[:50]])
    assert torch.allclose(table.vectors[:50], torch.nn.functional.normalize(raw - table.mean, dim=-1), atol=1e-5)
    surface = {i: mlm.tokenizer.convert_ids_to_tokens(i).lstrip("▁#").lower()
               for i in table.token_ids + source.token_ids}
    de_zipf, en_zipf = zipf_table("de"), zipf_table("en")
    assert de_zipf and en_zipf  # the rule under test needs both lists
    for item in items[:6]:
        pieces = item.input_ids[item.mask_position:item.mask_position + item.n_pieces]
        vector = slow_vector(mlm, item.input_ids, item.mask_position, item.n_pieces, prefix + pieces + suffix, 1,
                             source.mean, 0.5)
        # CSLS, slowly: every entry's cosine, the word's and each entry's mean cosine to its 10 nearest neighbours
        cosine = (table.vectors @ vector).tolist()
        r_t = sum(sorted(cosine, reverse=True)[:10]) / 10
        near = sorted(range(len(cosine)), key=lambda j: -cosine[j])[:20]
        csls, rank_score, reverse = {}, {}, {}
        for j in near:
            to_source = (source.vectors @ table.vectors[j]).tolist()
            r_s = sum(sorted(to_source, reverse=True)[:10]) / 10
            csls[j] = 2 * cosine[j] - r_t - r_s
            zipf = de_zipf.get(surface[table.token_ids[j]], 0.0)
            rank_score[j] = csls[j] + (0.2 * zipf if frequencies else 0.0)
            others = [c for c, t in zip(to_source, source.token_ids) if surface[t] != item.word.text.lower()]
            reverse[j] = cosine[j] - max(others)
        ranked, seen = [], set()
        for j in sorted(near, key=lambda j: -rank_score[j]):
            if surface[table.token_ids[j]] not in seen:
                seen.add(surface[table.token_ids[j]])
                ranked.append(j)
        rows = mined[(mined["sentence_id"] == item.sentence_pos) & (mined["word_index"] == item.word.index)]
        assert rows["token_id"].tolist() == [table.token_ids[j] for j in ranked[:3]]
        np.testing.assert_allclose(rows["similarity"], [cosine[j] for j in ranked[:3]], atol=1e-5)
        np.testing.assert_allclose(rows["csls"], [csls[j] for j in ranked[:3]], atol=1e-5)
        np.testing.assert_allclose(rows["reverse"], [reverse[j] for j in ranked[:3]], atol=1e-5)
        margins = [rank_score[ranked[0]] - rank_score[ranked[1]]] + \
            [rank_score[j] - rank_score[ranked[0]] for j in ranked[1:3]]
        expected = []
        for j, margin in zip(ranked[:3], margins):
            copy = float(surface[table.token_ids[j]] == item.word.text.lower())
            if frequencies:
                gap = abs(de_zipf.get(surface[table.token_ids[j]], 0.0) - en_zipf.get(item.word.text.lower(), 0.0))
                z = -0.5 + 2.0 * margin - 1.0 * copy - 0.7 * gap + 3.0 * reverse[j]
            else:
                z = 0.3 + 1.5 * margin - 2.0 * copy + 2.5 * reverse[j]
            expected.append(1 / (1 + math.exp(-z)))
        np.testing.assert_allclose(rows["p_restricted"], expected, atol=1e-5)
        assert rows["zipf"].notna().all() == frequencies


def test_a_language_without_word_frequencies_is_ranked_by_csls_and_calibrated_without_them(demo_bert):
    """Swahili has no wordfreq list: no zipf, rank by CSLS, the calibration without `gap`; German in the same run
    keeps its frequencies."""
    from salt_core.substitutions.similarity import WITHOUT_FREQUENCIES, confidence_features

    mined = mine_by_similarity(demo_bert, SENTENCES, "en", ["de", "sw"], top_k=3, synonyms=False)
    swahili, german = mined[mined["language"] == "sw"], mined[mined["language"] == "de"]
    assert len(swahili) and swahili["zipf"].isna().all() and german["zipf"].notna().all()
    for _, group in swahili.groupby(["sentence_id", "word_index"]):
        assert group["csls"].is_monotonic_decreasing
    np.testing.assert_allclose(swahili["p_restricted"],
                               WITHOUT_FREQUENCIES.confidence(confidence_features(swahili)), atol=1e-9)


def test_the_reverse_check_rewards_a_mutual_nearest_neighbour_and_a_copy_costs(e5):
    """On real weights: Hund's nearest English word is dog (reverse > 0); a copied English word is marked."""
    from salt_core.substitutions.similarity import confidence_features

    mined = mine_by_similarity(e5, ["The dog sleeps."], "en", ["de"], top_k=5, synonyms=False)
    dog = mined[mined["word"] == "dog"].set_index(mined[mined["word"] == "dog"]["candidate"].str.lower())
    assert dog.loc["hund", "reverse"] > 0
    features = confidence_features(mined)
    assert ((features["copy"] == 1) == (mined["candidate"].str.lower() == mined["word"].str.lower())).all()


def test_output_is_the_mlm_tidy_table_plus_miner_and_similarity(demo_bert):
    mined = mine_by_similarity(demo_bert, SENTENCES, "en", ["de", "fr"], top_k=4)
    assert list(mined.columns) == SIMILARITY_COLUMNS
    assert (mined["miner"] == "similarity").all()
    assert mined["p_full"].isna().all() and mined["lang_mass"].isna().all()
    assert mined["p_restricted"].between(0, 1).all()
    assert set(mined["kind"]) == {"translation", "synonym"}
    for _, group in mined.groupby(["sentence_id", "word_index", "kind", "language"]):
        score = group["csls"] + SimilaritySettings().frequency_weight * group["zipf"].fillna(0.0)  # the rank's
        assert score.is_monotonic_decreasing and group["rank"].tolist() == list(range(1, len(group) + 1))
        np.testing.assert_allclose(group["margin"].iloc[1:], score.iloc[1:] - score.iloc[0], atol=1e-5)
        assert (group["margin"].iloc[0] >= 0) and (group["margin"].iloc[1:] <= 0).all()
    synonyms = mined[mined["kind"] == "synonym"]
    assert not (synonyms["candidate"].str.lower() == synonyms["word"].str.lower()).any()
    assert demo_bert.is_demo and mined.attrs["is_demo"]


def test_similarity_output_feeds_the_thresholds_and_code_switching(demo_bert):
    mined = mine_by_similarity(demo_bert, SENTENCES, "en", ["de"], top_k=3)
    cleaned, problems = clean_mined(mined)  # p_full is NaN: not a reason to drop a row
    assert problems == [] and len(cleaned) == len(mined)
    switched = codeswitch(mined, CodeSwitchSettings(translation_threshold=0.0, synonym_threshold=None, ratio=1.0))
    assert any(r.replacements for r in switched)


def test_agreement_of_a_table_with_itself_is_complete_and_with_another_miner_is_measured(demo_bert):
    sim = mine(demo_bert, SENTENCES, miner="similarity", targets=["de"], synonyms=False, top_k=3)
    mlm = mine(demo_bert, SENTENCES, miner="mlm", targets=["de"], synonyms=False, top_k=3)
    self_agreement = miner_agreement(sim, sim, 3).iloc[0]
    assert self_agreement["same best candidate"] == 1.0 and self_agreement["top-3 overlap (Jaccard)"] == 1.0
    cross = miner_agreement(mlm, sim, 3).iloc[0]
    assert cross["words"] == sim[["sentence_id", "word_index"]].drop_duplicates().shape[0]
    assert 0.0 <= cross["same best candidate"] <= 1.0


def test_bad_settings_are_refused(demo_bert):
    with pytest.raises(InputError, match="Layer 7"):
        mine_by_similarity(demo_bert, SENTENCES, settings=SimilaritySettings(layer=7))
    with pytest.raises(InputError, match="Unknown miner"):
        mine(demo_bert, SENTENCES, miner="magic")


def test_real_weights_give_real_translations(e5):
    mined = mine_by_similarity(e5, ["The dog sleeps in the house.", "I drink water every morning."], "en",
                               ["de", "fr"], top_k=5, synonyms=False)
    top = mined.groupby(["word", "language"])["candidate"].agg(lambda c: [x.lower() for x in c])
    assert "hund" in top[("dog", "de")] and "haus" in top[("house", "de")]
    assert "chien" in top[("dog", "fr")] and "maison" in top[("house", "fr")]
    assert all(len(set(c)) == len(c) for c in top)  # case variants are one candidate


def test_the_cli_uses_the_similarity_miner_for_an_encoder_and_refuses_mlm(e5, tmp_path, monkeypatch, capsys):
    """In-process, on the session's converted model (its German vectors are cached on it): the subprocess path
    of `python -m salt_core mine` is covered by tests/test_cli.py with the demo model."""
    import salt_core.models.loading as loading
    from salt_core.cli import main

    monkeypatch.setattr(loading, "load_masked_lm", lambda name, **_: e5 if name == "e5-small-offline" else None)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The dog sleeps in the house.\n", encoding="utf-8")
    out = tmp_path / "mined.csv"

    def cli(*args):
        code = main(["mine", "--model", "e5-small-offline", "--targets", "de", "--input", str(corpus), "--output",
                     str(out), "--quiet", *args])
        return code, capsys.readouterr().err

    code, stderr = cli("--miner", "mlm")
    assert code == 2 and "--miner similarity" in stderr and not out.exists()
    code, stderr = cli()
    assert code == 0, stderr
    assert "embedding similarity" in stderr
    table = pd.read_csv(out)
    assert (table["miner"] == "similarity").all() and "hund" in set(table["candidate"].str.lower())


def slow_agreement(first, second, k):
    """One word at a time, with Python sets: what miner_agreement must equal."""
    keys = ["sentence_id", "word_index", "kind", "language"]

    def lists(frame):
        out = {}
        for key, group in frame[frame["rank"] <= k].sort_values("rank").groupby(keys):
            out[key] = [str(c).lower() for c in group["candidate"]]
        return out

    a, b = lists(first), lists(second)
    rows = {}
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        rows.setdefault((key[2], key[3]), []).append((x[0] == y[0], len(set(x) & set(y)) / len(set(x) | set(y))))
    return {group: (len(v), np.mean([s for s, _ in v]), np.mean([j for _, j in v])) for group, v in rows.items()}


def test_agreement_equals_a_slow_reference_on_random_tables():
    rng = np.random.default_rng(1)
    words = ["Haus", "haus", "Hund", "Katze", "Baum", "Wasser", "maison", "chien", "eau"]

    def table(n_words):
        rows = []
        for sid in range(n_words):
            for kind, language in (("translation", "de"), ("translation", "fr"), ("synonym", "en")):
                if rng.random() < 0.2:
                    continue  # not every word is mined by both
                for rank, candidate in enumerate(rng.choice(words, size=6), start=1):
                    rows.append({"sentence_id": sid // 3, "word_index": sid % 3, "kind": kind,
                                 "language": language, "rank": rank, "candidate": candidate})
        return pd.DataFrame(rows)

    first, second = table(40), table(40)
    fast = miner_agreement(first, second, 4).set_index(["kind", "language"])
    slow = slow_agreement(first, second, 4)
    assert set(fast.index) == set(slow)
    for group, (n, same, jaccard) in slow.items():
        assert fast.loc[group, "words"] == n
        assert fast.loc[group, "same best candidate"] == pytest.approx(same)
        assert fast.loc[group, "top-4 overlap (Jaccard)"] == pytest.approx(jaccard)


def test_the_first_use_of_a_vocabulary_reports_its_progress_and_the_second_is_cached(demo_xlmr):
    from salt_core.substitutions.similarity import has_target_table, target_table

    heard = []
    layer = 2  # a layer no other test reads, so this is the first use
    assert not has_target_table(demo_xlmr, "fr", layer)
    table = target_table(demo_xlmr, "fr", layer, batch_size=7, progress=lambda done, total: heard.append((done, total)))
    total = len(table.token_ids)
    assert heard and heard[-1] == (total, total) and [d for d, _ in heard] == sorted(d for d, _ in heard)
    assert has_target_table(demo_xlmr, "fr", layer)
    heard.clear()
    assert target_table(demo_xlmr, "fr", layer, progress=lambda done, total: heard.append(done)) is table
    assert heard == []


def test_the_default_threshold_keeps_plain_translations_and_drops_a_copy_and_a_rare_look_alike(e5):
    """The defects the calibrated confidence was built against, on real weights in the benchmark's carrier sentence:
    the margin-only confidence kept `city` offered as German and `hardt` for *hard*, and left Haus, casa, Buch and
    livre below its own threshold."""
    from salt_core.substitutions.similarity import DEFAULT_THRESHOLD

    words = ["water", "house", "book", "city", "hard"]
    mined = mine_by_similarity(e5, [f"Here is the word {w} in a sentence." for w in words], "en", ["de", "fr", "es"],
                               top_k=2, synonyms=False, eligibility=Eligibility(min_chars=1))
    best = mined[(mined["rank"] == 1) & mined["word"].isin(words)].set_index(["word", "language"])
    kept = best[best["p_restricted"] >= DEFAULT_THRESHOLD]["candidate"].str.lower().to_dict()
    for pair, translation in {("water", "de"): "wasser", ("water", "es"): "agua", ("house", "de"): "haus",
                              ("house", "es"): "casa", ("house", "fr"): "maison", ("book", "de"): "buch",
                              ("book", "es"): "libro", ("book", "fr"): "livre"}.items():
        assert kept.get(pair) == translation, (pair, best.loc[pair, ["candidate", "p_restricted"]].tolist())
    assert best.loc[("city", "de"), "candidate"].lower() == "city" and ("city", "de") not in kept
    # the rare look-alike "Hardt" was the best German candidate for "hard" and must not be kept; since more word
    # lists decide the German vocabulary (issue 30) it may be gone, and "schwer" wins
    hard = best.loc[("hard", "de"), "candidate"].lower()
    assert hard in ("hardt", "schwer") and (hard == "schwer" or ("hard", "de") not in kept)


def test_the_readme_states_the_calibrations_the_miner_uses():
    """The README's formulas are the code's weights (a refit that forgets the README fails here)."""
    from salt_core.substitutions.similarity import WITH_FREQUENCIES, WITHOUT_FREQUENCIES
    from tests.paths import documentation

    readme = " ".join(documentation().split())
    assert WITH_FREQUENCIES.describe() in readme and WITHOUT_FREQUENCIES.describe() in readme


def test_the_default_example_switches_cat_only_to_a_translation_or_a_synonym(e5):
    """The Substitutions page's first view on real weights once read "Die Catholic sat on the Mats.": synonyms that
    WordNet does not list (cat -> Catholic, She -> He) passed the shared threshold. With the page's defaults for
    this miner (no synonyms, its default threshold, German), every switch of "cat", over many seeds, is a
    translation FreeDict lists or a WordNet synonym; and with synonyms asked for, the miner's best synonyms of the
    example are mostly not WordNet's, which is why they are off."""
    from salt_core.substitutions.codeswitching import (
        CodeSwitchSettings,
        codeswitch,
        default_synonyms,
        default_thresholds,
    )
    from salt_core.substitutions.dictionaries import read_dictd, read_wordnet
    from tests.paths import REAL

    example = ["The cat sat on the mat.", "She reads a good book every evening."]
    translations = read_dictd(REAL / "dictionaries" / "freedict-deu-eng.index", reverse=True)
    synonyms = read_wordnet(REAL / "wordnet")
    allowed = set(translations.loc[translations["source"] == "cat", "target"].str.lower()) | \
        set(synonyms.loc[synonyms["source"] == "cat", "target"])
    assert "katze" in allowed and "catholic" not in allowed
    assert default_synonyms("similarity") is False
    mined = mine_by_similarity(e5, example, "en", ["de"], synonyms=default_synonyms("similarity"))
    translation, _ = default_thresholds("similarity")
    switched = [rep for seed in range(30) for result in codeswitch(mined, CodeSwitchSettings(
        translation, None, "p_restricted", 1.0, ["de"], seed)) for rep in result.replacements]
    assert switched, "nothing was switched at the default threshold"
    for rep in switched:
        assert rep.kind == "translation" and rep.substitute.lower() != rep.original.lower()
        if rep.original.lower() == "cat":
            assert rep.substitute.lower() in allowed, rep
    with_synonyms = mine_by_similarity(e5, example, "en", [], synonyms=True)
    best = with_synonyms[with_synonyms["rank"] == 1]
    wordnet = set(zip(synonyms["source"], synonyms["target"]))
    right = [(w.lower(), c.lower()) in wordnet for w, c in zip(best["word"], best["candidate"])]
    assert sum(right) < len(right) / 2  # what SIMILARITY_SYNONYMS_OFF reports, on the example itself
