"""Importers against real result files (tests/fixtures/real, see SOURCES.md) and each failure issue 8 lists."""

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from salt_core.languages import language_code
from salt_core.runs.catalogue import family_of, parse_size, resolve_model
from salt_core.runs.identity import normalise_method, parse_task, parse_tasks
from salt_core.runs.importers import Overrides, load_bytes, load_runs
from salt_core.runs.schema import reference_runs
from tests.paths import REAL
from tests.paths import RUN_FIXTURES as FIXTURES


def test_real_v03_bloom_xnli_file_shares_identity_with_the_bundled_bloom_runs():
    result = load_runs(REAL / "lm_eval_v03_bloom-560m_xnli_0-shot.json")
    runs = result.runs
    assert len(runs) == 15 and not result.problems
    assert set(runs["model"]) == {"bloom-560m"} and set(runs["model_family"]) == {"BLOOM"}
    assert set(runs["params"]) == {560_000_000} and set(runs["task"]) == {"XNLI"}
    assert set(runs["method"]) == {"prompted 0-shot"}
    assert runs.set_index("language").loc["sw", "score"] == pytest.approx(33.17365269461078)
    bundled = reference_runs()
    bloom = bundled[(bundled["model"] == "bloom-560m") & (bundled["task"] == "XNLI")]
    assert set(bloom["method"]) == {"prompted 0-shot"} and set(bloom["protocol"]) == set(runs["protocol"])
    assert any("multiplied by 100" in m for m in result.messages)
    assert any("'bigscience/bloom-560m' is 'bloom-560m'" in m for m in result.messages)


def test_real_xwinograd_jp_is_japanese():
    runs = load_runs(REAL / "lm_eval_v03_bloom-560m_xwinograd_0-shot.json").runs
    assert set(runs["language"]) == {"en", "pt", "ru", "fr", "ja", "zh"}


def test_real_v04_files_read_shots_and_iso_639_3_with_script():
    belebele = load_runs(REAL / "lm_eval_v04_bloom-7b1_belebele_eus_Latn_5-shot.json").runs
    row = belebele.iloc[0]
    assert (row["language"], row["task"], row["method"]) == ("eu", "Belebele", "prompted 5-shot")
    assert (row["model"], row["params"]) == ("bloom-7b1", 7_100_000_000)
    assert row["score"] == pytest.approx(27.0) and row["score_stderr"] == pytest.approx(1.4806876915962117)
    story = load_runs(REAL / "lm_eval_v04_bloom-7b1_xstorycloze_eu_0-shot.json").runs
    assert (story.iloc[0]["language"], story.iloc[0]["method"]) == ("eu", "prompted 0-shot")


@pytest.mark.parametrize("name,size", [("bloom-560m", 560e6), ("bloom-7b1", 7.1e9), ("xglm-2.9B", 2.9e9),
                                       ("stablelm-2-1_6b", 1.6e9), ("llama-7B", 7e9), ("llama-13b", 13e9),
                                       ("XLM-R-250M", 250e6), ("Mixtral-8x7b", 56e9), ("phi-3-mini-4k", None),
                                       ("gpt2", None)])
def test_size_grammar(name, size):
    assert parse_size(name) == (int(size) if size else None)


def test_unknown_models_get_a_family_and_a_size_from_the_name():
    info = resolve_model("stabilityai/stablelm-2-1_6b")
    assert (info.name, info.family, info.params, info.how) == ("stablelm-2-1_6b", "stablelm-2", 1_600_000_000, "name")
    assert family_of("gpt2") == "gpt2"  # never empty
    assert resolve_model("/checkpoints/runs/bloom-7b1/").name == "bloom-7b1"
    assert resolve_model("CodeLlama-34b").name == resolve_model("codellama/CodeLlama-34b-hf").name == "CodeLlama-34B"
    assert resolve_model("CodeGeex2-6B").name == "CodeGeeX2-6B"


@pytest.mark.parametrize("task,expected", [("xnli_sw", ("XNLI", "sw")), ("xnli_eu_mt", ("XNLI (mt)", "eu")),
                                           ("belebele_eus_Latn", ("Belebele", "eu")),
                                           ("xwinograd_jp", ("XWinograd", "ja")),
                                           ("belebele_zho_Hans", ("Belebele", "zh")), ("m_mmlu_de", ("m-MMLU", "de"))])
def test_task_names_are_read_by_family(task, expected):
    parsed = parse_task(task)
    assert (parsed.task, parsed.language) == expected and parsed.problem is None


