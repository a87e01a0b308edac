"""The Ray Data engine of `mine` and `codeswitch`: the same job on a local Ray cluster, a GPU box or an existing
cluster (`--engine ray [--address auto|ray://host:port]`).

Mining: the corpus files are read with Ray Data (`read_binary_files`) and parsed by the same reader the local
engine uses (so ids, line numbers and reported problems are identical), cut into the same fixed shards
(`salt_core.substitutions.jobs`), and mined with `map_batches` over an actor pool: one loaded model per actor,
one shard per call. Each actor commits its shard to `<output>.parts/` exactly as the local engine does, so a
worker that dies is retried by Ray and rewrites the same files, a driver killed with `kill -9` resumes from the
committed shards, and the merged output equals the local engine's row for row. The output folder must be on
storage every worker sees (this machine; a shared filesystem on a multi-node cluster): the workers check.

Code-switching: the mined table (a file or a dataset folder) is read with `ray.data.read_parquet`, grouped by
sentence and code-switched per sentence; each sentence draws from its own seeded generator, so the output equals
the local engine's.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from salt_core.errors import InputError, SaltError
from salt_core.substitutions.corpus import InputFile, no_sentences, parse_input
from salt_core.substitutions.jobs import (
    MiningResult,
    Shard,
    assemble,
    commit_shard,
    done_shards,
    mine_shard,
)

INSTALL = "pip install -r requirements-cluster.txt"
_FORWARDED = ("SALT_HOME", "SALT_MODEL", "HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE")


def require_ray():
    """Ray, or one line saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise SaltError(f"--engine ray needs Ray Data, which is not installed: {INSTALL} (or --engine local)") from None
    return ray


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """Refuse an address that is none, or that nothing answers at within `timeout` s (Ray itself waits minutes
    before it gives up)."""
    if not address or address == "auto":
        return
    parts = urlsplit(address if "://" in address else f"gcs://{address}")
    if parts.scheme not in ("ray", "gcs") or not parts.hostname:
        raise InputError(f"--address {address[:80]!r} is not a Ray address: use auto, host:port or ray://host:port "
                         "(or leave it out to start a local cluster).")
    try:
        port = parts.port or (10001 if parts.scheme == "ray" else 6379)
    except ValueError:
        raise InputError(f"--address {address[:80]!r} has no valid port.") from None
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        raise SaltError(f"cannot reach a Ray cluster at {parts.hostname}:{port} ({exc.strerror or exc}); "
                        "nothing was written. Start it (ray start --head) or check --address.") from None


def connect(address: str | None):
    """Join the cluster at `address`, or start a local one on this machine (`address` empty)."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    # Ray's C++ core logs a warning per actor pool about constructor arguments in the object store (ray#53727);
    # failures still arrive as Python exceptions, and every process's full log stays under /tmp/ray
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    if address:
        check_address(address)
        import salt_core

        env = {name: os.environ[name] for name in _FORWARDED if name in os.environ}
        runtime_env = {"env_vars": env, "py_modules": [salt_core]}  # the cluster gets this code, nothing else
        try:
            ray.init(address=address, runtime_env=runtime_env, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SaltError(f"could not join the Ray cluster at {address}: {str(exc).splitlines()[0][:200]}; "
                            "nothing was written.") from None
    else:
        # A local cluster's processes inherit this environment: no runtime_env, so Ray's pre-started workers serve
        package_root = str(Path(__file__).resolve().parents[2])
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
        ray.init(num_cpus=os.cpu_count(), **options)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray


def _parse_files(batch, *, sources: dict, text_column, chunk_size):
    """One corpus file (bytes) -> its shards (global ids) and the lines it could not read."""
    from salt_core.substitutions.jobs import shards

    rows = {"first": [], "ids": [], "sentences": [], "problems": []}
    for path, data in zip(batch["path"], batch["bytes"]):
        source = sources[str(Path(path).resolve()) if os.path.isabs(path) else path]
        try:
            corpus = parse_input(bytes(data), InputFile(**source), text_column)
            problems = corpus.problems
        except SaltError as exc:  # the whole file is unusable: the driver stops with this message
            rows["first"].append(-1)
            rows["ids"].append([])
            rows["sentences"].append([])
            rows["problems"].append(json.dumps([{"fatal": str(exc)}]))
            continue
        pieces = shards(corpus, chunk_size)
        for n, shard in enumerate(pieces):
            rows["first"].append(shard.first)
            rows["ids"].append(shard.sentence_ids)
            rows["sentences"].append(shard.sentences)
            rows["problems"].append(json.dumps(problems if n == 0 else []))
        if not pieces:
            rows["first"].append(-2)  # a file without sentences: only its problems
            rows["ids"].append([])
            rows["sentences"].append([])
            rows["problems"].append(json.dumps(problems))
    return rows


class _ShardMiner:
    """A Ray actor: loads the model once (on its first shard), then mines and commits one shard per call.

    Nothing that can fail is done in the constructor: Ray restarts an actor whose constructor raises, again and
    again, where an error in a call ends the job with the error's message."""

    def __init__(self, model: str, device: str, threads: int, settings: dict, parts: str):
        self.model, self.device, self.threads, self.settings = model, device, threads, settings
        self.parts, self.mlm = Path(parts), None

    def _load(self):
        from salt_core.models.loading import load_masked_lm

        if not (self.parts / "manifest.json").is_file():
            raise SaltError(f"{self.parts} is not visible on worker {socket.gethostname()}: put --output on "
                            "storage every node of the cluster shares.")
        self.mlm = load_masked_lm(self.model, device=self.device, threads=self.threads)

    def __call__(self, batch):
        import numpy as np

        if self.mlm is None:
            self._load()
        firsts, counts, rows = [], [], []
        for first, ids, sentences in zip(batch["first"], batch["ids"], batch["sentences"]):
            shard = Shard(int(first), [int(i) for i in ids], [str(s) for s in sentences])
            mined = mine_shard(self.mlm, shard, self.settings)
            commit_shard(self.parts, shard, mined)
            firsts.append(shard.first)
            counts.append(len(shard.sentence_ids))
            rows.append(len(mined))
        return {"first": np.array(firsts), "sentences": np.array(counts), "rows": np.array(rows)}


