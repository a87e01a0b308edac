"""`mine --engine ray` and `codeswitch --engine ray` on a local 2-CPU Ray cluster, in subprocesses, against the
local engine: same rows, same skipped lines; a worker and then the driver killed mid-run lose and duplicate
nothing; the one-line refusals (no Ray, an unreachable address, other settings on resume) touch no output."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from tests.test_cli import ROOT, WORDS
from tests.test_cli import cli as local_cli

pytest.importorskip("ray", reason="requirements-cluster.txt is not installed")

def cli(*args):
    """The CLI with a ceiling for a loaded machine: a Ray run spends ~40 s starting before it mines."""
    return local_cli(*args, timeout=900)


KEYS = ["sentence_id", "word_index", "kind", "language", "rank"]
SCORES = ["p_restricted", "p_full", "lang_mass"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """A corpus of two shards in two formats, with blank lines and a bad JSON line: 300 lines in all."""
    folder = tmp_path_factory.mktemp("shards")
    lines = [f"The {WORDS[i % 10]} near the {WORDS[(i * 3) % 10]} is {WORDS[(i * 7) % 10]}." if i % 17 else ""
             for i in range(200)]
    (folder / "a.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = [json.dumps({"text": f"My {WORDS[i % 10]} saw the {WORDS[(i * 3) % 10]}."}) for i in range(100)]
    records[40] = "{broken"
    (folder / "b.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def local_run(shards, tmp_path_factory):
    output = tmp_path_factory.mktemp("local") / "mined.parquet"
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", shards, "--output", output, "--quiet",
                 "--chunk-size", "2", "--threads", "1")
    assert result.returncode == 0, result.stderr
    return output, result


def same_rows(first: pd.DataFrame, second: pd.DataFrame) -> None:
    assert not first.duplicated(KEYS).any() and not second.duplicated(KEYS).any()
    pd.testing.assert_frame_equal(first.drop(columns=SCORES), second.drop(columns=SCORES))
    for column in SCORES:
        assert first[column].to_numpy() == pytest.approx(second[column].to_numpy(), abs=1e-5, nan_ok=True)


def test_ray_engine_writes_what_the_local_engine_writes(tmp_path, shards, local_run):
    reference, local = local_run
    output = tmp_path / "mined.parquet"
    result = cli("mine", "--model", "demo", "--targets", "de", "--input", shards, "--output", output, "--quiet",
                 "--chunk-size", "2", "--engine", "ray", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == local.stdout.replace(str(reference), str(output))
    mined, expected = pd.read_parquet(output), pd.read_parquet(reference)
    same_rows(mined, expected)
    # ids are global: the second file's lines follow the first file's 200
    assert mined["sentence_id"].min() == 2 and mined["sentence_id"].max() == 300  # line 1 is blank
    assert mined.loc[mined["sentence_id"] > 200, "sentence"].str.startswith("My ").all()
    skipped = pd.read_csv(output.with_name(output.name + ".skipped.csv"))
    pd.testing.assert_frame_equal(skipped, pd.read_csv(reference.with_name(reference.name + ".skipped.csv")))
    assert {"b.jsonl", "a.txt"} == set(skipped["file"]) and (skipped["line"] <= 200).all()
    assert ("b.jsonl", 41, "read") in set(zip(skipped["file"], skipped["line"], skipped["stage"]))
    # one summary line per reason, not one per line
    assert sum("not mined" in line for line in result.stderr.splitlines()) == 2

    # code-switching the mined table on Ray gives the local engine's output, byte for byte
    on_ray, here = tmp_path / "ray.jsonl", tmp_path / "local.jsonl"
    for engine, out in (("ray", on_ray), ("local", here)):
        done = cli("codeswitch", "--mined", output, "--threshold", "0", "--ratio", "0.5", "--seed", "7",
                   "--output", out, "--engine", engine)
        assert done.returncode == 0, done.stderr
    assert on_ray.read_bytes() == here.read_bytes()
    assert len(here.read_text().splitlines()) == mined["sentence_id"].nunique() == 287  # 300 - 12 blank - 1 bad


def _committed(parts: Path) -> int:
    return len(list(parts.glob("part-*.json")))


def _wait_for(condition, what: str, ceiling: float = 600.0) -> None:
    deadline = time.monotonic() + ceiling
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _shard_workers(driver: subprocess.Popen) -> list[psutil.Process]:
    """Ray's actor processes that mine shards for this driver's job."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "_ShardMiner" in command and process.pid != driver.pid:
            found.append(process)
    return found


