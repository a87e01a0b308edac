"""Files: the shared readers and writers."""

from pathlib import Path


def test_byte_identical_files_are_one_file():
    from salt_core.files import first_of_each_content

    kept, twins = first_of_each_content([("a.json", b"x"), ("b.json", b"y"), ("a copy.json", b"x"), ("c", b"x")])
    assert kept == [0, 1] and twins == [("a copy.json", "a.json"), ("c", "a.json")]


BUILDER = """
import sys, time
from salt_core.files import build_lock
with build_lock(sys.argv[1]):
    print("in", time.monotonic(), flush=True)
    time.sleep(0.6)
    print("out", time.monotonic(), flush=True)
"""


def test_build_lock_lets_one_process_and_one_thread_build_at_a_time(tmp_path):
    import subprocess
    import sys
    import threading
    import time

    from salt_core.files import build_lock
    from tests.paths import ROOT

    folder = tmp_path / "model"
    runs = [subprocess.Popen([sys.executable, "-c", BUILDER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True) for _ in range(3)]
    spans = []
    for run in runs:
        out, _ = run.communicate(timeout=120)
        times = dict(line.split() for line in out.splitlines())
        spans.append((float(times["in"]), float(times["out"])))
    spans.sort()
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:])), spans

    inside, most = [0], [0]

    def build():
        with build_lock(folder):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            inside[0] -= 1

    threads = [threading.Thread(target=build) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert most[0] == 1


def test_a_rebuilt_folder_is_never_emptied_in_place(tmp_path, monkeypatch):
    """Replacing a built folder moves the old one aside before deleting it: a reader that opens files by path
    (from_pretrained) gets the old files or the new ones, never a folder losing files one by one (which once
    gave a 5-entry tokenizer: config.json read, tokenizer.json already deleted)."""
    import shutil

    import salt_core.files as files

    folder = tmp_path / "model"
    deleted, real_rmtree = [], shutil.rmtree

    def watched_rmtree(path, *args, **kwargs):
        deleted.append(Path(path))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(files.shutil, "rmtree", watched_rmtree)

    def write(version):
        return lambda staging: (staging / "config.json").write_text(version)

    files.build_folder(folder, write("1"))
    files.build_folder(folder, write("2"))
    assert (folder / "config.json").read_text() == "2"
    assert folder not in deleted and all(folder not in path.parents for path in deleted), deleted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # the old folder is gone all the same


def _race_for_the_lock(output, barrier, spans):
    import time

    from salt_core.errors import InputError
    from salt_core.files import output_lock

    barrier.wait()
    try:
        with output_lock(output):
            start = time.monotonic()
            time.sleep(0.05)
            spans.put((start, time.monotonic()))
    except InputError as exc:
        spans.put(("refused", "being written by another process" in str(exc)))


def test_two_writers_racing_for_a_stale_lock_never_both_hold_it_50_times(tmp_path):
    """A killed writer leaves its lock file; two writers that find it at the same moment used to both take it over
    (each unlinked it and made its own). With the operating system's lock exactly one holds it at a time."""
    import json
    import multiprocessing

    context = multiprocessing.get_context("fork")
    output = tmp_path / "out.parquet"
    lock = output.with_name(output.name + ".lock")
    for _ in range(50):
        lock.write_text(json.dumps({"pid": 2**22 + 12345, "host": "here", "started": "long ago"}))
        barrier, spans = context.Barrier(3), context.Queue()
        writers = [context.Process(target=_race_for_the_lock, args=(output, barrier, spans)) for _ in range(3)]
        [w.start() for w in writers]
        [w.join(60) for w in writers]
        results = [spans.get(timeout=5) for _ in writers]
        held = sorted(r for r in results if r[0] != "refused")
        assert held, results  # someone got it
        assert all(ok for kind, ok in results if kind == "refused"), results  # refused with the message
        assert all(a[1] <= b[0] for a, b in zip(held, held[1:])), held  # never two at once
        assert not lock.exists()  # the last holder removed it
