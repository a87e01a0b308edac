"""Training as a background job, for the Experiments page: started, followed, cancelled, and still there after a
page reload or a server restart, because everything about a job lives in its folder, not in the page.

A job folder (`$SALT_HOME/jobs/<id>/`, or under $SALT_JOBS) holds `command.json` (the `python -m salt_core train` arguments),
`status.json` (written by the job as it goes: stage, run, step), `log.txt` (its output), `pid`, `alive.lock`
(flock-ed by the job's process while it lives: "running" means exactly that) and, when it has
ended, `result.json` (exit code and the one-line message of a failure). A job that ended without a result was
cancelled (a `cancelled` marker) or stopped from outside (killed, machine restarted).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from salt_core.files import atomic_write, salt_home


def default_runs_folder() -> Path:
    """Where trained runs go unless told otherwise, and where the Scaling page looks for them."""
    return Path(os.environ.get("SALT_RUNS", salt_home() / "runs"))


def jobs_folder() -> Path:
    return Path(os.environ.get("SALT_JOBS", salt_home() / "jobs"))


def _write_json(path: Path, value) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(value, default=str), encoding="utf-8"))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def status_writer(path: Path | None, every: float = 0.5) -> Callable[[dict], None] | None:
    """A progress callback that writes the latest status to `path` (at most every `every` seconds, and always
    when a stage changes)."""
    if path is None:
        return None
    last = {"time": 0.0, "stage": None}

    def write(status: dict) -> None:
        now = time.monotonic()
        if status.get("stage") == last["stage"] and now - last["time"] < every:
            return
        last.update(time=now, stage=status.get("stage"))
        _write_json(Path(path), status | {"updated": time.time()})

    return write


@dataclass
class Job:
    id: str
    folder: Path
    args: list[str]
    state: str  # "running", "finished", "failed", "cancelled", "stopped"
    status: dict
    message: str  # a failure's one line, or ""
    started: float

    @property
    def fraction(self) -> float:
        """How far the job is: finished runs plus the current run's share of its steps."""
        total = self.status.get("runs_total") or 0
        if self.state == "finished":
            return 1.0
        if not total:
            return 0.0
        steps = self.status.get("steps") or 0
        current = (self.status.get("step") or 0) / steps if steps else 0.0
        return min(1.0, (self.status.get("runs_done", 0) + current) / total)


def start(args: list[str], folder: Path | None = None) -> Job:
    """Start `python -m salt_core train <args>` in its own process group, detached from the caller."""
    job_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    folder = Path(folder or jobs_folder()) / job_id
    folder.mkdir(parents=True)
    _write_json(folder / "command.json", {"args": args, "started": time.time()})
    alive = os.open(folder / ALIVE, os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(alive, fcntl.LOCK_EX)  # taken here and inherited: the job holds it from its first instant
    try:
        with open(folder / "log.txt", "w", encoding="utf-8") as log:
            command = [sys.executable, "-m", "salt_core", "train", *args, "--job-folder", str(folder),
                       "--status-file", str(folder / "status.json"), "--quiet"]
            process = subprocess.Popen(command, stdout=log, pass_fds=(alive,),
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                       cwd=os.getcwd(), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(alive)  # the child's copy keeps the lock until it (and every process it forked) has ended
    (folder / "pid").write_text(str(process.pid), encoding="utf-8")
    return read(folder)


ALIVE = "alive.lock"  # flock-ed by the job's process for its whole life; free the moment it dies


def _running(folder: Path) -> bool:
    """Whether a job's process still holds its lock (a pid can be reused after a reboot; a lock cannot outlive its
    holder)."""
    try:
        handle = os.open(Path(folder) / ALIVE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)  # closing releases the shared lock taken just to look
    return False


def read(folder: Path) -> Job:
    folder = Path(folder)
    command = _read_json(folder / "command.json") or {}
    result = _read_json(folder / "result.json")
    if result is not None:
        state = "finished" if result.get("code") == 0 else "failed"
        message = result.get("message", "")
    elif _running(folder):
        state, message = "running", ""
    elif (folder / "cancelled").exists():
        state, message = "cancelled", "cancelled; run the same job again to continue where it stopped"
    else:
        state, message = "stopped", "stopped without finishing (killed, or the machine restarted); start it again " \
                                    "to continue from its last checkpoint"
    return Job(folder.name, folder, command.get("args", []), state, _read_json(folder / "status.json") or {}, message,
               command.get("started", 0.0))


def jobs(folder: Path | None = None) -> list[Job]:
    """Every job, newest first."""
    root = Path(folder or jobs_folder())
    found = [read(p) for p in root.iterdir() if (p / "command.json").is_file()] if root.is_dir() else []
    return sorted(found, key=lambda j: j.started, reverse=True)


def cancel(job: Job) -> None:
    """Stop a running job (its process group); its finished runs stay, and the same job can be started again.
    Only a job whose process still holds its lock is signalled: a pid of a job that ended may belong to another
    process by now."""
    if not _running(job.folder):
        return
    (job.folder / "cancelled").write_text("", encoding="utf-8")
    try:
        pid = int((job.folder / "pid").read_text(encoding="utf-8"))
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError, ProcessLookupError):
        pass


def finish(folder: Path, code: int, message: str) -> None:
    """Called by the job's own process (python -m salt_core train --job-folder F) as it ends."""
    _write_json(Path(folder) / "result.json", {"code": code, "message": message, "ended": time.time()})
