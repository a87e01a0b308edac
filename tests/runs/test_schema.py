import subprocess
import sys

import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.runs.importers import Overrides, apply_mapping, load_runs, read_table_bytes
from salt_core.runs.schema import COLUMNS, reference_runs, to_gib, validate
from tests.paths import ROOT
from tests.paths import RUN_FIXTURES as FIXTURES
from tests.paths import SHARED as SHARED_FOLDER

SHARED = SHARED_FOLDER / "reference"


def test_project_csv_keeps_good_rows_and_reports_each_bad_one():
    result = load_runs(FIXTURES / "runs_with_bad_rows.csv")
    assert list(result.runs["run_id"]) == ["r1", "r2", "r9"]
    reasons = {p["row"]: p["reason"] for p in result.problems}
    assert "unknown language" in reasons[4]  # r3 (line 4 of the file: header is line 1)
    assert "not a number" in reasons[5]
    assert "outside 0-100" in reasons[6]
    assert "is not a parameter count" in reasons[7]
    assert "must not be negative" in reasons[8]
    assert "no unit" in reasons[9]
    assert "duplicate" in reasons[10]
    assert "missing model" in reasons[12]
    assert result.runs.loc[0, "score"] == 66.2 and result.runs.loc[0, "params"] == 270_000_000  # unaltered


def test_lm_eval_old_and_new_layouts():
    old = load_runs(FIXTURES / "lm_eval_old.json")
    assert old.runs.set_index("language")["score"].to_dict() == pytest.approx({"de": 42.51, "fr": 50.10, "sw": 35.38})
    assert set(old.runs["model"]) == {"bloom-560m"} and set(old.runs["task"]) == {"XNLI", "PAWS-X"}
    assert set(old.runs["model_family"]) == {"BLOOM"} and set(old.runs["params"]) == {560_000_000}  # catalogue
    assert old.runs.set_index("language").loc["sw", "score_stderr"] == pytest.approx(0.68)
    new = load_runs(FIXTURES / "lm_eval_new.json")
    assert set(new.runs["language"]) == {"sw", "ur", "th"} and set(new.runs["params"]) == {564463616}
    reasons = " ".join(p["reason"] for p in new.problems)
    assert "'xx' after 'xnli' is not a language code" in reasons
    assert new.runs.set_index("language").loc["th", "metric"] == "accuracy (length-normalised)"


def test_trainer_folder_takes_language_from_the_folder_name():
    result = load_runs(FIXTURES / "trainer-xnli-sw", overrides=Overrides(model="mbert", task="XNLI"))
    assert result.runs.loc[0, "language"] == "sw" and result.runs.loc[0, "score"] == pytest.approx(65.12)
    assert result.runs.loc[0, "task"] == "XNLI"  # the folder name says xnli too
    missing = load_runs(FIXTURES / "trainer-xnli-sw")
    assert missing.runs.empty and "missing model" in missing.problems[0]["reason"]


def test_mlflow_file_store():
    result = load_runs(FIXTURES / "mlruns")
    row = result.runs.iloc[0]
    assert (row["model"], row["language"], row["task"]) == ("mBERT", "de", "XNLI")  # hub id -> catalogue name
    assert row["score"] == pytest.approx(66.33) and row["params"] == 178_000_000  # last logged value


def test_column_mapping_for_any_table():
    export = pd.DataFrame({"Name": ["m1", "m1"], "lang": ["sw", "de"], "acc": [61.0, 70.5]})
    mapped = apply_mapping(export, {"model": "Name", "language": "lang", "score": "acc"},
                           {"task": "XNLI", "method": "SALT", "metric": "accuracy"})
    result = validate(mapped)
    assert len(result.runs) == 2 and not result.problems
    with pytest.raises(InputError, match="No column"):
        apply_mapping(export, {"model": "nope"})


def test_malformed_and_undecodable_files_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_runs(broken)
    with pytest.raises(InputError, match="not UTF-8"):
        read_table_bytes(b"model,score\n\xff\xfe,1\n", "x.csv")
    with pytest.raises(InputError, match="required column"):
        validate(pd.DataFrame({"model": ["x"]}))


