"""MLflow stores written by mlflow itself (tests/fixtures/real/mlflow/make_stores.py, mlflow 3.17.2): the SQLite
backend mlflow uses by default and a file store, each with a deleted run and a run with three evaluation steps."""

import zipfile

import pytest

from salt_core.errors import InputError
from salt_core.runs import mlflow_store
from salt_core.runs.importers import load_bytes, load_runs
from tests.paths import REAL

STORES = REAL / "mlflow"
EXPECTED = {("de", 72.0), ("sw", 55.0)}  # de: the last of 0.61, 0.70, 0.72; fr (11.1) was deleted


def scores(result) -> set:
    return set(zip(result.runs["language"], result.runs["score"].round(1)))


def database(tmp_path):
    with zipfile.ZipFile(STORES / "mlflow-db.zip") as archive:
        archive.extractall(tmp_path)
    return tmp_path / "mlflow.db"


@pytest.fixture
def with_mlflow():
    pytest.importorskip("mlflow", reason="the optional MLflow extra (requirements-mlflow.txt)")


def test_a_sqlite_store_by_file_by_uri_and_zipped(with_mlflow, tmp_path):
    db = database(tmp_path)
    for result in (load_runs(db), load_runs(f"sqlite:///{db}"), load_bytes(db.read_bytes(), "mlflow.db"),
                   load_bytes((STORES / "mlflow-db.zip").read_bytes(), "mlflow-db.zip")):
        assert scores(result) == EXPECTED  # the deleted run is never imported
        assert set(result.runs["task"]) == {"SIB-200"} and set(result.runs["method"]) == {"SALT"}
        assert any("read by MLflow's client" in m and "last step" in m for m in result.messages)


def test_a_file_store_through_mlflow_and_through_the_reader_used_without_it(with_mlflow, tmp_path, monkeypatch):
    with zipfile.ZipFile(STORES / "mlruns.zip") as archive:
        archive.extractall(tmp_path)
    assert scores(load_runs(tmp_path / "mlruns")) == EXPECTED
    assert scores(load_bytes((STORES / "mlruns.zip").read_bytes(), "mlruns.zip")) == EXPECTED
    monkeypatch.setattr(mlflow_store, "available", lambda: False)
    without = load_runs(tmp_path / "mlruns")
    assert scores(without) == EXPECTED  # lifecycle_stage: deleted honoured by the small reader too
    assert any("file-store reader" in m for m in without.messages)


def test_without_mlflow_a_sqlite_store_is_one_line_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(mlflow_store, "available", lambda: False)
    with pytest.raises(InputError, match="needs mlflow: pip install -r requirements-mlflow.txt"):
        load_runs(database(tmp_path))


def test_the_cli_imports_a_tracking_uri(with_mlflow, tmp_path, capsys):
    import pandas as pd

    from salt_core.cli import main

    db = database(tmp_path)
    assert main(["runs", "import", f"sqlite:///{db}", "--output", str(tmp_path / "runs.csv")]) == 0
    written = pd.read_csv(tmp_path / "runs.csv")
    assert set(zip(written["language"], written["score"].round(1))) == EXPECTED
