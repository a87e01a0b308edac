"""Task data: SIB-200 as shipped, tables, and every kind of bad data named by file and row."""

import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.training.data import check_zero_shot, load_task, read_sib200_folder, read_table_data
from tests.paths import SHARED

SIB200 = SHARED / "data" / "sib200"
needs_sib200 = pytest.mark.skipif(not SIB200.is_dir(), reason="../shared/data/sib200 is not beside this checkout")


@needs_sib200
def test_sib200_reads_as_its_sources_say():
    task = read_sib200_folder(SIB200, ["deu_Latn", "zho_Hant", "zho_Hans", "arb_Latn", "arb_Arab"])
    assert task.name == "SIB-200" and len(task.labels) == 7 and "science/technology" in task.labels
    english = task.split("en", "train")
    assert len(english) == 701 and len(task.split("en", "dev")) == 99 and len(task.split("en", "test")) == 204
    assert english["label"].value_counts().tolist() == [176, 138, 102, 85, 77, 65, 58]  # SOURCES.md's counts
    # two scripts of one language stay two languages; the usual script is not spelled out
    assert {"en", "de", "zh", "zh-Hant", "arb", "arb-Latn"} == set(task.languages)
    assert task.languages["zh-Hant"] == "zho_Hant" and task.languages["de"] == "deu_Latn"
    # parallel test sets: the same ids in the same order
    assert task.split("de", "test")["id"].tolist() == task.split("en", "test")["id"].tolist()
    assert task.resolve(["deu_Latn", "de", "zho_Hant"]) == ["de", "zh-Hant"]
    with pytest.raises(InputError, match="has no fra_Latn"):
        task.resolve(["fra_Latn"])


def _sib(tmp_path, rows_by_file):
    for relative, text in rows_by_file.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


HEADER = "index_id\tcategory\ttext\n"


@pytest.mark.parametrize("files, message", [
    ({"eng_Latn/train.tsv": HEADER + "1\tsports\tA match.\n", "eng_Latn/test.tsv": HEADER + "1\thealth\tA doctor.\n"},
     r"test.tsv, line 2: label 'health' never appears in a training split"),
    ({"eng_Latn/train.tsv": HEADER + "1\tsports\tA match.\n1\tsports\tAgain.\n", "eng_Latn/test.tsv": HEADER},
     r"train.tsv, line 3: id '1' appears twice"),
    ({"eng_Latn/train.tsv": HEADER + "1\tsports\tA match.\n", "deu_Latn/train.tsv": HEADER + "1\tsports\tEin Spiel.\n",
      "eng_Latn/test.tsv": HEADER + "1\tsports\tx\n"}, r"deu_Latn has no test split"),
    ({"eng_Latn/train.tsv": HEADER + "1\tsports\t  \n", "eng_Latn/test.tsv": HEADER}, r"line 2: the text is empty"),
    ({"eng_Latn/train.tsv": "id\tlabel\ttext\n", "eng_Latn/test.tsv": HEADER}, r"the header must be"),
    ({"eng_Latn/train.tsv": HEADER + "1\tsports\n"}, r"line 2: 2 columns"),
])
def test_bad_sib200_data_names_file_and_row(tmp_path, files, message):
    with pytest.raises(InputError, match=message):
        read_sib200_folder(_sib(tmp_path, files))


def test_a_table_reads_pairs_and_refuses_what_it_cannot_use():
    table = (b"text,text_pair,label,language,split\nA man eats.,Someone eats.,entailment,en,train\n"
             b"Un homme mange.,Quelqu'un mange.,entailment,fr,test\nA man.,A dog.,contradiction,English,validation\n"
             b"A cat.,A cat sleeps.,entailment,eng,test\nA cat.,No cat.,contradiction,en,train\n")
    task = read_table_data(table, "xnli_small.csv")
    assert task.is_pair and set(task.languages) == {"en", "fr"} and task.labels == ["contradiction", "entailment"]
    assert task.split("en", "dev")["text_pair"].tolist() == ["A dog."]  # "validation" is the dev split
    with pytest.raises(InputError, match="line 2: split 'held-out'"):
        read_table_data(b"text,label,language,split\nx,a,en,held-out\n", "t.csv")
    with pytest.raises(InputError, match="no column split"):
        read_table_data(b"text,label,language\nx,a,en\n", "t.csv")
    with pytest.raises(InputError, match="line 2: 'xx-yy-zz' is not a language"):
        read_table_data(b'{"text":"x","label":"a","language":"en","split":"train"}\n'
                        b'{"text":"y","label":"a","language":"xx-yy-zz","split":"test"}\n', "t.jsonl")
    with pytest.raises(InputError, match="en has no test split"):
        read_table_data(b"text,label,language,split\nx,a,en,train\n", "t.csv")
    with pytest.raises(InputError, match="neither a folder"):
        load_task("/nowhere/at/all.txt")


def test_the_zero_shot_rule_refuses_target_language_examples():
    task = read_table_data(b"text,label,language,split\nx,a,en,train\ny,a,en,dev\nv,a,en,test\nz,a,de,test\n"
                           b"w,a,de,train\n", "t.csv")
    train, dev = task.split("en", "train"), task.split("en", "dev")
    check_zero_shot(task, "en", train, dev)  # English only: fine
    leaked = pd.concat([train, task.split("de", "train")])
    with pytest.raises(InputError, match="zero-shot rule: the training data holds 1 examples in de"):
        check_zero_shot(task, "en", leaked, dev)
    with pytest.raises(InputError, match="model-selection data holds 1 examples in de"):
        check_zero_shot(task, "en", train, task.split("de", "test"))


def test_a_hub_dataset_without_the_hub_or_datasets_gets_a_plain_message():
    with pytest.raises(InputError, match="datasets|not reachable"):
        load_task("xnli", ["de"])
    with pytest.raises(InputError, match="datasets|not reachable"):
        load_task("Davlan/sib200", ["deu_Latn"])


def test_a_cached_hub_dataset_trains_offline_and_an_uncached_one_says_which(tmp_path):
    """HF_HUB_OFFLINE=1, as on a cluster node: the dataset in the local cache is read, never probed for online."""
    import os
    import subprocess
    import sys

    from tests.paths import ROOT

    pytest.importorskip("datasets", reason="the optional hub extra (requirements-hub.txt)")
    cache = tmp_path / "hf" / "datasets"
    env = {**os.environ, "HF_DATASETS_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "SALT_HOME": str(tmp_path / "home")}
    built = subprocess.run([sys.executable, str(ROOT / "tests" / "training" / "hub_cache.py"), str(cache)], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    trained = subprocess.run([sys.executable, "-m", "salt_core", "train", "--data", "Davlan/sib200", "--languages",
                              "eng_Latn,deu_Latn", "--methods", "baseline", "--seeds", "1", "--model", "demo",
                              "--epochs", "1", "--batch-size", "16", "--output", str(tmp_path / "runs"), "--quiet"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr[-2000:]
    runs = pd.read_csv(next((tmp_path / "runs").glob("*.csv")))
    assert set(runs["language"]) == {"en", "de"} and set(runs["task"]) == {"SIB-200"}
    missing = subprocess.run([sys.executable, "-m", "salt_core", "train", "--data", "Davlan/sib200", "--languages",
                              "eng_Latn,yor_Latn", "--methods", "baseline", "--model", "demo", "--output",
                              str(tmp_path / "other")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    message = missing.stderr.strip().splitlines()[-1]
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "Davlan/sib200 (yor_Latn) is not in the local datasets cache" in message and "HF_HUB_OFFLINE" in message
