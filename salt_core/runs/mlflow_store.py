"""MLflow runs as MLflow itself reads them: any tracking URI a researcher has (a SQLite file or `sqlite:///` URI, the
default backend of mlflow 3; a file store, `mlruns/`; an `http(s)://` tracking server), through `MlflowClient`.

mlflow is an optional extra (`pip install -r requirements-mlflow.txt`). Without it only a file store can be read,
by a small reader of its layout that honours `lifecycle_stage` as MLflow does. Runs their owner deleted (and the
runs of deleted experiments) are never imported. A metric's value is the one MLflow calls latest: the last step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from salt_core.errors import InputError

ACCURACY = ("eval_accuracy", "accuracy", "test_accuracy", "eval_acc")
URI = re.compile(r"^(sqlite|file|https?)://", re.IGNORECASE)
SQLITE_HEADER = b"SQLite format 3\x00"
INSTALL = "pip install -r requirements-mlflow.txt"


@dataclass
class MlflowRun:
    run_id: str
    experiment: str
    params: dict[str, str]
    metrics: dict[str, float]  # the latest value of each metric (its last step)
    name: str | None


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("mlflow") is not None


def is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_HEADER
    except OSError:
        return False


def tracking_uri(location: str | Path) -> str:
    """The tracking URI of a store given as a URI, a SQLite file or a file-store folder."""
    text = str(location)
    if URI.match(text):
        return text
    path = Path(location).resolve()
    if path.is_file() and is_sqlite(path):
        return f"sqlite:///{path}"
    if path.is_dir():
        databases = [p for p in sorted(path.glob("*.db")) if is_sqlite(p)]
        if databases and not any((path / name).is_dir() for name in ("mlruns", "0")):
            return f"sqlite:///{databases[0]}"
        return _store_root(path).as_uri()
    raise InputError(f"{location} is neither an MLflow tracking URI, a SQLite store nor an mlruns folder.")


def _store_root(path: Path) -> Path:
    """The file store inside a folder: an `mlruns` folder (the shallowest), else the folder whose
    <experiment>/<run>/metrics lie below it; never through a symbolic link."""
    found = None
    for folder, subfolders, _ in os.walk(path, followlinks=False):
        subfolders[:] = sorted(s for s in subfolders if not (Path(folder) / s).is_symlink())
        if Path(folder).name == "mlruns":
            return Path(folder)
        if found is None and Path(folder).name == "metrics":
            found = Path(folder).parents[2]
    return found or path


@contextmanager
def _file_store_allowed() -> Iterator[None]:
    """mlflow 3 refuses file stores unless MLFLOW_ALLOW_FILE_STORE is set; reading one is what the user asked."""
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


CLIENT, READER = "MLflow's client", "the file-store reader"


def read_runs(location: str | Path) -> tuple[list[MlflowRun], str]:
    """Every active run of every active experiment in the store, and what read them (mlflow's client when
    installed; the layout reader for file stores otherwise)."""
    uri = tracking_uri(location)
    if available():
        found = _read_with_mlflow(uri)
        if found or not uri.startswith("file://"):
            return found, CLIENT
        # mlflow lists no experiment whose meta.yaml is missing: a run folder copied out of a store without its
        # experiment's meta.yaml (as public repositories often hold them) is read by the layout reader instead
        return _read_file_store(Path(uri.removeprefix("file://"))), READER + " (MLflow's client found no experiment)"
    if uri.startswith("file://"):
        return _read_file_store(Path(uri.removeprefix("file://"))), READER + " (mlflow is not installed)"
    raise InputError(f"Reading {location} (an MLflow {uri.split(':', 1)[0]} store) needs mlflow: {INSTALL}.")


def _read_with_mlflow(uri: str) -> list[MlflowRun]:
    try:
        from mlflow.entities import ViewType
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError as exc:  # an optional extra: a message, never a traceback
        raise InputError(f"Reading {uri} needs mlflow: {INSTALL}.") from exc

    runs = []
    try:
        with _file_store_allowed():
            client = MlflowClient(tracking_uri=uri)
            experiments = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)}
            token = None
            while experiments:
                page = client.search_runs(list(experiments), run_view_type=ViewType.ACTIVE_ONLY, max_results=1000,
                                          page_token=token)
                for run in page:
                    runs.append(MlflowRun(run.info.run_id, experiments.get(run.info.experiment_id, "?"),
                                          dict(run.data.params), dict(run.data.metrics),
                                          run.data.tags.get("mlflow.runName")))
                token = page.token
                if not token:
                    break
    except MlflowException as exc:
        raise InputError(f"MLflow could not read {uri}: {str(exc).splitlines()[0][:300]}") from exc
    return runs


def _meta(folder: Path) -> dict[str, str]:
    """The flat `key: value` lines of a file store's meta.yaml (all the reader needs; no YAML parser)."""
    try:
        text = (folder / "meta.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {key.strip(): value.strip().strip("'\"") for key, _, value in
            (line.partition(":") for line in text.splitlines() if ":" in line and not line.startswith(" "))}


def _small(path: Path, limit: int = 1_000_000) -> str | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
        return None
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _latest(text: str | None) -> float | None:
    """A file store metric's latest value: lines of `timestamp value step`; the highest step, then the latest."""
    best = None
    for line in (text or "").splitlines():
        parts = line.split()
        try:
            key, value = (int(parts[2]) if len(parts) > 2 else 0, int(parts[0])), float(parts[1])
        except (IndexError, ValueError):
            continue
        if best is None or key >= best[0]:
            best = (key, value)
    return None if best is None else best[1]


def _read_file_store(root: Path) -> list[MlflowRun]:
    """The file store's layout: <experiment>/meta.yaml, <experiment>/<run>/{meta.yaml,params,metrics,tags}."""
    runs = []
    for experiment in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        meta = _meta(experiment)
        if meta.get("lifecycle_stage") == "deleted" or (root / ".trash" / experiment.name).exists():
            continue
        for run in sorted(p for p in experiment.iterdir() if (p / "metrics").is_dir() and not p.is_symlink()):
            if _meta(run).get("lifecycle_stage", "active") != "active":
                continue
            params = {p.name: _small(p) or "" for p in (run / "params").glob("*")} if (run / "params").is_dir() \
                else {}
            metrics = {p.name: value for p in (run / "metrics").iterdir()
                       if not p.is_symlink() and (value := _latest(_small(p))) is not None}
            runs.append(MlflowRun(run.name, meta.get("name", experiment.name), params, metrics,
                                  _small(run / "tags" / "mlflow.runName", 1000)))
    return runs
