"""`python -m salt_core train` end to end with the demo model: runs out, read back, resumed, refused, distributed."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from salt_core.cli import main
from salt_core.runs.identity import ZERO_SHOT
from salt_core.training import engine
from salt_core.training.record import TRAINED_HERE, read_trained_runs
from tests.paths import ROOT, SHARED

SIB200 = SHARED / "data" / "sib200"
needs_sib200 = pytest.mark.skipif(not SIB200.is_dir(), reason="../shared/data/sib200 is not beside this checkout")
QUICK = ["--model", "demo", "--epochs", "1", "--max-train-examples", "48", "--batch-size", "16", "--quiet"]


def cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "salt_core", "train", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@needs_sib200
def test_the_demo_model_trains_on_sib200_and_its_runs_read_back(tmp_path):
    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", "baseline,salt", "--languages", "eng_Latn,deu_Latn,swh_Latn",
                 "--seeds", "1,2", "--output", out, "--keep-checkpoints", *QUICK)
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob(".work/*/checkpoint-*"))) >= 4  # kept on request (removed by default: see below)
    assert "wrote 4 runs (24 rows)" in result.stdout and "random weights" in result.stderr
    runs = read_trained_runs(out)
    assert len(runs) == 2 * 2 * 3 * 2 and (runs["origin"] == TRAINED_HERE).all()
    assert set(runs["method"]) == {ZERO_SHOT, "SALT"} and set(runs["language"]) == {"en", "de", "swh"}
    assert set(runs["metric"]) == {"accuracy", "macro-F1"} and runs["score"].between(0, 100).all()
    assert set(runs["task"]) == {"SIB-200"} and set(runs["seed"]) == {1, 2}
    assert runs["notes"].str.contains("204 test examples").all()
    assert runs["protocol"].str.contains("zero-shot from eng_Latn").all()
    salt = runs[runs["method"] == "SALT"]
    # by default every evaluated language the rules give a vocabulary, SIB-200's swh_Latn too (registry "sw")
    assert salt["protocol"].str.contains("code-switched into de,sw from the mlm miner").all()
    # the same command again: every run is found finished and nothing is trained twice
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.csv")}
    again = cli("--data", SIB200, "--methods", "baseline,salt", "--languages", "eng_Latn,deu_Latn,swh_Latn",
                "--seeds", "1,2", "--output", out, *QUICK)
    assert again.returncode == 0 and {p.name: p.stat().st_mtime_ns for p in out.glob("*.csv")} == stamps
    shutil.rmtree(out / ".work")
    other = tmp_path / "other"
    assert cli("--data", SIB200, "--methods", "baseline", "--languages", "eng_Latn", "--seeds", "1", "--output", other,
               *QUICK).returncode == 0
    assert not list(other.glob(".work/*/checkpoint-*"))  # a finished run's checkpoints are removed


@needs_sib200
def test_low_resource_languages_are_code_switched_into_end_to_end(tmp_path):
    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", "salt", "--languages", "eng_Latn,yor_Latn,wol_Latn,deu_Latn",
                 "--augment-languages", "yor_Latn,wol_Latn", "--seeds", "1", "--output", out, *QUICK)
    assert result.returncode == 0, result.stderr
    runs = read_trained_runs(out)
    assert set(runs["language"]) == {"en", "yo", "wo", "de"}
    assert runs["protocol"].str.contains("code-switched into yo,wo from the mlm miner").all()


def test_default_augmentation_languages_span_the_resource_levels():
    from salt_core.runs.facets import resource_levels
    from salt_core.training.plan import augmentation_languages

    evaluated = ["en", "de", "fr", "es", "ru", "zh", "ja", "it", "pt", "nl", "is", "hy", "sw", "am", "yo", "wo", "quy"]
    chosen, notes = augmentation_languages((), evaluated, "en", cap=8)
    levels = resource_levels(chosen)
    assert len(chosen) == 8 and "en" not in chosen
    assert {"high", "mid", "low", "absent"} <= set(levels.values()), levels  # not the first eight listed
    assert chosen[:4] == ["de", "is", "sw", "yo"]  # in turn: high, mid, low, absent, each in the order given
    assert any("augmenting 8 of 16" in note for note in notes)
    assert resource_levels(["de", "sw", "quy"]) == {"de": "high", "sw": "low", "quy": "absent"}


@needs_sib200
@pytest.mark.parametrize("args, message", [
    (["--languages", "eng_Latn,ewe_Latn", "--methods", "salt", "--augment-languages", "ewe_Latn"],
     "Ewe (ee) is written in Latin"),
    (["--languages", "eng_Latn,yor_Latn", "--methods", "salt", "--augment-languages", "tlh"],
     "Klingon (tlh) is not one of the 205 FLORES-200 languages"),
    (["--languages", "eng_Latn,xxx_Latn"], "SIB-200 has no xxx_Latn"),
    (["--languages", "eng_Latn,fra_Latn", "--methods", "baseline,magic"], "Unknown method magic"),
    (["--languages", "eng_Latn", "--methods", "dictionary-codeswitch"], "needs --dictionary"),
])
def test_bad_requests_are_one_line_before_any_training(capsys, tmp_path, args, message):
    out = tmp_path / "runs"
    code = main(["train", "--data", str(SIB200), "--output", str(out), *QUICK, *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and message in err[-1] and err[-1].startswith("error:")
    assert not list(out.glob("*.csv")) if out.exists() else True


def test_a_masked_lm_method_refuses_a_headless_model(capsys, tmp_path, e5):
    import salt_core.models.loading as loading

    table = tmp_path / "task.csv"
    table.write_text("text,label,language,split\nA dog.,a,en,train\nA cat.,b,en,train\nA dog.,a,en,dev\n"
                     "A dog.,a,en,test\nEin Hund.,a,de,test\n", encoding="utf-8")
    real = loading.load_masked_lm
    loading.load_masked_lm = lambda name, **_: e5
    try:
        code = main(["train", "--model", "e5-small-offline", "--data", str(table), "--methods", "salt", "--miner", "mlm",
                     "--output", str(tmp_path / "runs"), "--quiet"])
    finally:
        loading.load_masked_lm = real
    err = capsys.readouterr().err
    assert code == 2 and "has no trained masked-LM head" in err and "--miner similarity" in err
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").glob("*.csv"))


def test_bad_task_data_is_one_line(capsys, tmp_path):
    table = tmp_path / "task.csv"
    table.write_text("text,label,language,split\nA dog.,a,en,train\nA dog.,zzz,en,test\n", encoding="utf-8")
    code = main(["train", "--data", str(table), "--output", str(tmp_path / "runs"), *QUICK])
    assert code == 2 and "line 3: label 'zzz' never appears in a training split" in capsys.readouterr().err


@needs_sib200
def test_a_full_disk_leaves_no_half_written_run(capsys, tmp_path, monkeypatch):
    import salt_core.training.record as record

    def full(path, write):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(record, "atomic_write", full)
    out = tmp_path / "runs"
    code = main(["train", "--data", str(SIB200), "--methods", "baseline", "--languages", "eng_Latn", "--seeds", "1",
                 "--output", str(out), *QUICK])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: No space left on device")
    assert not list(out.glob("*.csv"))


LEARNABLE_WORDS = {"a": ["river", "water", "lake", "rain"], "b": ["school", "teacher", "book", "class"]}


def learnable_task(folder):
    """A task a tiny random model can learn: the label is which word family a sentence names (also in German, the
    same words: a check of the machinery, not of transfer)."""
    rows = []
    for split, n in (("train", 96), ("dev", 24), ("test", 40)):
        for i in range(n):
            label = "ab"[i % 2]
            word = LEARNABLE_WORDS[label][(i // 2) % 4]
            for language in (("en", "de") if split == "test" else ("en",)):
                rows.append({"text": f"Here the {word} is {i}.", "label": label, "language": language, "split": split,
                             "id": f"{split}{i}"})
    path = folder / "learnable.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_two_processes_under_torchrun_match_one(tmp_path):
    torchrun = shutil.which("torchrun") or str(ROOT / "missing")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun is not installed with torch here")
    data = learnable_task(tmp_path)
    common = ["--model", "demo", "--data", str(data), "--methods", "baseline", "--seeds", "1", "--epochs", "8",
              "--learning-rate", "0.002", "--batch-size", "16", "--warmup", "0", "--train-embeddings", "--quiet"]
    one = subprocess.run([sys.executable, "-m", "salt_core", "train", *common, "--output", str(tmp_path / "one")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-3000:]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    two = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "salt_core", "train", *common,
                          "--output", str(tmp_path / "two")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env=env)
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = read_trained_runs(tmp_path / "one"), read_trained_runs(tmp_path / "two")
    assert len(a) == len(b) == 4  # one run file, written once (by the main process), 2 languages x 2 metrics
    a, b = (frame.set_index(["language", "metric"])["score"].sort_index() for frame in (a, b))
    assert a.min() >= 90  # it learned: the comparison below is between two trained models, not two coin flips
    assert (a - b).abs().max() <= 5.0  # different data order (DistributedSampler), same global batch: a tolerance


@needs_sib200
def test_kill_minus_9_mid_training_resumes_from_the_last_whole_checkpoint_and_gives_the_same_result(tmp_path):
    args = ["--model", "demo", "--data", str(SIB200), "--methods", "salt-mixup", "--languages", "eng_Latn,deu_Latn",
            "--seeds", "7", "--epochs", "4", "--batch-size", "8", "--max-train-examples", "320", "--quiet",
            "--keep-checkpoints"]
    reference = cli(*args, "--output", tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr[-3000:]
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "salt_core", "train", *args, "--output", str(out)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(out.glob(".work/*/checkpoint-*/trainer_state.json")):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    checkpoints = list(out.glob(".work/*/checkpoint-*"))
    assert checkpoints and not list(out.glob("*.csv")), "the run must be killed after a checkpoint, before its end"
    # A kill while the next checkpoint is written leaves its weights without the trainer_state.json written last
    # (what a busy machine's CI hit): the Trainer alone would load those weights and silently restart at step 0.
    latest = max(checkpoints, key=lambda c: int(c.name.split("-")[1]))
    partial = latest.with_name(f"checkpoint-{int(latest.name.split('-')[1]) + 40}")
    shutil.copytree(latest, partial)
    (partial / "trainer_state.json").unlink()
    (partial / "rng_state.pth").unlink(missing_ok=True)
    resumed = cli(*args, "--output", out)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = read_trained_runs(tmp_path / "reference"), read_trained_runs(out)
    a, b = (frame.set_index(["language", "metric"])["score"].sort_index() for frame in (a, b))
    assert (a - b).abs().max() <= 1e-6  # same seed, RNG and optimizer restored: the same result
    # the resumed run says so, and from where: its wall time covers only the part after the checkpoint
    whole, part = (json.loads(next(f.glob("*.details.json")).read_text()) for f in (tmp_path / "reference", out))
    assert whole["resumed_from_step"] is None and part["resumed_from_step"] == int(latest.name.split("-")[1])
    # The demo model's scores barely move; each epoch's dev loss shows any difference in what was trained.
    losses = [[e["eval_loss"] for e in json.loads(max(folder.glob(".work/*/checkpoint-*/trainer_state.json"),
              key=lambda f: int(f.parent.name.split("-")[1])).read_text())["log_history"] if "eval_loss" in e]
              for folder in (tmp_path / "reference", out)]
    assert len(losses[0]) == engine.EVALUATIONS and losses[0] == pytest.approx(losses[1], abs=1e-6)
