"""Hostile and broken input against the CLI and the library: one line on stderr, exit 2, nothing lost.

Each case runs `main()` in this process (fast) unless it needs a second process (concurrent writers).
Big inputs are generated here, never committed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from salt_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args) -> tuple[int, list[str]]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse rejects bad options with exit 2
        code = exit_.code
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, errors


def one_error(errors: list[str]) -> str:
    """The only error line (notes and warnings may precede it); never a traceback."""
    assert not any("Traceback" in line for line in errors), errors
    lines = [line for line in errors if "error" in line.lower() and not line.startswith(("note:", "warning:"))]
    assert len(lines) == 1, errors
    return lines[0]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("The cat sat on the mat.\nA dog runs home.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("option,value,expected", [
    ("--chunk-size", "0", "between 1"), ("--chunk-size", "-1", "between 1"), ("--threads", "-1", "between 1"),
    ("--device", "meta", "cpu, cuda"), ("--top-k", "0", "between 1"), ("--batch-size", "1e9", "whole number"),
    ("--model", "m" * 5000, "is not one"),
])
def test_bad_mine_options_are_one_line_and_exit_2(capsys, tmp_path, corpus, option, value, expected):
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus,
                       "--output", tmp_path / "out.parquet", option, value)
    assert code == 2 and expected in one_error(errors)
    assert not (tmp_path / "out.parquet").exists()


def test_output_equal_to_input_or_a_folder_is_refused_and_the_corpus_survives(capsys, tmp_path, corpus):
    before = corpus.read_bytes()
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", corpus)
    assert code == 2 and "input" in one_error(errors) and corpus.read_bytes() == before
    folder = tmp_path / "folder.parquet"
    folder.mkdir()
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", folder)
    assert code == 2 and "folder" in one_error(errors)


def test_an_output_under_a_file_is_one_line(capsys, tmp_path, corpus):
    """What CI (as root) can check of unwritable outputs: a parent that is a file, not a folder."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus,
                       "--output", blocker / "out.parquet")
    assert code == 2 and one_error(errors)
    code, errors = run(capsys, "runs", "import", ROOT / "tests" / "fixtures" / "runs" / "lm_eval_new.json",
                       "--output", blocker / "runs.csv")
    assert code == 2 and one_error(errors)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(capsys, tmp_path, corpus):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus,
                       "--output", locked / "out.parquet")
    assert code == 2 and one_error(errors)


def test_unwritable_salt_home_and_broken_model_folders(capsys, tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("SALT_HOME", "/proc/salt-explorer-cannot-write-here")  # read at call time
    code, errors = run(capsys, "languages", "--model", "demo")
    assert code == 2 and "SALT_HOME" in one_error(errors)
    monkeypatch.undo()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 10, "hidden_size": 8,
                                                    "num_hidden_layers": 1, "num_attention_heads": 2,
                                                    "intermediate_size": 4, "max_position_embeddings": -5}))
    code, errors = run(capsys, "languages", "--model", broken)
    assert code == 2 and "does not hold a usable" in one_error(errors)
    from transformers import BertConfig, BertForMaskedLM

    mismatched = tmp_path / "mismatched"
    small = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8)
    BertForMaskedLM(small).save_pretrained(mismatched)
    config = json.loads((mismatched / "config.json").read_text())
    (mismatched / "config.json").write_text(json.dumps({**config, "vocab_size": 99, "hidden_size": 16}))
    # in a subprocess: transformers' load report logs through a handler bound to the real stderr
    separate = subprocess.run([sys.executable, "-m", "salt_core", "languages", "--model", str(mismatched)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert separate.returncode == 2 and "Traceback" not in separate.stderr
    message = one_error(separate.stderr.splitlines())  # no tokenizer files at all: said before the weights are read
    assert "does not hold a usable" in message or "the tokenizer's files are missing" in message
    (broken / "config.json").write_text('{"model_type": {"nested": [1, 2]}}')
    code, errors = run(capsys, "languages", "--model", broken)
    assert code == 2 and one_error(errors)


@pytest.mark.parametrize("name,content,expected", [
    ("deep.json", "[" * 200_000 + "]" * 200_000, "nested"),
    ("config_list.json", '{"results": {"xnli_de": {"acc": 0.5}}, "config": [1]}', "does not name its model"),
    ("bad_stderr.csv", "model,language,task,method,metric,score,score_stderr\nm,de,XNLI,SALT,accuracy,50,abc\n",
     "no usable runs"),
    ("huge_params.csv", "model,language,task,method,metric,score,params\nm,de,XNLI,SALT,accuracy,50,1e30\n"
     "m,fr,XNLI,SALT,accuracy,50,inf\nm,es,XNLI,SALT,accuracy,50,2.5\n", "no usable runs"),
], ids=["deep-json", "config-list", "stderr-abc", "params-1e30-inf-fraction"])
def test_bad_run_files_are_one_line_and_exit_2(capsys, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, errors = run(capsys, "runs", "import", path, "--output", tmp_path / "out.csv")
    assert code == 2 and expected in one_error(errors)


def test_a_folder_as_a_table_and_mlflow_metric_files_that_are_empty_garbage_or_latin1(capsys, tmp_path, monkeypatch):
    from salt_core.runs import mlflow_store

    monkeypatch.setattr(mlflow_store, "available", lambda: False)  # damaged files: the reader used without mlflow
    code, errors = run(capsys, "runs", "import", tmp_path, "--format", "table", "--output", tmp_path / "o.csv")
    assert code == 2 and "folder" in one_error(errors)
    for number, content in enumerate([b"", b"\x00\xff garbage", "1 0,9 1 é".encode("latin-1"), b"1 0.7 2\n"]):
        run_dir = tmp_path / "mlruns" / "0" / f"run{number}"
        (run_dir / "metrics").mkdir(parents=True)
        (run_dir / "metrics" / "eval_accuracy").write_bytes(content)
    code, errors = run(capsys, "runs", "import", tmp_path / "mlruns", "--output", tmp_path / "o.csv",
                       "--model", "m", "--language", "de", "--task", "XNLI")
    assert code == 0  # the readable run is written; the other three are reported, not fatal
    assert sum("no readable accuracy metric" in line for line in errors) == 3
    assert len(pd.read_csv(tmp_path / "o.csv")) == 1


def test_codeswitch_drops_rows_with_bad_scores_or_spans(capsys, tmp_path):
    rows = [{"sentence_id": 1, "sentence": "The cat sat.", "word_index": 1, "word": "cat", "start": 4, "end": 7,
             "kind": "translation", "language": "de", "candidate": "Katze", "p_restricted": 0.9, "p_full": 0.1},
            {"sentence_id": 1, "sentence": "The cat sat.", "word_index": 2, "word": "sat", "start": 400, "end": 9999,
             "kind": "translation", "language": "de", "candidate": "saß", "p_restricted": 0.9, "p_full": 0.1},
            {"sentence_id": 1, "sentence": "The cat sat.", "word_index": 0, "word": "The", "start": 0, "end": 3,
             "kind": "translation", "language": "de", "candidate": "Der", "p_restricted": "abc", "p_full": 0.1}]
    mined = tmp_path / "mined.csv"
    pd.DataFrame(rows).to_csv(mined, index=False)
    code, errors = run(capsys, "codeswitch", "--mined", mined, "--threshold", "0.5", "--ratio", "1",
                       "--output", tmp_path / "cs.jsonl")
    assert code == 0
    assert any("not a probability" in e for e in errors) and any("outside their sentence" in e for e in errors)
    written = [json.loads(line) for line in (tmp_path / "cs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written[0]["codeswitched"] == "The Katze sat."


def test_a_second_writer_is_refused_and_a_stale_lock_is_taken_over(capsys, tmp_path, corpus):
    output = tmp_path / "out.parquet"
    lock = output.with_name(output.name + ".lock")
    import fcntl
    import socket

    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}))
    with open(lock, "rb") as held:  # a writer holds the lock: the operating system's, not the file's existence
        fcntl.flock(held, fcntl.LOCK_EX)
        code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output)
    assert code == 2 and f"pid {os.getpid()}" in one_error(errors) and not output.exists()
    # the file a killed writer left (its flock died with it); even a live pid in it holds nothing
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "long ago"}))
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output,
                       "--quiet")
    assert code == 0 and any("no longer runs" in e for e in errors) and output.exists() and not lock.exists()


