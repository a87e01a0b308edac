"""The CLI end to end, in subprocesses, with the demo model."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
WORDS = "river house garden window mother school water street friend evening".split()


def cli(*args, timeout=300, **kwargs):
    return subprocess.run([sys.executable, "-m", "salt_core", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    lines = [f"The {WORDS[i % 10]} near the {WORDS[(i * 3) % 10]} is {WORDS[(i * 7) % 10]}." for i in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_help_explains_every_option():
    for command in ("mine", "codeswitch"):
        result = cli(command, "--help")
        assert result.returncode == 0
        for option in ("--output", "--model", "--batch-size", "--device") if command == "mine" else \
                ("--threshold", "--ratio", "--seed", "--output"):
            assert option in result.stdout


def test_mine_then_codeswitch(tmp_path, corpus):
    mined = tmp_path / "mined.parquet"
    result = cli("mine", "--model", "demo", "--targets", "de,fr", "--input", corpus, "--output", mined, "--quiet")
    assert result.returncode == 0, result.stderr
    assert "random weights" in result.stderr
    table = pd.read_parquet(mined)
    assert set(table["language"]) == {"de", "fr", "en"} and table["sentence_id"].nunique() == 60
    out = tmp_path / "cs.jsonl"
    result = cli("codeswitch", "--mined", mined, "--threshold", "0", "--ratio", "1", "--seed", "1", "--output", out)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 60 and all(r["replacements"] for r in records)
    again = tmp_path / "again.jsonl"
    cli("codeswitch", "--mined", mined, "--threshold", "0", "--ratio", "1", "--seed", "1", "--output", again)
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_mine_resumes_after_a_kill_without_loss_or_duplicates(tmp_path, corpus):
    from salt_core.cli import main

    reference = tmp_path / "reference.parquet"  # the uninterrupted run, in-process (the same code, no start-up)
    assert main(["mine", "--model", "demo", "--targets", "de", "--input", str(corpus), "--output", str(reference),
                 "--quiet"]) == 0
    output = tmp_path / "out.parquet"
    parts = tmp_path / "out.parquet.parts"
    args = [sys.executable, "-m", "salt_core", "mine", "--model", "demo", "--targets", "de", "--input", str(corpus),
            "--output", str(output), "--chunk-size", "1", "--quiet"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=os.environ.copy())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("part-*.json"))) < 5:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    committed = len(list(parts.glob("part-*.json")))
    assert 5 <= committed < 60, "the run must be killed part-way"
    assert not output.exists(), "the output appears only when complete"
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output, "--quiet",
                 "--chunk-size", "1")
    assert result.returncode == 0, result.stderr
    assert not parts.exists()
    resumed, full = pd.read_parquet(output), pd.read_parquet(reference)
    keys = ["sentence_id", "word_index", "kind", "language", "rank"]
    assert not resumed.duplicated(keys).any()
    resumed = resumed.sort_values(keys).reset_index(drop=True)
    full = full.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(resumed.drop(columns=["p_restricted", "p_full", "lang_mass"]),
                                  full.drop(columns=["p_restricted", "p_full", "lang_mass"]))
    assert resumed["p_restricted"].to_numpy() == pytest.approx(full["p_restricted"].to_numpy(), abs=1e-5)


def test_changed_settings_do_not_mix_with_an_interrupted_run(tmp_path, corpus):
    output = tmp_path / "out.parquet"
    parts = tmp_path / "out.parquet.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"input_sha256": "something else"}))
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output, "--quiet")
    assert result.returncode == 2 and "--restart" in result.stderr
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", corpus, "--output", output, "--quiet",
                 "--restart")
    assert result.returncode == 0 and output.exists()


@pytest.mark.parametrize("args, message", [
    (["--model", "no-such/model"], "was not found"),
    (["--targets", "xx"], "Unknown language code"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, corpus, args, message):
    base = {"--model": "demo", "--targets": "de"}
    base.update(dict(zip(args[::2], args[1::2])))
    flat = [x for pair in base.items() for x in pair]
    result = cli("mine", *flat, "--input", corpus, "--output", tmp_path / "o.parquet", "--quiet")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o.parquet.parts").exists()


def test_undecodable_input_exits_2(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00broken")
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", bad, "--output", tmp_path / "o.parquet")
    assert result.returncode == 2 and "not UTF-8" in result.stderr


def test_codeswitch_reads_a_similarity_table_at_that_miners_own_default_threshold(tmp_path):
    """0.3 suits the masked LM's probabilities; the similarity miner's calibrated confidence has its own 0.5."""
    from salt_core.cli import main

    rows = [{"sentence_id": 0, "sentence": "The house is big.", "word_index": 1, "word": "house", "start": 4,
             "end": 9, "kind": "translation", "language": "de", "rank": 1, "candidate": candidate, "token_id": i,
             "p_restricted": p, "p_full": float("nan"), "lang_mass": float("nan"), "miner": miner}
            for i, (candidate, p, miner) in enumerate([("Haus", 0.4, "similarity")])]
    for miner, expect_kept in (("similarity", False), ("mlm", True)):
        mined = tmp_path / f"{miner}.csv"
        pd.DataFrame([dict(r, miner=miner) for r in rows]).to_csv(mined, index=False)
        out = tmp_path / f"{miner}.jsonl"
        assert main(["codeswitch", "--mined", str(mined), "--ratio", "1", "--output", str(out)]) == 0
        record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
        assert bool(record["replacements"]) == expect_kept, miner