@pytest.mark.parametrize("task", ["arc_challenge", "xnli_xx", "hellaswag", "piqa", "mmlu_virology", "lambada_openai",
                                  "arc_gen", "blimp_sat"])
def test_task_names_that_state_no_language_are_reported_not_guessed(task):
    parsed = parse_task(task)
    assert parsed.language is None and parsed.problem


def test_an_ending_that_is_no_language_slot_in_its_file_is_not_read_as_one():
    # AGIEval's LSAT sections are ar (analytical reasoning), lr, rc: beside its siblings, "ar" is not Arabic
    names = parse_tasks(["agieval_lsat_ar", "agieval_lsat_lr", "agieval_lsat_rc", "agieval_sat_en", "agieval_sat_math"])
    assert all(parsed.language is None for parsed in names.values())
    assert "lr" in names["agieval_lsat_ar"].problem and "math" in names["agieval_sat_en"].problem
    # a three-letter ending with no sibling to confirm it is refused; a script or a sibling confirms it
    assert parse_task("exams_sat").language is None
    assert parse_tasks(["exams_eus", "exams_spa"])["exams_eus"].language == "eu"
    assert parse_task("sib200_yor_Latn").language == "yo"


def test_an_unknown_task_is_reported_and_can_be_overridden():
    document = {"results": {"piqa": {"acc": 0.4}}, "config": {"model_args": "pretrained=gpt2"}}
    data = json.dumps(document).encode()
    first = load_bytes(data, "piqa.json")
    assert first.runs.empty and "names no language" in first.problems[0]["reason"]
    fixed = load_bytes(data, "piqa.json", Overrides(task="PIQA", language="en"))
    assert fixed.runs.iloc[0][["task", "language"]].tolist() == ["PIQA", "en"]


def test_real_machine_translated_tasks_are_their_language_never_maltese():
    # EleutherAI's LLaMA-7B LAMBADA file: lambada_openai_mt_{de,es,fr,it,en}, plus English tasks that name no language
    result = load_runs(REAL / "lm_eval_v03_llama-7B_lambada_0-shot.json")
    runs = result.runs.set_index("run_id")
    assert sorted(runs["language"]) == ["de", "en", "es", "fr", "it"] and "mt" not in set(runs["language"])
    assert set(runs["task"]) == {"lambada_openai (machine-translated)"}
    assert runs["flags"].str.contains("machine-translated").all()
    assert runs["notes"].str.contains("inferred: lambada_openai_mt_de: language de from '_mt_de'").any()
    skipped = {problem["reason"].split("'")[1] for problem in result.problems}
    assert skipped == {"lambada_openai", "lambada_standard", "lambada_openai_cloze", "lambada_standard_cloze"}
    assert any("read from the task name by a general rule" in message for message in result.messages)
    assert parse_task("xnli_mt").language == "mt"  # a final "mt" with nothing after it is Maltese


def test_real_unknown_family_ending_in_a_language_is_read_and_reported():
    # HiTZ's Basque public-exam suite (latxa): group oposizioak_eu and its subtasks oposizioak_eu_<exam>
    result = load_runs(REAL / "lm_eval_v04_bloom-7b1_eus_exams_eu_5-shot.json")
    runs = result.runs
    assert len(runs) == 5 and set(runs["language"]) == {"eu"} and set(runs["method"]) == {"prompted 5-shot"}
    assert "oposizioak (ejadministrari)" in set(runs["task"])
    assert runs["notes"].str.contains("from its group 'oposizioak_eu'").all()
    assert any("a group" in problem["reason"] for problem in result.problems)  # the group's average is no run
    assert runs["model"].iloc[0] == "bloom-7b1"


@pytest.mark.parametrize("name,code", [("Yorùbá", "yo"), ("Yoruba", "yo"), ("Español", "es"), ("Espanol", "es"),
                                       ("Français", "fr"), ("Türkçe", "tr"), ("Turkce", "tr"), ("Deutsch", "de"),
                                       ("Kiswahili", "sw"), ("isiZulu", "zu"), ("Èdè Yorùbá", "yo"), ("Русский", "ru"),
                                       ("中文", "zh"), ("Tiếng Việt", "vi"), ("português", "pt"), ("Farsi", "fa")])
def test_language_names_in_english_and_their_own_language_with_or_without_diacritics(name, code):
    assert language_code(name) == code


