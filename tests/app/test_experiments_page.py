"""The Experiments page: a job started from the page runs in the background, survives a new session (a reload),
ends with its runs listed; a cancelled job says so; a form with gaps gets a message, never a job."""

import time

import pytest

from salt_core.training import jobs
from tests.app.helpers import open_page


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SALT_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SALT_JOBS", str(tmp_path / "jobs"))
    return tmp_path


def task_table(folder, n=24):
    rows = ["text,label,language,split"]
    for split, count in (("train", n), ("dev", 8), ("test", 8)):
        for i in range(count):
            rows.append(f"The river number {i} is wide.,{'ab'[i % 2]},en,{split}")
            if split == "test":
                rows.append(f"Der Fluss Nummer {i} ist breit.,{'ab'[i % 2]},de,{split}")
    path = folder / "task.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def wait_for(condition, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_a_form_with_gaps_gets_a_message_and_starts_nothing(folders):
    at = open_page("pages/experiments.py")
    assert not at.exception and not at.error
    at.button[0].click().run()  # the form's submit button, with no data named
    assert any("name the task data" in e.value for e in at.error)
    assert jobs.jobs() == []


def test_a_job_runs_in_the_background_and_its_runs_are_listed(folders):
    at = open_page("pages/experiments.py")
    at.text_input(key="ex_data").set_value(str(task_table(folders)))
    at.text_input(key="ex_languages").set_value("en,de")
    at.text_input(key="ex_seeds").set_value("1")
    at.number_input(key="ex_epochs").set_value(1.0)
    at.text_input(key="ex_augment").set_value("deu_Latn")
    at.button[0].click().run()
    assert not at.exception and not at.error
    [job] = jobs.jobs()
    assert "--model demo" in " ".join(job.args) and "--methods baseline,salt" in " ".join(job.args)
    assert "--augment-languages deu_Latn --max-augment-languages 8" in " ".join(job.args)
    assert wait_for(lambda: jobs.read(job.folder).state != "running"), "the job did not end"
    assert jobs.read(job.folder).state == "finished", (job.folder / "log.txt").read_text()[-2000:]
    again = open_page("pages/experiments.py")  # a new session: what a reload gets
    assert not again.exception
    assert any("Finished: 2 runs written" in s.value for s in again.success)
    summary = next(d.value for d in again.dataframe if "mean_accuracy" in d.value.columns)
    assert set(summary["method"]) == {"zero-shot transfer (fine-tuned on English)", "SALT"}
    assert (summary["languages"] == 2).all()
    # every run's learning curve is kept and drawn: training loss and source-dev accuracy, the same step budget
    figure = next(c for c in again.get("plotly_chart") if "source-dev accuracy" in c.proto.spec)
    assert "training loss" in figure.proto.spec and "chosen checkpoint" in figure.proto.spec
    from salt_core.training.record import read_learning_curves

    curves = read_learning_curves(jobs.default_runs_folder())
    assert set(curves["method"]) == {"baseline", "salt"} and set(curves["curve"]) == {"training loss",
                                                                                          "source-dev accuracy"}
    assert curves.groupby("method")["step"].max().nunique() == 1  # compute matched: the same last step


def test_a_failed_job_shows_its_one_line_and_a_cancelled_one_says_so(folders):
    failed = jobs.start(["--model", "demo", "--data", str(folders / "nothing-here"), "--quiet"])
    assert wait_for(lambda: jobs.read(failed.folder).state != "running")
    failed = jobs.read(failed.folder)
    assert failed.state == "failed" and "is neither a folder, a table file" in failed.message
    slow = jobs.start(["--model", "demo", "--data", str(task_table(folders, 2000)), "--epochs", "20", "--quiet",
                       "--output", str(folders / "runs")])
    assert wait_for(lambda: (slow.folder / "status.json").exists(), 120)
    jobs.cancel(jobs.read(slow.folder))
    assert wait_for(lambda: jobs.read(slow.folder).state != "running", 60)
    assert jobs.read(slow.folder).state == "cancelled"
    at = open_page("pages/experiments.py")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "cancelled" in warnings and "is neither a folder" in warnings