def test_a_killed_worker_and_a_killed_driver_lose_and_duplicate_nothing(tmp_path, shards, local_run):
    reference, _ = local_run
    output = tmp_path / "mined.parquet"
    parts = output.with_name(output.name + ".parts")
    command = ["mine", "--model", "demo", "--targets", "de", "--input", str(shards), "--output", str(output),
               "--quiet", "--chunk-size", "2", "--engine", "ray", "--workers", "2"]
    driver = subprocess.Popen([sys.executable, "-m", "salt_core", *command], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        _wait_for(lambda: _committed(parts) >= 10, "the first committed shards")
        workers = _shard_workers(driver)
        assert workers, "no Ray worker found to kill"
        workers[0].send_signal(signal.SIGKILL)
        killed_at = _committed(parts)
        _wait_for(lambda: _committed(parts) >= killed_at + 15, "shards committed after a worker was killed")
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    committed = _committed(parts)
    assert committed < 150, "the driver must be killed part-way (150 shards in all)"
    assert not output.exists(), "the output appears only when complete"
    manifest = (parts / "manifest.json").read_bytes()

    result = cli(*command)
    assert result.returncode == 0, result.stderr
    assert not parts.exists()
    same_rows(pd.read_parquet(output), pd.read_parquet(reference))
    assert manifest  # the resumed run read the same job's manifest (a mismatch would have been refused)


def test_refusals_are_one_line_and_touch_no_output(tmp_path, shards):
    output = tmp_path / "mined.parquet"
    base = ["mine", "--model", "demo", "--targets", "de", "--input", shards, "--output", output, "--quiet",
            "--engine", "ray"]
    # an address nothing answers at
    result = cli(*base, "--address", "127.0.0.1:9")
    assert result.returncode == 2 and "cannot reach a Ray cluster at 127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()[-1:]) == 1 and "Traceback" not in result.stderr
    assert not output.exists() and not output.with_name(output.name + ".parts").exists()
    result = cli(*base, "--address", "gopher://x")
    assert result.returncode == 2 and "is not a Ray address" in result.stderr
    result = cli(*base, "--device", "cuda")  # the workers get GPUs from Ray, or none
    assert result.returncode == 2 and "--gpus-per-worker" in result.stderr

    # an interrupted run of other settings is never mixed in
    parts = output.with_name(output.name + ".parts")
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"input_sha256": "another corpus", "model": "demo"}))
    (parts / "part-000000000001.json").write_text("{}")
    result = cli(*base)
    assert result.returncode == 2 and "different input, model or settings" in result.stderr
    assert "input_sha256" in result.stderr and "--restart" in result.stderr
    assert sorted(p.name for p in parts.iterdir()) == ["manifest.json", "part-000000000001.json"]
    assert not output.exists()

    # Ray not installed: one line that says how to install it, before any model is loaded
    blocked = ("import sys; sys.modules['ray'] = None; from salt_core.cli import main; "
               f"sys.exit(main({[str(a) for a in base]!r}))")
    result = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "requirements-cluster.txt" in lines[0], result.stderr
    codeswitch = ["codeswitch", "--mined", str(output), "--output", str(tmp_path / "cs.jsonl"), "--engine", "ray"]
    result = subprocess.run([sys.executable, "-c", blocked.replace(repr([str(a) for a in base]), repr(codeswitch))],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "requirements-cluster.txt" in result.stderr
    assert not (tmp_path / "cs.jsonl").exists()
