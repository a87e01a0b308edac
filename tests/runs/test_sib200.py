"""SIB-200 in the bundled reference: every published average recomputed from the bundled rows, one identity per
FLORES code, settings never pooled, volumes joined only where a corpus documents them."""

import pandas as pd
import pytest

from salt_core.runs.facets import language_facets, resource_groups, with_facets
from salt_core.runs.identity import PROBE
from salt_core.runs.schema import reference_runs
from salt_core.runs.selection import default_method
from tests.paths import SHARED

SIB = SHARED / "reference" / "sib200"
needs_shared = pytest.mark.skipif(not SIB.is_dir(), reason="needs ../shared/reference/sib200")


@pytest.fixture(scope="module")
def sib() -> pd.DataFrame:
    runs = reference_runs()
    return runs[runs["task"] == "SIB-200"]


def _protocol_of(sib, word):
    return sib[sib["protocol"].fillna("").str.contains(word)]


def _source_model(runs: pd.DataFrame) -> pd.Series:
    """The model as the source named it (the bundle uses the catalogue's names and keeps the source's in notes)."""
    return runs["notes"].str.extract(r"model as named by the source: ([^;]+)")[0].fillna(runs["model"])


@needs_shared
def test_emma500_printed_averages_are_the_mean_of_the_bundled_languages(sib):
    printed = pd.read_csv(SIB / "sib200_emma500_3shot_icl.csv").groupby("model")["printed_avg"].first()
    emma = _protocol_of(sib, "EMMA-500")
    assert emma["language"].nunique() == 205 and len(emma) == 53 * 205
    means = emma.groupby(_source_model(emma))["score"].mean() / 100
    assert sorted(means.index) == sorted(printed.index)
    for model, value in printed.items():
        assert means[model] == pytest.approx(value, abs=6e-5), model  # printed with 4 decimals


@needs_shared
def test_afrobench_printed_averages_leave_out_english_and_french(sib):
    table = pd.read_csv(SIB / "sib200_afrobench_0shot_prompting.csv")
    printed = table.groupby(["model_raw", "prompt"])["printed_avg_score"].first()
    afro = _protocol_of(sib, "AfroBench").copy()
    assert afro["protocol"].nunique() == 5  # one protocol per prompt template: prompts are never averaged away
    afro["prompt"] = "prompt_" + afro["protocol"].str.extract(r"template (\d) of 5")[0]
    afro["model_raw"] = afro["flags"].str.extract(r"model named (\S+) in the source")[0].fillna(afro["model"])
    kept = afro[~afro["language"].isin(["en", "fr"])]
    means = kept.groupby(["model_raw", "prompt"])["score"].mean()
    assert len(means) == len(printed) == 65
    for key, value in printed.items():
        assert means[key] == pytest.approx(value, abs=0.05 + 1e-9), key
    with_all = afro.groupby(["model_raw", "prompt"])["score"].mean()
    assert (abs(with_all - printed) > 0.05).any()  # including eng/fra does not reproduce it: the check can fail


def test_mteb_and_gpt_means_are_those_sources_md_states(sib):
    probe = sib[sib["method"] == PROBE]
    means = probe.groupby("model")["score"].mean().round(2)
    assert means[["multilingual-e5-small", "multilingual-e5-base", "multilingual-e5-large"]].tolist() == \
        [57.53, 56.34, 60.08]
    gpt = _protocol_of(sib, "SIB-200 paper").groupby("model")["score"].mean().round(2)
    assert gpt[["GPT-3.5-Turbo", "GPT-4"]].tolist() == [45.64, 53.67]
    assert _protocol_of(sib, "SIB-200 paper")["flags"].str.contains("6 of 7 categories").all()


def test_settings_are_three_methods_never_pooled_with_transfer(sib):
    assert set(sib["method"]) == {PROBE, "prompted 3-shot", "prompted 0-shot"}
    assert "zero-shot transfer (fine-tuned on English)" not in set(sib["method"])
    assert sib.groupby(["model", "language", "method", "protocol"]).size().max() == 1