def _ray_error(exc: BaseException) -> SaltError:
    """Any failure of a Ray job as one line: the user's own error when a worker raised one (Ray wraps it, with the
    worker's traceback in its text), else Ray's last line."""
    seen = exc
    for _ in range(20):
        if isinstance(seen, SaltError) and not type(seen).__module__.startswith("ray"):
            return seen
        following = getattr(seen, "cause", None) or seen.__cause__
        if following is None or following is seen:
            break
        seen = following
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return SaltError(f"the Ray job failed: {type(exc).__name__}: {(lines[-1] if lines else '')[:300]}")


def mine_on_ray(*, model: str, device: str, inputs: list[InputFile], text_column: str | None, parts: Path,
                output: Path, settings: dict, chunk_size: int, address: str | None, workers: int | None,
                gpus_per_worker: float, threads: int | None, as_dataset: bool = False,
                progress: Callable[[int, int], None] | None = None) -> tuple[MiningResult, list[dict]]:
    """Mine the corpus on Ray into the job's `parts` folder (opened by the caller), then merge it.

    Returns the result and the lines the reader could not use ({"line", "reason"}, global ids)."""
    threads = threads or 1
    ray = connect(address)
    try:
        resources = ray.cluster_resources()
        if gpus_per_worker and resources.get("GPU", 0) < gpus_per_worker:
            raise SaltError(f"--gpus-per-worker {gpus_per_worker:g}: the cluster has {resources.get('GPU', 0):g} GPUs.")
        if workers is None:
            workers = int(resources.get("GPU", 0) // gpus_per_worker) if gpus_per_worker else \
                max(1, int(resources.get("CPU", 1) // threads))
        sources = {source.path: vars(source) for source in inputs}
        read = ray.data.read_binary_files([source.path for source in inputs], include_paths=True)
        parsed = read.map_batches(_parse_files, batch_size=1, fn_kwargs=dict(
            sources=sources, text_column=text_column, chunk_size=chunk_size)).materialize()
        meta = parsed.select_columns(["first", "ids", "problems"]).to_pandas()
        problems = []
        for text in meta["problems"]:
            for problem in json.loads(text):
                if "fatal" in problem:
                    raise InputError(problem["fatal"])
                problems.append(problem)
        if not (meta["first"] >= 0).any():
            raise no_sentences(inputs[0].name if len(inputs) == 1 else "The corpus", problems)
        sizes = dict(zip(meta["first"], meta["ids"].map(len)))
        total = sum(size for first, size in sizes.items() if first >= 0)
        done = done_shards(parts)
        finished = sum(size for first, size in sizes.items() if first in done)
        if progress:
            progress(finished, total)
        if len(done) < sum(1 for first in sizes if first >= 0):
            with warnings.catch_warnings():  # Ray prefers expressions; a set lookup is clearer here
                warnings.simplefilter("ignore", UserWarning)
                # materialized, so that no task stands between the input and the actors: on a 2-CPU machine two
                # one-CPU actors would otherwise wait forever for a CPU to filter their input
                todo = parsed.filter(lambda row: row["first"] >= 0 and row["first"] not in done)
                # one shard per block, so that every actor gets work (a file is read as one block)
                todo = todo.repartition(sum(1 for first in sizes if first >= 0 and first not in done)).materialize()
            pool = ray.data.ActorPoolStrategy(size=max(1, workers))
            results = todo.map_batches(
                _ShardMiner, batch_size=1, compute=pool, num_cpus=threads, num_gpus=gpus_per_worker or None,
                fn_constructor_kwargs=dict(model=model, device="cuda" if gpus_per_worker else device,
                                           threads=threads, settings=settings, parts=str(parts)))
            for row in results.iter_rows():
                finished += int(row["sentences"])
                if progress:
                    progress(finished, total)
    except Exception as exc:  # noqa: BLE001 - ours and Ray's, in one line
        raise _ray_error(exc) from None
    finally:
        ray.shutdown()
    return assemble(parts, output, as_dataset=as_dataset), problems


def id_ranges(path: Path, rows_per_task: int = 50_000) -> list[tuple[int | None, int | None]]:
    """Sentence-id ranges [low, high) that cut a mined Parquet table (file or folder) into pieces of about
    `rows_per_task` rows, from the row groups' statistics alone (no data is read). A sentence's rows always fall
    in one range, wherever they are stored; without statistics the whole table is one range."""
    import pyarrow.dataset as pads

    groups = []
    for fragment in pads.dataset(str(path), format="parquet").get_fragments():
        metadata = fragment.metadata
        column = metadata.schema.to_arrow_schema().get_field_index("sentence_id")
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            statistics = group.column(column).statistics if column >= 0 else None
            if statistics is None or not statistics.has_min_max or not isinstance(statistics.min, int):
                return [(None, None)]
            groups.append((statistics.min, group.num_rows))
    if not groups:
        return [(None, None)]
    groups.sort()
    cuts, rows = [groups[0][0]], 0
    for low, count in groups:
        if rows >= rows_per_task and low > cuts[-1]:
            cuts.append(low)
            rows = 0
        rows += count
    return [(None if n == 0 else low, high) for n, (low, high) in enumerate(zip(cuts, [*cuts[1:], None]))]


def codeswitch_range(path: str, low: int | None, high: int | None, settings) -> tuple[list[str], int, int]:
    """Code-switch the sentences with low <= id < high: (JSON lines in id order, rows with a bad score, rows with
    a bad span)."""
    import pyarrow.parquet as pq

    from salt_core.substitutions.codeswitching import clean_mined, codeswitch, row_problems

    filters = [("sentence_id", ">=", low)] if low is not None else []
    filters += [("sentence_id", "<", high)] if high is not None else []
    table = pq.read_table(path, filters=filters or None).to_pandas()
    if table.empty:
        return [], 0, 0
    order = ["sentence_id", *(c for c in ("word_index", "kind", "language", "rank") if c in table.columns)]
    table = table.sort_values(order, kind="stable").reset_index(drop=True)  # the order `mine` writes
    _, bad_scores, bad_spans = row_problems(table)
    cleaned, _ = clean_mined(table)
    lines = [json.dumps(r.to_dict(), ensure_ascii=False, default=str) for r in codeswitch(cleaned, settings)]
    return lines, bad_scores, bad_spans


def _codeswitch_ranges(batch, *, path, settings):
    import numpy as np

    lines, scores, spans = [], [], []
    for low, high in zip(batch["low"], batch["high"]):
        found, bad_scores, bad_spans = codeswitch_range(path, None if low < 0 else int(low),
                                                        None if high < 0 else int(high), settings)
        lines.append(json.dumps(found))
        scores.append(bad_scores)
        spans.append(bad_spans)
    return {"low": batch["low"], "lines": np.array(lines, dtype=object), "bad_scores": np.array(scores),
            "bad_spans": np.array(spans)}


def codeswitch_on_ray(mined_path: Path, settings, *, address: str | None) -> tuple[list[str], list[str]]:
    """Code-switch a mined Parquet table (file or dataset folder) on Ray, one task per id range: (JSON lines in
    sentence-id order, the table's problems in words)."""
    from salt_core.substitutions.codeswitching import problem_messages

    ranges = id_ranges(mined_path)
    ray = connect(address)
    try:
        items = [{"low": -1 if low is None else low, "high": -1 if high is None else high} for low, high in ranges]
        done = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _codeswitch_ranges, batch_size=1, fn_kwargs=dict(path=str(Path(mined_path).resolve()),
                                                             settings=settings)).to_pandas()
    except Exception as exc:  # noqa: BLE001 - ours and Ray's, in one line
        raise _ray_error(exc) from None
    finally:
        ray.shutdown()
    done = done.sort_values("low", kind="stable")
    lines = [line for text in done["lines"] for line in json.loads(text)]
    return lines, problem_messages(int(done["bad_scores"].sum()), int(done["bad_spans"].sum()))