def test_reference_runs_are_valid_sourced_and_flagged():
    runs = reference_runs()
    assert list(runs.columns) == COLUMNS and len(runs) > 1000
    assert runs["source"].notna().all()
    assert not validate(runs).problems
    flags = runs["flags"].fillna("")
    assert flags[runs["model"] == "XLM-100"].str.contains("71.26").all()
    assert flags[runs["model"].str.lower() == "llama-13b"].str.contains("near chance").all()
    assert (runs.loc[runs["model"] == "XLM-R Large", "params"] == 560_000_000).all()
    assert set(runs["language_kind"]) == {"natural", "programming"}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference is not beside this checkout")
def test_bundled_file_is_what_the_builder_makes(tmp_path):
    from salt_core.runs.reference import build_reference
    from salt_core.runs.schema import read_runs_csv

    build_reference(SHARED).to_csv(tmp_path / "rebuilt.csv", index=False)
    from salt_core.runs.reference import build_volumes
    from salt_core.runs.schema import corpus_volumes

    pd.testing.assert_frame_equal(build_volumes(SHARED), corpus_volumes(), check_dtype=False)
    pd.testing.assert_frame_equal(read_runs_csv(tmp_path / "rebuilt.csv"), reference_runs())


def test_bytes_to_gib_is_the_only_conversion():
    runs = pd.DataFrame({"pretraining_data": [2.0**31, 5.0], "pretraining_data_unit": ["bytes", "tokens"]})
    converted = to_gib(runs)
    assert converted["pretraining_data"].tolist() == [2.0, 5.0]
    assert converted["pretraining_data_unit"].tolist() == ["GiB", "tokens"]