@pytest.mark.parametrize("word", ["virology", "gen", "Gen", "easy", "history", "math", "cloze", "openai"])
def test_words_that_only_resemble_a_language_name_are_not_languages(word):
    # langcodes.find alone reads "virology" as Estonian (a prefix of Finnish "viro"): only whole names count
    assert language_code(word) is None


def test_every_cldr_autonym_names_its_own_language():
    from langcodes.language_lists import CLDR_LANGUAGES
    from language_data.names import code_to_names

    checked = 0
    for code in sorted(CLDR_LANGUAGES):
        autonym = code_to_names(code).get(code)
        if autonym and len(code) == 2:
            found = language_code(autonym)
            assert found is not None and found.split("-")[0] == code or language_code(found) == code, (code, autonym)
            checked += 1
    assert checked >= 70  # every two-letter CLDR language with an own name (76 in language_data 1.4)


def test_table_rows_with_native_language_names_are_kept():
    table = ("model,language,task,method,metric,score\n"
             "m,Yorùbá,SIB-200,prompted 0-shot,accuracy,41\nm,Español,SIB-200,prompted 0-shot,accuracy,70\n"
             "m,Türkçe,SIB-200,prompted 0-shot,accuracy,66\nm,Zyxwvish,SIB-200,prompted 0-shot,accuracy,1\n")
    result = load_bytes(table.encode(), "native.csv")
    assert result.runs["language"].tolist() == ["yo", "es", "tr"] and len(result.problems) == 1


@pytest.mark.parametrize("given,code", [("Hausa", "ha"), ("Igbo", "ig"), ("eus", "eu"), ("pcm", "pcm"),
                                        ("zho_Hans", "zh"), ("zh-Hans", "zh"), ("German", "de"), ("jp", "ja")])
def test_languages_from_names_iso_639_3_and_bcp_47(given, code):
    assert language_code(given) == code


def test_table_of_fractions_is_rescaled_and_says_so():
    table = "model,language,task,method,metric,score\nbloom-560m,Hausa,XNLI,prompted 0-shot,accuracy,0.41\n" \
            "bloom-560m,zho_Hans,XNLI,prompted 0-shot,accuracy,0.38\n"
    result = load_bytes(table.encode(), "fractions.csv")
    assert result.runs["score"].tolist() == pytest.approx([41.0, 38.0])
    assert result.runs["language"].tolist() == ["ha", "zh"] and result.runs["language_kind"].eq("natural").all()
    assert any("multiplied by 100" in m for m in result.messages)
    points = load_bytes(table.replace("0.41", "41").replace("0.38", "38").encode(), "points.csv")
    assert points.runs["score"].tolist() == [41.0, 38.0] and not any("multiplied" in m for m in points.messages)


def test_overrides_reach_every_format_and_fill_rather_than_replace(tmp_path, monkeypatch):
    from salt_core.runs import mlflow_store

    monkeypatch.setattr(mlflow_store, "available", lambda: False)  # a hand-made layout: the reader used without mlflow
    store = tmp_path / "project" / "mlruns"
    (store.parent / "notes").mkdir(parents=True)
    for part in ("metrics", "params"):
        (store / "0" / "run1" / part).mkdir(parents=True)
    (store / "0" / "run1" / "metrics" / "eval_accuracy").write_text("1 0.5 1\n2 0.61 2\n")
    (store / "0" / "run1" / "params" / "model_name_or_path").write_text("xlm-roberta-base")
    result = load_runs(tmp_path / "project", overrides=Overrides(language="sw", task="XNLI"))  # mlruns inside
    row = result.runs.iloc[0]
    assert (row["model"], row["language"], row["task"], row["score"]) == ("XLM-R Base", "sw", "XNLI", 61.0)
    lm_eval = load_runs(REAL / "lm_eval_v03_bloom-560m_xnli_0-shot.json", overrides=Overrides(language="de"))
    assert lm_eval.runs["language"].nunique() == 15  # the file's languages are kept
    assert any("filled only the rows that lacked one" in m for m in lm_eval.messages)
    replaced = load_runs(REAL / "lm_eval_v04_bloom-7b1_xstorycloze_eu_0-shot.json",
                         overrides=Overrides(method="SALT", replace=True))
    assert replaced.runs.iloc[0]["method"] == "SALT" and any("replaced" in m for m in replaced.messages)


def test_api_model_v04_takes_the_top_level_model_name():
    document = {"results": {"xnli_de": {"acc,none": 0.5}}, "n-shot": {"xnli_de": 3}, "model_name": "gpt-4o-mini",
                "config": {"model": "local-completions", "model_args": "base_url=http://localhost/v1"}}
    runs = load_bytes(json.dumps(document).encode(), "api.json").runs
    assert runs.iloc[0][["model", "method"]].tolist() == ["gpt-4o-mini", "prompted 3-shot"]


