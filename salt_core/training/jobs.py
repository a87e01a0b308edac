"""Training as a background job, for the Experiments page: started, followed, cancelled, and still there after a
page reload or a server restart, because everything about a job lives in its folder, not in the page.

A job folder (`$SALT_HOME/jobs/<id>/`, or under $SALT_JOBS) holds `command.json` (the `python -m salt_core train` arguments),
`status.json` (written by the job as it goes: stage, run, step), `log.txt` (its output), `pid` and, when it has
ended, `result.json` (exit code and the one-line message of a failure). A job that ended without a result was
cancelled (a `cancelled` marker) or stopped from outside (killed, machine restarted).
"""

from __future__ import annotations

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

from salt_core.files import atomic_write, pid_alive, salt_home


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
    with open(folder / "log.txt", "w", encoding="utf-8") as log:
        command = [sys.executable, "-m", "salt_core", "train", *args, "--job-folder", str(folder),
                   "--status-file", str(folder / "status.json"), "--quiet"]
        process = subprocess.Popen(command, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                   cwd=os.getcwd(), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    (folder / "pid").write_text(str(process.pid), encoding="utf-8")
    return read(folder)


def read(folder: Path) -> Job:
    folder = Path(folder)
    command = _read_json(folder / "command.json") or {}
    result = _read_json(folder / "result.json")
    try:
        pid = int((folder / "pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pid = -1
    if result is not None:
        state = "finished" if result.get("code") == 0 else "failed"
        message = result.get("message", "")
    elif pid > 0 and pid_alive(pid) and not _is_zombie(pid):
        state, message = "running", ""
    elif (folder / "cancelled").exists():
        state, message = "cancelled", "cancelled; run the same job again to continue where it stopped"
    else:
        state, message = "stopped", "stopped without finishing (killed, or the machine restarted); start it again " \
                                    "to continue from its last checkpoint"
    return Job(folder.name, folder, command.get("args", []), state, _read_json(folder / "status.json") or {}, message,
               command.get("started", 0.0))


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def jobs(folder: Path | None = None) -> list[Job]:
    """Every job, newest first."""
    root = Path(folder or jobs_folder())
    found = [read(p) for p in root.iterdir() if (p / "command.json").is_file()] if root.is_dir() else []
    return sorted(found, key=lambda j: j.started, reverse=True)


def cancel(job: Job) -> None:
    """Stop a running job (its process group); its finished runs stay, and the same job can be started again."""
    (job.folder / "cancelled").write_text("", encoding="utf-8")
    try:
        pid = int((job.folder / "pid").read_text(encoding="utf-8"))
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError, ProcessLookupError):
        pass


def finish(folder: Path, code: int, message: str) -> None:
    """Called by the job's own process (python -m salt_core train --job-folder F) as it ends."""
    _write_json(Path(folder) / "result.json", {"code": code, "message": message, "ended": time.time()})
