"""A background job is "running" exactly while its process holds the job's lock; cancel signals only that process."""

import json
import os
import signal
import subprocess
import sys
import time

from salt_core.training import jobs


def _job_folder(tmp_path, pid: int):
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "command.json").write_text(json.dumps({"args": [], "started": time.time()}))
    (folder / "pid").write_text(str(pid))
    return folder


def test_a_live_process_under_the_jobs_old_pid_is_not_the_job_and_is_never_signalled(tmp_path):
    # after a reboot (or pid wrap-around) the job's pid can name an unrelated process: it holds no lock
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        folder = _job_folder(tmp_path, stranger.pid)
        (folder / jobs.ALIVE).write_text("")
        job = jobs.read(folder)
        assert job.state == "stopped"
        jobs.cancel(job)
        time.sleep(0.3)
        assert stranger.poll() is None  # still alive: nothing was sent to it
        assert not (folder / "cancelled").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_job_is_running_while_its_process_lives_and_stopped_the_moment_it_is_killed(tmp_path, monkeypatch):
    monkeypatch.setenv("SALT_JOBS", str(tmp_path / "jobs"))
    monkeypatch.setattr(jobs.sys, "executable", sys.executable)
    # a job whose command sleeps: `python -m salt_core train` with arguments it refuses would end at once, so the
    # test starts the job machinery on a stand-in command instead
    real_popen = subprocess.Popen

    def sleeper(command, **kwargs):
        return real_popen([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs)

    monkeypatch.setattr(jobs.subprocess, "Popen", sleeper)
    job = jobs.start(["--model", "demo"])
    assert jobs.read(job.folder).state == "running"  # from its first instant: the lock was taken before the spawn
    pid = int((job.folder / "pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and jobs.read(job.folder).state == "running":
        time.sleep(0.05)
    state = jobs.read(job.folder).state
    os.waitpid(pid, 0)
    assert state == "stopped"