def test_trainer_state_log_history_last_evaluation(tmp_path):
    folder = tmp_path / "xlmr-pawsx-de"
    folder.mkdir()
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"loss": 0.9, "step": 10}, {"eval_accuracy": 0.81, "step": 100}, {"eval_accuracy": 0.84, "step": 200}]}))
    (folder / "config.json").write_text(json.dumps({"_name_or_path": "xlm-roberta-large"}))
    row = load_runs(folder).runs.iloc[0]
    assert (row["model"], row["task"], row["language"], row["score"]) == ("XLM-R Large", "PAWS-X", "de", 84.0)


def test_a_zip_of_an_mlflow_store_and_paths_outside_it(monkeypatch):
    from salt_core.runs import mlflow_store

    monkeypatch.setattr(mlflow_store, "available", lambda: False)  # a hand-made layout: the reader used without mlflow
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (FIXTURES / "mlruns").rglob("*"):
            if path.is_file():
                archive.write(path, f"exported/mlruns/{path.relative_to(FIXTURES / 'mlruns')}")
    result = load_bytes(buffer.getvalue(), "store.zip")
    assert len(result.runs) == 1 and result.runs.iloc[0]["language"] == "de"
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.txt", "x")
    from salt_core.errors import InputError

    with pytest.raises(InputError, match="outside the archive"):
        load_bytes(evil.getvalue(), "evil.zip")


def test_symlinks_in_a_store_are_not_followed(tmp_path, monkeypatch):
    from salt_core.runs import mlflow_store

    monkeypatch.setattr(mlflow_store, "available", lambda: False)  # the reader used without mlflow
    store = tmp_path / "mlruns" / "0" / "run1"
    (store / "metrics").mkdir(parents=True)
    (store / "tags").mkdir()
    (store / "metrics" / "eval_accuracy").write_text("1 0.7 1\n")
    (store / "tags" / "mlflow.runName").symlink_to("/etc/hostname")
    row = load_runs(tmp_path / "mlruns", overrides=Overrides(model="m", language="de", task="XNLI")).runs.iloc[0]
    assert pd.isna(row["notes"]) or "hostname" not in str(row["notes"])


def test_bundled_methods_are_controlled_and_one_name_per_model():
    runs = reference_runs()
    methods = set(runs["method"])
    assert all(m.startswith("prompted ") or m in {normalise_method(m)[0] for m in methods} for m in methods)
    assert len(methods) <= 10  # once dozens of harness notes
    models = set(runs["model"])
    assert not {"CodeLlama-34b", "CodeGeex2-6B", "StarCoderBase-16B"} & models
    assert runs.groupby("model")["params"].nunique().max() <= 1  # one size per model
    assert runs["model_family"].notna().all()


def test_catalogue_rows_are_sourced_unique_and_sized_consistently():
    from salt_core.runs.catalogue import catalogue

    table = catalogue()
    assert table["source"].notna().all() and table["canonical"].is_unique and table["family"].notna().all()
    aliases = [a.lower() for cell in table["aliases"].dropna() for a in cell.split("|")]
    assert len(aliases) == len(set(aliases))  # one alias, one model
    sized = table.dropna(subset=["params", "non_embedding_params"])
    assert (sized["non_embedding_params"] < sized["params"]).all()


def test_real_trainer_all_results_asks_for_what_it_lacks():
    folder = REAL / "trainer_nnlp"
    bare = load_runs(folder)
    assert bare.runs.empty and {"missing model"} <= {p["reason"] for p in bare.problems}
    assert any("No language code in the folder name" in m for m in bare.messages)
    given = load_runs(folder, overrides=Overrides(model="xlm-roberta-base", language="it", task="NER"))
    row = given.runs.iloc[0]
    assert (row["model"], row["language"], row["score"]) == ("XLM-R Base", "it", pytest.approx(98.5479775401452))


def test_real_trainer_state_without_evaluations_says_so():
    from salt_core.errors import InputError

    with pytest.raises(InputError, match="logged no evaluation"):
        load_runs(REAL / "trainer_weibo_rumor")


def test_real_mlflow_store_without_an_accuracy_metric_names_what_it_found():
    result = load_runs(REAL / "mlflow_iris")  # the folder that *contains* mlruns/
    assert result.runs.empty
    assert "found: metric_0" in result.problems[0]["reason"]


