import numpy as np
import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.runs.scaling import answer, fit_scaling, model_gains, pearson
from salt_core.runs.schema import reference_runs

CODE_LANGUAGES = ["Python", "Java", "JavaScript", "C++", "PHP", "Rust", "Lua", "Julia", "R", "Racket"]


@pytest.fixture(scope="module")
def runs():
    return reference_runs()


def xnli(runs, model):
    sel = runs[(runs["model"] == model) & (runs["task"] == "XNLI") & (runs["method"] == "zero-shot transfer (fine-tuned on English)")
               & (runs["language"] != "en")]
    return sel.set_index("language")


def leaderboard(runs, model):
    sel = runs[runs["run_id"].str.startswith("LB-") & (runs["model"] == model)]
    return sel.set_index("language").loc[CODE_LANGUAGES]


def test_xlmr_accuracy_tracks_cc100_volume(runs):
    base, large = xnli(runs, "XLM-R Base"), xnli(runs, "XLM-R Large")
    assert len(base) == 14 and (base["pretraining_data_unit"] == "GiB").all()
    assert pearson(np.log10(base["pretraining_data"]), base["score"]).r == pytest.approx(0.84, abs=0.01)
    assert pearson(np.log10(large["pretraining_data"]), large["score"]).r == pytest.approx(0.72, abs=0.01)
    gain = (large["score"] - base["score"]).loc[base.index]
    assert pearson(np.log10(base["pretraining_data"]), gain).r == pytest.approx(-0.81, abs=0.01)


def test_starcoderbase_is_the_opposite_sign(runs):
    big, small = leaderboard(runs, "StarCoderBase-15B"), leaderboard(runs, "StarCoderBase-1.1B")
    tokens = np.log10(big["pretraining_data"].astype(float))
    assert pearson(tokens, big["score"]).r == pytest.approx(0.92, abs=0.01)
    assert pearson(tokens, big["score"] - small["score"]).r == pytest.approx(0.89, abs=0.01)
    gains = model_gains(runs[runs["run_id"].str.startswith("LB-") & runs["model"].isin(
        ["StarCoderBase-15B", "StarCoderBase-1.1B"]) & runs["language"].isin(CODE_LANGUAGES)])
    assert len(gains) == 10 and gains["gain"].gt(0).all()


def test_fit_equals_statsmodels_ols_and_ci_covers_it(runs):
    import statsmodels.api as sm

    sel = runs[runs["model"].isin(["XLM-R Base", "XLM-R Large"]) & (runs["task"] == "XNLI")
               & (runs["method"] == "zero-shot transfer (fine-tuned on English)") & (runs["language"] != "en")]
    fit = fit_scaling(sel, n_boot=300)
    x = sm.add_constant(np.column_stack([np.log10(sel["pretraining_data"].astype(float)),
                                         np.log10(sel["params"].astype(float))]))
    ols = sm.OLS(sel["score"].to_numpy(float), x).fit()
    assert fit.terms["estimate"].to_numpy() == pytest.approx(ols.params, abs=1e-8)
    assert fit.r2 == pytest.approx(ols.rsquared, abs=1e-10)
    for estimate, low, high in (fit.per_10x_data, fit.per_10x_params):
        assert low <= estimate <= high
    assert fit.data_multiplier[0] == pytest.approx(2 ** (ols.params[2] / ols.params[1]))
    with_families = fit_scaling(pd.concat([sel, sel.assign(model_family="other", score=sel["score"] + 3)]),
                                families=True, n_boot=50)
    assert with_families.terms.set_index("term").loc["family: other", "estimate"] == pytest.approx(3.0)
    interaction = fit_scaling(sel, interaction=True, n_boot=50)
    assert "log10(data) x log10(params)" in set(interaction.terms["term"])


def test_selections_that_cannot_answer_say_why(runs):
    one_size = xnli(runs, "XLM-R Base").reset_index()
    with pytest.raises(InputError, match="one model size"):
        fit_scaling(one_size)
    with pytest.raises(InputError, match="at least"):
        fit_scaling(one_size.head(3))
    mixed = runs[runs["pretraining_data_unit"].isin(["GiB", "bytes"])]
    with pytest.raises(InputError, match="mixes data units"):
        fit_scaling(mixed)
    assert not answer(one_size).ok and "one model size" in answer(one_size).headline


def test_answer_states_numbers_intervals_and_the_contrast(runs):
    sel = runs[runs["model"].isin(["XLM-R Base", "XLM-R Large"]) & (runs["task"] == "XNLI")
               & (runs["method"] == "zero-shot transfer (fine-tuned on English)") & (runs["language"] != "en")]
    result = answer(sel, n_boot=200)
    assert result.ok and "10x more pretraining data" in result.headline and "95% CI" in result.headline
    assert any("low-resource languages more" in d for d in result.details)
    code = runs[runs["run_id"].str.startswith("LB-") & runs["model"].str.startswith("StarCoderBase")]
    assert any("high-resource languages more" in d for d in answer(code, n_boot=200).details)