def test_cli_import(tmp_path):
    root = ROOT
    out = tmp_path / "runs.csv"
    result = subprocess.run([sys.executable, "-m", "salt_core", "runs", "import", str(FIXTURES / "lm_eval_new.json"),
                             "--output", str(out)], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "is not a language code" in result.stderr
    assert len(pd.read_csv(out)) == 3
    bad = subprocess.run([sys.executable, "-m", "salt_core", "runs", "import", str(tmp_path / "nothing.json"),
                          "--output", str(out)], cwd=root, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_join_volumes_fills_only_missing_and_flags_them():
    from salt_core.runs.schema import join_volumes

    runs = load_runs(FIXTURES / "lm_eval_new.json").runs
    runs.loc[runs["language"] == "ur", ["pretraining_data", "pretraining_data_unit"]] = [1.0, "GiB"]
    joined = join_volumes(runs, "CC-100-XL").set_index("language")
    assert joined.loc["ur", "pretraining_data"] == 1.0  # given volumes are kept
    assert joined.loc["sw", "pretraining_data"] > 0 and joined.loc["sw", "pretraining_data_unit"] == "GiB"
    assert "joined from bundled CC-100-XL" in joined.loc["sw", "flags"]
    with pytest.raises(InputError):
        join_volumes(runs, "nonexistent")


def test_cli_overrides_reach_lm_eval_and_replacing_is_reported(tmp_path):
    root = ROOT
    document = tmp_path / "agieval.json"
    document.write_text('{"results": {"agieval_lsat_ar": {"acc": 0.4}}, "config": {"model_args": "pretrained=gpt2"}}')
    out = tmp_path / "runs.csv"
    run = subprocess.run([sys.executable, "-m", "salt_core", "runs", "import", str(document), "--output", str(out),
                          "--task", "AGIEval LSAT-AR", "--language", "English", "--method", "SALT", "--replace"],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(out)
    assert written[["task", "language", "method", "model"]].iloc[0].tolist() == ["AGIEval LSAT-AR", "en", "SALT", "gpt2"]
    assert "method: 1 value(s) in the file replaced by 'SALT'" in run.stderr


def test_zero_pretraining_data_is_a_value_not_an_error():
    frame = pd.DataFrame([{"run_id": "z", "model": "m", "model_family": "m", "params": 1e9, "language": "sw",
                           "language_kind": "natural", "pretraining_data": 0, "pretraining_data_unit": "GiB",
                           "task": "XNLI", "method": "zero-shot transfer (fine-tuned on English)",
                           "metric": "accuracy", "score": 41.0}])
    result = validate(frame)
    assert result.problems == [] and result.runs.loc[0, "pretraining_data"] == 0


def test_volumes_join_through_the_macrolanguage_and_say_so():
    from salt_core.runs.schema import corpus_volumes, join_volumes, macrolanguage

    assert (macrolanguage("swh"), macrolanguage("arb"), macrolanguage("ary"), macrolanguage("de")) == \
        ("sw", "ar", None, None)
    runs = pd.DataFrame({"language": ["swh", "ary", "de"], "pretraining_data": [None, None, None],
                         "pretraining_data_unit": [None, None, None], "flags": [None, None, None]})
    joined = join_volumes(runs, "CC-100").set_index("language")
    table = corpus_volumes().query("corpus == 'CC-100'").set_index("language")["pretraining_data"]
    assert joined.loc["swh", "pretraining_data"] == table["sw"] and "macrolanguage sw" in joined.loc["swh", "flags"]
    assert pd.isna(joined.loc["ary", "pretraining_data"])  # Moroccan Arabic never borrows Standard Arabic's volume
    assert joined.loc["de", "pretraining_data"] == table["de"] and "macrolanguage" not in joined.loc["de", "flags"]


def test_volumes_join_through_a_cldr_alias_only_when_cldr_makes_the_codes_one_language():
    from salt_core.runs.facets import resource_levels
    from salt_core.runs.schema import cldr_alias, corpus_volumes, join_volumes

    table = corpus_volumes().query("corpus == 'CC-100'").set_index("language")["pretraining_data"]
    assert cldr_alias("fil", table.index) == "tl"  # SIB-200's Filipino is CC-100's Tagalog file
    assert cldr_alias("sr", ["sh"]) is None and cldr_alias("nb", ["no"]) is None and cldr_alias("ary", ["ar"]) is None
    assert cldr_alias("he", ["iw", "en"]) == "iw" and cldr_alias("not a tag!", ["en"]) is None
    runs = pd.DataFrame({"language": ["fil", "ee"], "pretraining_data": [None, None],
                         "pretraining_data_unit": [None, None], "flags": [None, None]})
    joined = join_volumes(runs, "CC-100").set_index("language")
    assert joined.loc["fil", "pretraining_data"] == table["tl"] and "CLDR alias tl" in joined.loc["fil", "flags"]
    assert pd.isna(joined.loc["ee", "pretraining_data"])
    assert resource_levels(["fil"])["fil"] != "absent"


def test_a_languages_resource_level_and_its_joined_volume_agree_for_every_flores_language():
    """One rule for both: a level of 'absent' exactly where the CC-100 join finds no volume (Moroccan Arabic is
    absent from CC-100 and has no volume; Filipino has both through CC-100's tl). A language in another script
    takes its language's level but no volume: the table counts one script (zh is Simplified Chinese)."""
    from salt_core.languages import LANGUAGES
    from salt_core.runs.facets import resource_levels
    from salt_core.runs.schema import COLUMNS, join_volumes

    codes = list(LANGUAGES)
    levels = resource_levels(codes)
    runs = pd.DataFrame({"language": codes}).reindex(columns=COLUMNS).astype(
        {"pretraining_data_unit": object, "flags": object})
    volumes = join_volumes(runs, "CC-100").set_index("language")["pretraining_data"]
    plain = [code for code in codes if "-" not in code]
    assert len(plain) > 180
    assert [code for code in plain if (levels[code] == "absent") != pd.isna(volumes[code])] == []
    assert levels["ary"] == "absent" and levels["fil"] != "absent" and levels["sw"] == "low"
    assert levels["zh-Hant"] == "high" and pd.isna(volumes["zh-Hant"])