def test_parts_without_a_manifest(capsys, tmp_path, corpus):
    output = tmp_path / "out.parquet"
    parts = output.with_name(output.name + ".parts")
    parts.mkdir()  # interrupted right after creating the folder: recovered silently
    code, _ = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output, "--quiet")
    assert code == 0 and output.exists()
    parts.mkdir()
    (parts / "part-000000001.json").write_text("{}")
    code, errors = run(capsys, "mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output)
    assert code == 2 and "--restart" in one_error(errors)


def test_two_concurrent_writers_never_lose_a_row(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"The river near house number {i} is wide." for i in range(400)) + "\n")
    output = tmp_path / "out.parquet"
    command = [sys.executable, "-m", "salt_core", "mine", "--model", "demo", "--targets", "de", "--input",
               str(corpus), "--output", str(output), "--chunk-size", "20", "--quiet"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted((first.returncode, second.returncode))
    if codes == [0, 2]:  # the usual case: they overlapped, the second was refused naming the first
        refused = results[[first.returncode, second.returncode].index(2)][1]
        assert "being written by another process" in refused
    else:  # one finished before the other started: both complete, same rows
        assert codes == [0, 0]
    mined = pd.read_parquet(output)
    assert sorted(mined["sentence_id"].unique()) == list(range(1, 401))
    assert not mined.duplicated(["sentence_id", "word_index", "kind", "language", "rank"]).any()


def test_mine_refuses_a_checkpoint_without_a_trained_head_before_writing(capsys, tmp_path, corpus, demo_bert):
    from transformers import BertModel

    folder = tmp_path / "encoder-only"
    BertModel(demo_bert.model.config).save_pretrained(folder)
    demo_bert.tokenizer.save_pretrained(folder)
    output = tmp_path / "out.parquet"
    code, errors = run(capsys, "mine", "--model", folder, "--targets", "de", "--input", corpus, "--output", output,
                       "--miner", "mlm")
    assert code == 2 and "no trained masked-LM head" in one_error(errors)
    assert "--miner similarity" in one_error(errors)
    assert not output.exists() and not output.with_name(output.name + ".parts").exists()
    # Without --miner, the only miner such a model supports is used, and the user is told which
    code, errors = run(capsys, "mine", "--model", folder, "--targets", "de", "--input", corpus, "--output", output)
    assert code == 0 and any("embedding similarity" in e and "not SALT's method" in e for e in errors)
    assert output.exists()