def test_flores_codes_keep_the_script_only_where_a_language_has_two(sib):
    flores = sib["notes"].str.extract(r"FLORES code (\w+)")[0]
    pairs = pd.DataFrame({"flores": flores, "language": sib["language"]}).drop_duplicates()
    assert pairs["flores"].is_unique and pairs["language"].is_unique and len(pairs) == 205
    codes = dict(zip(pairs["flores"], pairs["language"]))
    assert codes["zho_Hans"] == "zh" and codes["zho_Hant"] == "zh-Hant"
    assert codes["ace_Latn"] == "ace" and codes["ace_Arab"] == "ace-Arab"
    assert codes["kas_Arab"] == "ks" and codes["kas_Deva"] == "ks-Deva"
    assert codes["kor_Hang"] == "ko" and codes["deu_Latn"] == "de" and codes["swh_Latn"] == "swh"


def test_volumes_come_from_each_models_documented_corpus_and_are_never_guessed(sib):
    e5 = sib[sib["model_family"] == "multilingual-e5"]
    with_volume = e5[e5["pretraining_data"].notna()]
    assert set(with_volume["pretraining_data_unit"]) == {"GiB"} and with_volume["language"].nunique() > 80
    swahili = e5[e5["language"] == "swh"]
    assert swahili["pretraining_data"].notna().all() and swahili["flags"].str.contains("macrolanguage sw").all()
    assert e5[e5["pretraining_data"].isna()]["flags"].str.contains("not among CC-100's languages|no usable volume").all()
    bloom = sib[sib["model"] == "bloom-7b1"]
    assert bloom.loc[bloom["language"] == "de", "pretraining_data"].tolist() == [0.0]  # ROOTS has no German
    assert bloom.loc[bloom["language"] == "zh", "pretraining_data"].iloc[0] > 1e11  # ROOTS zhs
    assert bloom.loc[bloom["language"] == "yo", "pretraining_data"].iloc[0] > 0
    llm = sib[sib["model_family"] == "Qwen3"]
    assert llm["pretraining_data"].isna().all()  # no per-language counts published: unknown, not zero


def test_bloom_xnli_runs_get_zero_for_languages_roots_lacks_and_chinese_from_zhs():
    runs = reference_runs()
    bloom = runs[(runs["model_family"] == "BLOOM") & (runs["task"] == "XNLI")]
    zero = bloom[bloom["pretraining_data"] == 0]
    assert set(zero["language"]) == {"de", "ru", "bg", "el", "th", "tr"}
    assert zero["flags"].str.contains("not among ROOTS").all()
    assert bloom.loc[bloom["language"] == "zh", "pretraining_data"].notna().all()


def test_the_default_method_for_sib200_is_the_one_the_card_can_read(sib):
    assert default_method(sib) == PROBE  # e5 small/base/large with CC-100 volumes


def test_facets_name_script_region_and_never_guess_them():
    assert language_facets("yo", "yor_Latn") == {"name": "Yoruba", "script": "Latin", "continent": "Africa",
                                                 "region": "Western Africa"}
    assert language_facets("ks-Deva", "kas_Deva")["script"] == "Devanagari"
    unknown = language_facets("acm-Arab", "acm_Arab")  # CLDR only falls back to its default guess (-US)
    assert unknown["script"] == "Arabic" and unknown["region"] == "unknown"


def test_resource_groups_are_thirds_by_volume_per_unit_zero_and_unknown_apart():
    runs = pd.DataFrame({"language": list("abcdefgh"), "pretraining_data": [1, 10, 100, 1000, 1e4, 1e5, 0, None],
                         "pretraining_data_unit": ["GiB"] * 6 + ["GiB", None]})
    groups = resource_groups(runs).tolist()
    assert groups == ["low", "low", "mid", "mid", "high", "high", "none", "unknown"]


def test_with_facets_on_the_whole_bundle_labels_every_sib_language(sib):
    faceted = with_facets(sib)
    assert faceted["script"].ne("unknown").all()  # every FLORES code states its script
    assert faceted.groupby("language")["script"].nunique().max() == 1
    # one group per language, whichever model a run is of (Qwen3 has no volumes; its runs share e5's group)
    assert faceted.groupby("language")["resource_group"].nunique().max() == 1
    assert {"Africa", "Asia", "Europe"} <= set(faceted["continent"])