def test_bad_table_lines_are_reported_and_good_ones_kept():
    jsonl = ('{"model": "m", "language": "de", "task": "XNLI", "method": "SALT", "metric": "accuracy", "score": 70}\n'
             '{not json\n'
             '{"model": "m", "language": "fr", "task": "XNLI", "method": "SALT", "metric": "accuracy", "score": 71}\n')
    result = load_bytes(jsonl.encode(), "runs.jsonl")
    assert result.runs["language"].tolist() == ["de", "fr"] and "line 2" in result.problems[0]["reason"]
    csv = ('model,language,task,method,metric,score\nm,de,XNLI,SALT,accuracy,70\n'
           'm,"fr,XNLI,SALT,accuracy,71\nm,es,XNLI,SALT,accuracy,72\n')
    swallowed = load_bytes(csv.encode(), "runs.csv")
    assert swallowed.runs["language"].tolist() == ["de", "es"]  # the line after the broken one is kept
    assert any("row 3: a quote is never closed" in p["reason"] for p in swallowed.problems)
    assert swallowed.runs["language"].tolist() == ["de"] or "es" in swallowed.runs["language"].tolist()


def test_a_missing_language_kind_is_inferred():
    table = "model,language,task,method,metric,score\nm,Python,HumanEval,prompted 0-shot,pass@1,30\n" \
            "m,sw,XNLI,SALT,accuracy,60\n"
    runs = load_bytes(table.encode(), "kinds.csv").runs.set_index("language")
    assert runs.loc["Python", "language_kind"] == "programming" and runs.loc["sw", "language_kind"] == "natural"


STABLELM = Path(__file__).parents[1] / "fixtures" / "reconstructed" / "lm_eval_v03_stablelm-2-1_6b_multilingual_layout.json"


def test_stablelm_multilingual_tasks_keep_their_language_for_every_family():
    # Stability AI's StableLM-2-1.6B multilingual run (task names and metric keys of the real file; SOURCES.md):
    # hellaswag_mt_de is HellaSwag machine-translated into German, never Maltese, although "hellaswag" is a known
    # family; no MMLU subject is a language ("religions" is no name of Reli); truthfulqa_mc_mt_* reads mc2.
    result = load_runs(STABLELM)
    runs = result.runs.set_index("run_id")
    expected = {"de": 5, "es": 5, "fr": 5, "it": 5, "pt": 4, "nl": 4}
    assert runs["language"].value_counts().to_dict() == expected
    families = {"arc_challenge", "hellaswag", "lambada_openai", "truthfulqa_mc", "hendrycksTest"}
    assert set(runs["task"]) == {f"{family} (machine-translated)" for family in families}
    for task_name, row in runs.iterrows():
        family, language = task_name.split(":")[1].rsplit("_mt_", 1)
        assert row["language"] == language and row["task"].startswith(family + " ")
    assert runs["flags"].str.contains("machine-translated").all()
    truthful = runs[runs["task"].str.startswith("truthfulqa_mc")]
    assert len(truthful) == 6 and set(truthful["metric"]) == {"TruthfulQA mc2 (probability mass on the true answers)"}
    assert truthful["notes"].str.contains("mc2 read").all()
    assert (truthful["score"] == 100 * 0.4).all()  # mc2, not mc1 (0.25), in the fixture
    reasons = {problem["reason"].split("'")[1]: problem["reason"] for problem in result.problems
               if problem["reason"].startswith("task '")}
    mmlu = [name for name in reasons if name.startswith("hendrycksTest-")]
    assert len(mmlu) == 57  # every English MMLU subject is left for the user, none read as a language
    assert "names no language" in reasons["hendrycksTest-world_religions"]


@pytest.mark.parametrize("word", ["religions", "virology", "sociology", "marketing", "nutrition", "philosophy"])
def test_a_word_that_begins_with_a_language_name_is_no_language(word):
    assert language_code(word) is None
    assert parse_task(f"mmlu_{word}").language is None


def test_truthfulqa_reads_mc1_when_mc2_is_absent():
    document = {"results": {"truthfulqa_mc_mt_de": {"mc1": 0.3, "mc1_stderr": 0.01}},
                "config": {"model_args": "pretrained=x/y"}}
    runs = load_bytes(json.dumps(document).encode(), "r.json").runs
    assert runs.iloc[0]["metric"].startswith("TruthfulQA mc1") and runs.iloc[0]["score"] == pytest.approx(30.0)
