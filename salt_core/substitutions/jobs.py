"""Resumable, atomic batch mining for corpora: the engine behind `python -m salt_core mine`.

Work is done in chunks of sentences. Each finished chunk is written to `<output>.parts/` as a Parquet
file and then a small JSON file that commits it (which sentences it covered, which were skipped and
why). A killed run leaves only committed chunks and at most one uncommitted Parquet file, which is
redone. Re-running the same command skips committed chunks; the final output is assembled in a
temporary file and renamed into place, so it is only ever complete. A manifest records the input's
hash and the settings, so a re-run with different ones refuses to mix results.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import atomic_write, write_table
from salt_core.languages import DEFAULT_STRICTNESS
from salt_core.models.loading import MaskedLM
from salt_core.substitutions.corpus import Corpus
from salt_core.substitutions.mining import COLUMNS, check_languages
from salt_core.substitutions.similarity import mine


def _manifest(corpus: Corpus, settings: dict) -> dict:
    digest = hashlib.sha256(json.dumps([corpus.sentence_ids, corpus.sentences]).encode("utf-8")).hexdigest()
    return {"input_sha256": digest, **settings}


def _committed(parts: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) | {"parquet": str(p.with_suffix(".parquet"))}
            for p in sorted(parts.glob("part-*.json"))]


def mine_corpus(mlm: MaskedLM, corpus: Corpus, output: Path, *, settings: dict, chunk_size: int = 256,
                restart: bool = False, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Mine `corpus` into `output`, continuing a previous interrupted run of the same job.

    `settings` are keyword arguments of `salt_core.substitutions.similarity.mine` (miner, source, targets, top_k, ...); they
    and the model name go into the manifest.
    """
    output = Path(output)
    if output.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"{output}: the output must end in .parquet or .csv.")
    check_languages(mlm, settings.get("source", "en"), settings.get("targets", ()), settings.get("synonyms", True),
                    settings.get("strictness", DEFAULT_STRICTNESS))
    parts = output.with_name(output.name + ".parts")
    manifest = _manifest(corpus, {"model": mlm.name, **{k: repr(v) for k, v in settings.items()}})
    if restart and parts.exists():
        shutil.rmtree(parts)
    if parts.exists() and not (parts / "manifest.json").is_file():
        if any(parts.glob("part-*")):
            raise InputError(f"{parts} holds finished chunks but no manifest, so it cannot be told which run they "
                             "belong to. Add --restart to start over (they will be removed).")
        shutil.rmtree(parts)  # created, then interrupted before its manifest: nothing was mined yet
    if parts.exists():
        try:
            previous = json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{parts / 'manifest.json'} is unreadable ({exc}); add --restart to start over.") from exc
        if previous != manifest:
            raise InputError(f"{parts} holds an interrupted run with a different input, model or settings. "
                             "Re-run with its original options, or add --restart to start over.")
    else:
        parts.mkdir(parents=True)
        atomic_write(parts / "manifest.json", lambda tmp: tmp.write_text(json.dumps(manifest), encoding="utf-8"))
    done = {sid for part in _committed(parts) for sid in part["sentence_ids"]}
    todo = [(sid, s) for sid, s in zip(corpus.sentence_ids, corpus.sentences) if sid not in done]
    total, finished = len(corpus.sentences), len(done)
    if progress:
        progress(finished, total)
    for begin in range(0, len(todo), chunk_size):
        chunk = todo[begin:begin + chunk_size]
        ids, sentences = [sid for sid, _ in chunk], [s for _, s in chunk]
        mined = mine(mlm, sentences, sentence_ids=ids, **settings)
        stem = parts / f"part-{ids[0]:09d}"
        write_table(mined, stem.with_suffix(".parquet"))
        commit = {"sentence_ids": ids, "skipped": mined.attrs["skipped"], "warnings": mined.attrs["warnings"]}
        atomic_write(stem.with_suffix(".json"), lambda tmp, c=commit: tmp.write_text(json.dumps(c), encoding="utf-8"))
        finished += len(chunk)
        if progress:
            progress(finished, total)
    return _assemble(parts, output, mlm)


def _assemble(parts: Path, output: Path, mlm: MaskedLM) -> pd.DataFrame:
    committed = _committed(parts)
    frames = [pd.read_parquet(part["parquet"]) for part in committed]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    write_table(frame, output)
    shutil.rmtree(parts)
    frame.attrs.update(skipped=[s for part in committed for s in part["skipped"]],
                       warnings=[w for part in committed for w in part["warnings"]], model=mlm.name,
                       is_demo=mlm.is_demo)
    return frame
