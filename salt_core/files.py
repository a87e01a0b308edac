"""Files on disk: read as text with line numbers users see, written atomically, guarded by a writer's lock.

Every writer in the project goes through here, so an output is complete or absent, never half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError

try:
    import fcntl
except ImportError:  # not POSIX: the thread lock alone (one process)
    fcntl = None


def salt_home() -> Path:
    """Where the project keeps what it builds and writes: $SALT_HOME, else ~/.cache/salt-explorer."""
    return Path(os.environ.get("SALT_HOME", Path.home() / ".cache" / "salt-explorer"))


def build_folder(folder: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a sibling temporary folder, then rename it into place (replacing an older `folder`).

    An interrupted build leaves the old folder (or none), never a half-written one. An older folder is renamed
    aside before the new one takes its place, so a reader sees the old folder, the new one, or none for a moment,
    never the old one emptying file by file. Builders that several threads or processes may start at once take
    `build_lock(folder)` and look again inside it (see ensure_offline_model).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    retired = None
    try:
        write(staging)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=folder.name + ".old.", dir=folder.parent))
            os.replace(folder, retired / folder.name)
        os.replace(staging, folder)
    finally:
        for leftover in (staging, retired):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return folder


_BUILD_LOCKS: dict[str, threading.Lock] = {}
_BUILD_LOCKS_GUARD = threading.Lock()


@contextmanager
def build_lock(folder: str | os.PathLike):
    """Hold an exclusive lock on building `folder`: one thread of this process and one process on this machine
    at a time (a thread lock, then flock on `<folder>.lock`, which the kernel releases when its holder dies, so a
    crashed builder never leaves it taken). Two Streamlit sessions on a new SALT_HOME once built the offline model
    side by side, and one loaded its tokenizer while the other replaced the folder: a 5-entry tokenizer."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _BUILD_LOCKS_GUARD:
        local = _BUILD_LOCKS.setdefault(str(folder.resolve()), threading.Lock())
    with local, open(folder.with_name(folder.name + ".lock"), "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped), or an InputError that says where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (first undecodable byte at offset {exc.start}). "
                         "Save it as UTF-8 and upload it again.") from exc


def lines(text: str) -> list[str]:
    """Lines split on "\\n" only (a trailing "\\r" dropped): U+2028, NEL and form feed inside a line are
    text, not line breaks, so line numbers match what an editor shows and valid JSON lines stay whole."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [part[:-1] if part.endswith("\r") else part for part in parts]


def jsonl_records(text: str):
    """(line number, object, None) for each non-blank line of JSON Lines text, or (line number, None, why) for a
    line that is not valid JSON: the caller decides whether a bad line costs the line or the file."""
    for number, line in enumerate(lines(text), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg})"


@contextmanager
def output_lock(path: Path, inputs: tuple[Path, ...] = ()):
    """Hold `<path>.lock` while writing `path`: the operating system's lock (flock), so it is free the moment its
    holder dies, and two writers can never both hold it. The file names its holder (pid, host, start) for the
    message a second writer gets; a file left by a writer that died is taken over, and the takeover is reported. An
    output that is one of the inputs, or a folder, is refused before anything is written.
    """
    path = Path(path)
    resolved = path.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == resolved:
            raise InputError(f"{path} is also an input: choose another output file, nothing was written.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name for the output.")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    for _ in range(20):
        handle = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _lock_owner(handle)
            os.close(handle)
            pid = owner.get("pid", "?")
            raise InputError(f"{path} is being written by another process (pid {pid}, since "
                             f"{owner.get('started', '?')}). Wait for it to finish, or stop it, then run "
                             "this again; nothing was written.") from None
        try:
            same = os.path.samestat(os.fstat(handle), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:  # not a file its last holder unlinked while this writer waited to lock it
            break
        os.close(handle)
    else:
        raise InputError(f"Could not take the lock {lock}; remove it if no other process is writing {path}.")
    if _lock_owner(handle):
        print(f"note: {lock} was left by a writer that no longer runs; taking it over", file=sys.stderr)
    os.ftruncate(handle, 0)
    os.pwrite(handle, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode("utf-8"), 0)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)  # while still held: a writer that opened it meanwhile sees another inode
        os.close(handle)


def _lock_owner(handle: int) -> dict:
    try:
        owner = json.loads(os.pread(handle, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary sibling of `path`, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet or CSV (by suffix), atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputError(f"{path}: write .parquet or .csv.")
    plain = frame.copy()
    plain.attrs = {}
    atomic_write(path, (lambda tmp: plain.to_parquet(tmp, index=False)) if suffix == ".parquet"
                 else (lambda tmp: plain.to_csv(tmp, index=False)))


def read_table(path: Path) -> pd.DataFrame:
    """Read a Parquet or CSV table, or a folder of Parquet shards (never a pickle)."""
    suffix = Path(path).suffix.lower()
    if Path(path).is_dir() and any(Path(path).glob("*.parquet")):
        suffix = ".parquet"
    elif not Path(path).is_file():
        raise InputError(f"{path} does not exist.")
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file, not our bug
        raise InputError(f"{path} could not be read as {suffix[1:]}: {exc}") from exc
    raise InputError(f"{path}: read .parquet or .csv.")


def first_of_each_content(items: list[tuple[str, bytes]]) -> tuple[list[int], list[tuple[str, str]]]:
    """For named files, the indices of the first file of each distinct content, and (name, name of its twin)
    for every later byte-identical copy: the same file uploaded twice under two names is one file."""
    import hashlib

    first: dict[str, str] = {}
    kept, twins = [], []
    for index, (name, data) in enumerate(items):
        digest = hashlib.sha256(data).hexdigest()
        if digest in first:
            twins.append((name, first[digest]))
        else:
            first[digest] = name
            kept.append(index)
    return kept, twins
