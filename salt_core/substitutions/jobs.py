"""Resumable, atomic corpus mining: the job both engines of `python -m salt_core mine` run.

A corpus is cut into fixed shards: the ids of one file in blocks of `chunk_size` lines (shard k of a file holds
lines k*chunk_size+1 ... (k+1)*chunk_size), so a shard is the same whichever engine, worker or attempt mines it.
Each finished shard is written to `<output>.parts/` as a Parquet file and then a small JSON file that commits it
(which sentences it covered, which were skipped and why). A killed run leaves only committed shards and at most
a few uncommitted Parquet files, which are redone. Re-running the same command skips committed shards; the
final output is assembled shard by shard (in id order, so memory holds one shard) in a temporary file and
renamed into place, so it is only ever complete. A manifest records the settings' fingerprint (the input
files' digests, the model, every mining option), so a re-run with different ones refuses to mix results.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import atomic_write, write_table
from salt_core.substitutions.corpus import Corpus, InputFile, Shard, shards

# The miners (and torch with them) are imported where they are used: Ray's read tasks import this module.

SORT_KEYS = ["sentence_id", "word_index", "kind", "language", "rank"]
DATASET_MANIFEST = "_manifest.json"  # a leading "_": Parquet readers of the folder skip it


@dataclass
class MiningResult:
    output: Path
    rows: int = 0
    sentences: int = 0  # sentences with at least one candidate row
    skipped: list[dict] = field(default_factory=list)  # {"sentence_id", "reason"}
    warnings: list[str] = field(default_factory=list)


def fingerprint(inputs: Iterable[InputFile], text_column: str | None, model: str, settings: dict) -> dict:
    """What a finished shard depends on. The engine, worker count and chunking of work are not part of it:
    every engine writes the same rows for the same shard."""
    files = [[source.name, source.sha256, source.offset] for source in inputs]
    digest = hashlib.sha256(json.dumps([files, text_column]).encode("utf-8")).hexdigest()
    from salt_core.substitutions.similarity import scoring

    rows_from = scoring(str(settings.get("miner")))  # the similarity miner's rank and calibration decide every row
    extra = {"similarity_scoring": rows_from} if rows_from else {}
    return {"input_sha256": digest, "model": model, **{k: repr(v) for k, v in sorted(settings.items())}, **extra}


def parts_folder(output: Path) -> Path:
    return Path(output).with_name(Path(output).name + ".parts")


def check_output(output: Path, as_dataset: bool = False) -> None:
    if as_dataset:
        if Path(output).suffix.lower() in (".csv",) or Path(output).is_file():
            raise InputError(f"{output}: a dataset is a folder of Parquet shards; give a folder name.")
    elif Path(output).suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"{output}: the output must end in .parquet or .csv (or add --as-dataset for a folder).")


def open_parts(output: Path, manifest: dict, restart: bool = False) -> Path:
    """The parts folder of `output` for the job `manifest` describes: created, or an interrupted one of the same
    job to continue. Raises InputError (touching nothing) for one of another job."""
    parts = parts_folder(output)
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
            changed = sorted(k for k in set(previous) | set(manifest) if previous.get(k) != manifest.get(k))
            raise InputError(f"{parts} holds an interrupted run with a different input, model or settings "
                             f"({', '.join(changed[:4])} differ). Re-run with its original options, or add --restart "
                             "to start over.")
    else:
        parts.mkdir(parents=True)
        atomic_write(parts / "manifest.json", lambda tmp: tmp.write_text(json.dumps(manifest), encoding="utf-8"))
    return parts


def _stem(parts: Path, first: int) -> Path:
    return parts / f"part-{first:012d}"


def committed(parts: Path) -> list[dict]:
    """The commits of finished shards, in id order, each with the path of its Parquet file."""
    return [json.loads(p.read_text(encoding="utf-8")) | {"parquet": str(p.with_suffix(".parquet"))}
            for p in sorted(parts.glob("part-*.json"))]


def done_shards(parts: Path) -> set[int]:
    return {int(commit["first"]) for commit in committed(parts)}


def commit_shard(parts: Path, shard: Shard, mined: pd.DataFrame) -> None:
    """Write one shard's rows, then the commit that makes them count (both atomically; idempotent, so a retried
    shard rewrites the same files)."""
    stem = _stem(parts, shard.first)
    write_table(mined, stem.with_suffix(".parquet"))
    commit = {"first": shard.first, "sentence_ids": shard.sentence_ids, "rows": len(mined),
              "sentences": int(mined["sentence_id"].nunique()) if len(mined) else 0,
              "skipped": mined.attrs.get("skipped", []), "warnings": mined.attrs.get("warnings", [])}
    atomic_write(stem.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(commit), encoding="utf-8"))


def mine_shard(mlm, shard: Shard, settings: dict) -> pd.DataFrame:
    from salt_core.substitutions.similarity import mine

    return mine(mlm, shard.sentences, sentence_ids=shard.sentence_ids, **settings)


def check_settings(mlm, settings: dict) -> None:
    from salt_core.languages import DEFAULT_STRICTNESS
    from salt_core.substitutions.mining import check_languages

    check_languages(mlm, settings.get("source", "en"), settings.get("targets", ()), settings.get("synonyms", True),
                    settings.get("strictness", DEFAULT_STRICTNESS))


def mine_corpus(mlm, corpus: Corpus, output: Path, *, settings: dict, chunk_size: int = 256,
                restart: bool = False, progress: Callable[[int, int], None] | None = None,
                inputs: list[InputFile] | None = None, text_column: str | None = None,
                as_dataset: bool = False) -> MiningResult:
    """Mine `corpus` into `output` on this machine (the local engine), continuing an interrupted run of the
    same job.

    `settings` are keyword arguments of `salt_core.substitutions.similarity.mine` (miner, source, targets,
    top_k, ...); they, the model name and the input (`inputs`' digests, else the sentences) go into the manifest.
    """
    output = Path(output)
    check_output(output, as_dataset)
    check_settings(mlm, settings)
    if inputs is None:  # sentences given directly (the Python API): their content is the input
        digest = hashlib.sha256(json.dumps([corpus.sentence_ids, corpus.sentences]).encode("utf-8")).hexdigest()
        inputs = [InputFile("", "sentences", digest, 0, 0)]
    parts = open_parts(output, fingerprint(inputs, text_column, mlm.name, settings), restart)
    done = done_shards(parts)
    work = shards(corpus, chunk_size)
    total = len(corpus.sentences)
    finished = sum(len(s.sentence_ids) for s in work if s.first in done)
    if progress:
        progress(finished, total)
    for shard in work:
        if shard.first in done:
            continue
        commit_shard(parts, shard, mine_shard(mlm, shard, settings))
        finished += len(shard.sentence_ids)
        if progress:
            progress(finished, total)
    return assemble(parts, output, as_dataset=as_dataset)


def _empty() -> pd.DataFrame:
    from salt_core.substitutions.mining import COLUMNS

    return pd.DataFrame(columns=COLUMNS)


def _write_parquet_stream(frames: Iterable[pd.DataFrame], tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, schema = None, None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                schema = table.schema.remove_metadata()
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(table.cast(schema))
        if writer is None:
            _empty().to_parquet(tmp, index=False)
    finally:
        if writer is not None:
            writer.close()


def _write_csv_stream(frames: Iterable[pd.DataFrame], tmp: Path) -> None:
    header = True
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        for frame in frames:
            frame.to_csv(out, index=False, header=header)
            header = False
        if header:
            _empty().to_csv(out, index=False)


def assemble(parts: Path, output: Path, *, as_dataset: bool = False) -> MiningResult:
    """Merge the committed shards into `output` (one file, or the folder of shards with `as_dataset`), atomically,
    and remove the parts folder. Shards are read one at a time, in id order."""
    commits = committed(parts)
    result = MiningResult(Path(output))
    for commit in commits:
        result.rows += commit["rows"]
        result.sentences += commit["sentences"]
        result.skipped += commit["skipped"]
        result.warnings += commit["warnings"]
    nonempty = [c for c in commits if c["rows"]]

    def frames():
        for commit in nonempty:
            frame = pd.read_parquet(commit["parquet"])
            yield frame.sort_values(SORT_KEYS, kind="stable").reset_index(drop=True)

    if as_dataset:
        _keep_as_dataset(parts, Path(output), commits, result)
        return result
    if Path(output).suffix.lower() == ".parquet":
        atomic_write(output, lambda tmp: _write_parquet_stream(frames(), tmp))
    else:
        atomic_write(output, lambda tmp: _write_csv_stream(frames(), tmp))
    shutil.rmtree(parts)
    return result


def _keep_as_dataset(parts: Path, output: Path, commits: list[dict], result: MiningResult) -> None:
    manifest = json.loads((parts / "manifest.json").read_text(encoding="utf-8"))
    summary = {"fingerprint": manifest, "rows": result.rows, "sentences": result.sentences,
               "shards": [Path(c["parquet"]).name for c in commits if c["rows"]],
               "skipped": result.skipped, "warnings": result.warnings}
    for commit in commits:
        Path(commit["parquet"]).with_suffix(".json").unlink()
        if not commit["rows"]:
            Path(commit["parquet"]).unlink(missing_ok=True)
    for stray in parts.glob(".*"):  # an uncommitted temporary file of a killed writer
        stray.unlink(missing_ok=True)
    (parts / "manifest.json").unlink()
    atomic_write(parts / DATASET_MANIFEST, lambda tmp: tmp.write_text(json.dumps(summary), encoding="utf-8"))
    if output.exists():
        shutil.rmtree(output)
    os.replace(parts, output)


def skipped_rows(corpus: Corpus, problems: list[dict], skipped: list[dict]) -> list[dict]:
    """Every line that was not mined, as {"file", "line", "stage", "reason"}, in id order: lines the reader could
    not use (`problems`) and sentences the miner skipped (`skipped`)."""
    rows, where = [], corpus.locator()
    for stage, entries, key in (("read", problems, "line"), ("mine", skipped, "sentence_id")):
        for entry in entries:
            name, line = where(entry[key])
            rows.append({"id": int(entry[key]), "file": name, "line": line, "stage": stage, "reason": entry["reason"]})
    rows.sort(key=lambda r: r["id"])
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


def skipped_summary(rows: list[dict], sidecar: Path | None, first: int = 5) -> list[str]:
    """One line per reason: how many lines, and the first few (file:line)."""
    by_reason: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_reason[row["reason"]].append(row)
    files = {row["file"] for row in rows}
    lines = []
    for reason, group in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        where = ", ".join((f"{r['file']}:{r['line']}" if len(files) > 1 else str(r["line"])) for r in group[:first])
        more = f", … ({len(group) - first:,} more)" if len(group) > first else ""
        noun = "line" if len(group) == 1 else "lines"
        lines.append(f"{len(group):,} {noun} not mined: {reason} ({noun} {where}{more})")
    if lines and sidecar is not None:
        lines.append(f"every skipped line, with file, line and reason: {sidecar}")
    return lines


def write_skipped(output: Path, rows: list[dict]) -> Path | None:
    """The full list of skipped lines next to the output (`<output>.skipped.csv`); an old list is removed when
    nothing was skipped."""
    sidecar = Path(output).with_name(Path(output).name + ".skipped.csv")
    if not rows:
        sidecar.unlink(missing_ok=True)
        return None
    frame = pd.DataFrame(rows, columns=["file", "line", "stage", "reason"])
    atomic_write(sidecar, lambda tmp: frame.to_csv(tmp, index=False))
    return sidecar