def _synthetic(n_languages=12, sizes=(1e8, 1e9, 1e10), noise=1.0, seed=1, copies=1):
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n_languages):
        volume, quirk = 10 ** rng.uniform(0, 3), rng.normal(0, noise)  # a language-level effect
        for params in sizes:
            for _ in range(copies):
                rows.append({"language": f"l{index}", "model_family": "f", "model": f"m{params:g}", "task": "T",
                             "method": "M", "params": params, "pretraining_data": volume,
                             "pretraining_data_unit": "GiB",
                             "score": 40 + 5 * np.log10(volume) + 3 * np.log10(params) + quirk})
    return pd.DataFrame(rows)


def test_language_bootstrap_equals_refitting_each_resample():
    from salt_core.runs.scaling import _design, language_bootstrap

    runs = _synthetic()
    x, _, _, _ = _design(runs, False, False)
    y, languages = runs["score"].to_numpy(float), runs["language"].to_numpy()
    fast = language_bootstrap(x, y, languages, n_boot=40, seed=7)
    codes = np.unique(languages)
    counts = np.random.default_rng(7).multinomial(len(codes), np.full(len(codes), 1 / len(codes)), size=40)
    slow = []
    for draw in counts:  # the plain way: stack each language's rows as often as it was drawn, and refit
        pick = np.concatenate([np.flatnonzero(languages == code).repeat(1) for code, times in zip(codes, draw)
                               for _ in range(times)])
        slow.append(np.linalg.lstsq(x[pick], y[pick], rcond=None)[0])
    assert fast == pytest.approx(np.array(slow), abs=1e-8)


def test_intervals_resample_languages_not_runs():
    """Known answers: without language-level noise every resample gives the same plane (zero-width interval);
    copying every run ten times adds no information about languages, so the interval must not shrink."""
    exact = fit_scaling(_synthetic(noise=0.0), n_boot=200)
    assert exact.per_10x_data[0] == pytest.approx(5.0) and exact.per_10x_data[2] - exact.per_10x_data[1] < 1e-8
    once, tenfold = fit_scaling(_synthetic(), n_boot=400), fit_scaling(_synthetic(copies=10), n_boot=400)
    width = lambda fit: fit.per_10x_data[2] - fit.per_10x_data[1]  # noqa: E731
    assert width(tenfold) == pytest.approx(width(once), rel=1e-6)
    assert once.per_10x_params[0] == pytest.approx(3.0, abs=1e-6)  # size varies within languages: exact


def test_the_card_says_no_clear_effect_two_sizes_and_too_few_languages():
    flat = _synthetic(sizes=(1e8, 1e9), noise=4.0).assign(score=lambda d: 50 + np.random.default_rng(3).normal(0, 3, len(d)))
    card = answer(flat, n_boot=300)
    assert card.ok and "no clear effect" in card.headline
    assert "from two sizes only" in card.headline and "per 10x parameters is extrapolated" in card.headline
    assert "Doubling the model" not in card.headline  # no rate from two points
    assert any("bootstrap over languages" in d and "seed 0" in d for d in card.details)
    three_sizes = answer(_synthetic(), n_boot=300)
    assert "10x more parameters with +3.0 points" in three_sizes.headline
    few = answer(_synthetic(n_languages=6), n_boot=200)
    assert any("too few languages for a slope" in d for d in few.details)  # tertiles of 6 languages: 2 each
    # a group of 3-5 languages gets no interval either: the minimum is stated, and no "95% CI" for that group
    groups = answer(_synthetic(n_languages=12), n_boot=200)
    lines = [d for d in groups.details if "-resource languages" in d]
    assert lines and all("at least 6" in d and "95% CI" not in d for d in lines)


def test_a_fit_over_fewer_than_six_languages_has_no_interval():
    card = answer(_synthetic(n_languages=5), n_boot=200)
    assert card.ok and "no interval: too few languages" in card.headline and "95% CI" not in card.headline


