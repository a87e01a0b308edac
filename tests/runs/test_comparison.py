"""A method against its baseline, paired by seed: calibrated under the null, powerful under an effect, equal to
scipy's references."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salt_core.runs.comparison import compare_by_seed, holm, per_language

LANGUAGES = [f"l{i:02d}" for i in range(24)]


def simulated(rng, effect: float = 0.0, seeds: int = 5, run_sd: float = 3.0, language_sd: float = 0.5,
              source_effect: float | None = None) -> pd.DataFrame:
    """Runs of 2 methods x `seeds` seeds scored on English and 24 translated test sets. Each run (one trained
    model) has its own offset shared by all its languages: the structure that made a t-test over languages call
    91% of null experiments significant."""
    rows = []
    base = rng.normal(70, 8, len(LANGUAGES) + 1)  # each language's difficulty
    for method, shift in (("SALT", effect), ("baseline", 0.0)):
        for seed in range(seeds):
            offset = rng.normal(0, run_sd)
            for index, language in enumerate(["en", *LANGUAGES]):
                planted = source_effect if language == "en" and source_effect is not None and method == "SALT" \
                    else shift
                rows.append({"model": "m", "task": "t", "method": method, "seed": seed, "language": language,
                             "score": base[index] + offset + planted + rng.normal(0, language_sd)})
    return pd.DataFrame(rows)


def experiments(seed: int, n: int = 200, **kwargs) -> pd.DataFrame:
    """`n` simulated experiments as `n` tasks of one table (one comparison call answers them all)."""
    rng = np.random.default_rng(seed)
    return pd.concat([simulated(rng, **kwargs).assign(task=f"simulation {i}") for i in range(n)], ignore_index=True)


def test_under_no_effect_the_seed_paired_test_rejects_at_about_the_nominal_rate():
    runs = experiments(0)
    results = compare_by_seed(runs, "SALT", "baseline", source=None)
    assert len(results) == 200
    clear = sum(result.target.clear for result in results)
    assert clear <= 20, f"{clear} of 200 null experiments called clear (nominal 10)"
    # what the tool did before: seeds averaged per language, then a paired t-test over languages
    means = runs.groupby(["task", "language", "method"])["score"].mean().unstack()
    over_languages = sum(stats.ttest_rel(group["SALT"], group["baseline"]).pvalue <= 0.05
                         for _, group in means.groupby(level="task"))
    assert over_languages >= 100, over_languages  # most null experiments "significant"


def test_a_large_planted_effect_is_found_in_most_simulations():
    # +10 points against run noise of sd 3 (per-seed deltas of sd 4.2): five seeds find it nearly always
    results = compare_by_seed(experiments(1, effect=10.0), "SALT", "baseline", source=None)
    found = sum(result.target.clear for result in results)
    assert found >= 160, f"a +10 point effect was found in only {found} of 200 experiments"


def test_the_interval_is_scipys_paired_t_over_seed_means_and_the_sign_flip_is_exact():
    runs = simulated(np.random.default_rng(2), effect=1.0, seeds=4)
    result = compare_by_seed(runs, "SALT", "baseline")[0]
    targets = runs[runs["language"] != "en"].groupby(["seed", "method"])["score"].mean().unstack()
    reference = stats.ttest_rel(targets["SALT"], targets["baseline"])
    interval = reference.confidence_interval()
    assert result.seeds == 4 and result.targets == 24
    assert result.target.mean == pytest.approx((targets["SALT"] - targets["baseline"]).mean())
    assert (result.target.low, result.target.high) == pytest.approx((interval.low, interval.high))
    assert result.target.p == pytest.approx(reference.pvalue)
    d = (targets["SALT"] - targets["baseline"]).to_numpy()
    flips = [np.mean(d * signs) for signs in np.array(np.meshgrid(*[[-1, 1]] * 4)).reshape(4, -1).T]
    exact = np.mean(np.abs(flips) >= abs(d.mean()) - 1e-12)
    assert result.target.p_sign == pytest.approx(exact)


def test_the_source_language_and_the_gap_are_reported_apart():
    runs = simulated(np.random.default_rng(3), effect=4.0, seeds=6, run_sd=0.5, source_effect=4.0)
    result = compare_by_seed(runs, "SALT", "baseline", groups={"augmented": set(LANGUAGES[:8])})[0]
    assert result.source.mean == pytest.approx(4.0, abs=1.0) and abs(result.gap.mean) < 1.0
    assert "better training, not better transfer" in str(result)
    assert result.groups["augmented"][0] == 8


def test_unpaired_seeds_are_left_out_and_counted():
    runs = simulated(np.random.default_rng(4), seeds=5)
    runs = runs[~((runs["method"] == "SALT") & (runs["seed"] == 4))]
    result = compare_by_seed(runs, "SALT", "baseline")[0]
    assert result.seeds == 4 and result.unpaired_seeds == 1 and "1 unpaired" in str(result)


def test_holm_equals_statsmodels_and_per_language_uses_it():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    table = per_language(simulated(np.random.default_rng(5)), "SALT", "baseline")
    assert len(table) == 25 and (table["p_holm"] >= table["p"]).all() and (table["seeds"] == 5).all()


def test_the_sentence_bootstrap_matches_a_slow_resampling_and_finds_a_planted_difference():
    from salt_core.runs.comparison import per_language_bootstrap, sentence_bootstrap

    rng = np.random.default_rng(6)
    d = rng.choice([-100.0, 0.0, 0.0, 100.0, 100.0], size=200)
    mean, low, high, p = sentence_bootstrap(d, n_boot=4000)
    slow = np.array([rng.choice(d, size=len(d)).mean() for _ in range(4000)])  # one resample at a time
    assert mean == pytest.approx(d.mean())
    assert low == pytest.approx(np.percentile(slow, 2.5), abs=3.0)
    assert high == pytest.approx(np.percentile(slow, 97.5), abs=3.0)
    rows = []
    for seed in range(3):
        for sentence in range(204):
            base = rng.random() < 0.6
            rows += [{"method": "baseline", "seed": seed, "language": "de", "sentence": sentence, "correct": int(base)},
                     {"method": "SALT", "seed": seed, "language": "de", "sentence": sentence,
                      "correct": int(base or rng.random() < 0.5)},  # about +20 points
                     {"method": "baseline", "seed": seed, "language": "fr", "sentence": sentence, "correct": int(base)},
                     {"method": "SALT", "seed": seed, "language": "fr", "sentence": sentence, "correct": int(base)}]
    table = per_language_bootstrap(pd.DataFrame(rows), "SALT", "baseline").set_index("language")
    assert table.loc["de", "low"] > 10 and table.loc["de", "p_holm"] <= 0.01
    assert table.loc["fr", "delta"] == 0 and table.loc["fr", "p"] == 1.0
    assert (table["p_holm"] >= table["p"]).all() and (table["p_bh"] >= table["p"]).all()
    assert (table["sentences"] == 204).all() and (table["seeds"] == 3).all()
