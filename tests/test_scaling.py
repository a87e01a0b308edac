import numpy as np
import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.runs import reference_runs
from salt_core.scaling import answer, fit_scaling, model_gains, pearson

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