def test_method_deltas_average_seeds_with_scipys_welch_interval():
    from scipy import stats

    from salt_core.runs.scaling import method_deltas

    rng = np.random.default_rng(5)
    rows = []
    for index, language in enumerate(["de", "fr", "sw", "ur", "hi"]):
        for seed in range(3):
            rows.append({"model": "mBERT", "task": "XNLI", "language": language, "method": "SALT", "seed": seed,
                         "score": 70 + index + 1.5 + rng.normal(0, 0.5)})
        for seed in range(5):  # unequal seed counts: the Welch degrees of freedom are not min(n) - 1
            rows.append({"model": "mBERT", "task": "XNLI", "language": language, "method": "baseline", "seed": seed,
                         "score": 70 + index + rng.normal(0, 2.0)})
    runs = pd.DataFrame(rows)
    deltas = method_deltas(runs, "SALT", "baseline").set_index("language")
    de = runs[runs["language"] == "de"]
    salt, base = de[de["method"] == "SALT"]["score"], de[de["method"] == "baseline"]["score"]
    assert deltas.loc["de", "delta"] == pytest.approx(salt.mean() - base.mean())
    v1, v2 = salt.var() / 3, base.var() / 5
    welch_df = (v1 + v2) ** 2 / (v1 ** 2 / 2 + v2 ** 2 / 4)
    half = stats.t.ppf(0.975, welch_df) * np.sqrt(v1 + v2)
    assert deltas.loc["de", "high"] - deltas.loc["de", "delta"] == pytest.approx(half)
    assert half < stats.t.ppf(0.975, 2) * np.sqrt(v1 + v2)  # narrower than the old min(n) - 1
    assert (deltas["n"] == 3).all() and (deltas["baseline_n"] == 5).all()
    one_seed = method_deltas(runs[runs["seed"] == 0], "SALT", "baseline")
    assert one_seed["low"].isna().all()  # one seed a side: no interval is invented


def test_delta_figure_draws_error_bars():
    from salt_core.runs.figures import delta_figure
    from salt_core.runs.scaling import method_deltas

    runs = pd.DataFrame([{"model": "m", "task": "T", "language": lang, "method": method, "score": score}
                         for lang in ("de", "fr") for method, score in (("SALT", 71), ("SALT", 72), ("base", 70),
                                                                        ("base", 70.5))])
    figure = delta_figure(method_deltas(runs, "SALT", "base"))
    assert figure.data[0].error_y.array is not None and len(figure.data[0].error_y.array) == 2


def test_zero_volume_runs_are_left_out_of_the_fit_with_a_reason():
    from salt_core.runs.scaling import answer, fittable

    rng = np.random.default_rng(0)
    rows = []
    for i, language in enumerate(["de", "fr", "es", "ru", "zh", "ar", "hi", "sw"]):
        for params in (1e8, 1e9, 1e10):
            volume = 0.0 if language == "sw" else 10.0 ** (i % 4)
            rows.append({"language": language, "params": params, "pretraining_data": volume,
                         "pretraining_data_unit": "GiB", "score": 40 + 3 * i + 2 * np.log10(params) + rng.normal(),
                         "model": f"m-{params:g}", "model_family": "m", "task": "XNLI", "method": "x"})
    runs = pd.DataFrame(rows)
    usable, reasons = fittable(runs)
    assert len(usable) == len(runs) - 3 and (usable["pretraining_data"] > 0).all()
    assert any("no pretraining data at all" in r and "sw" in r for r in reasons)
    verdict = answer(runs, n_boot=50)
    assert verdict.ok and any("no pretraining data at all" in d for d in verdict.details)


def test_one_resample_count_everywhere():
    """The page, its exports, the library and the README state one number of language resamples."""
    import re

    from salt_core.runs.scaling import N_BOOT
    from tests.paths import ROOT, documentation

    page = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "pages" / "scaling.py",
                                                            *sorted((ROOT / "pages" / "ui").glob("scaling_*.py"))])
    assert "n_boot=500" not in page and "500 resamples" not in page and page.count("N_BOOT") >= 4
    stated = {int(n.replace(",", "")) for n in re.findall(r"([\d,]+) (?:language )?resamples", documentation())}
    assert stated == {N_BOOT}


def test_the_trade_off_line_names_the_winner_only_when_the_intervals_do_not_overlap():
    from salt_core.runs.scaling import trade_off

    nan = float("nan")
    assert "more data for a language is worth more" in trade_off((6.0, 4.0, 8.0), (2.0, 1.0, 3.0), "10x more parameters")
    assert "the bigger model is worth more" in trade_off((1.0, 0.5, 1.5), (5.0, 4.0, 6.0), "10x more parameters")
    assert "neither clearly wins" in trade_off((3.0, 1.0, 5.0), (4.0, 2.0, 6.0), "10x more parameters")
    assert "too few languages" in trade_off((3.0, nan, nan), (4.0, 2.0, 6.0), "10x more parameters")
    assert "2.2x more parameters (the two sizes)" in trade_off((1, 0, 2), (1, 0, 2), "2.2x more parameters (the two sizes)")
