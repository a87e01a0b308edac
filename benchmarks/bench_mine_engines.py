"""Benchmark: `mine --engine ray --workers 2` against `mine --engine local` on the same corpus, in one run, plus an
estimate of MNLI-scale mining on 1 / 8 / 64 GPUs from the measured costs.

Not a test: it prints ratios measured in one run, on one machine, so noise between machines cancels.

    python benchmarks/bench_mine_engines.py [--sentences 240] [--words 12] [--chunk-size 8]

The model has bert-base-multilingual-cased's shape (benchmarks/bench_mining.py; random weights: the cost is the
shape's, the candidates mean nothing). Both engines run the real CLI in a subprocess at equal cores: local with
2 torch threads, Ray with 2 workers of 1 thread each on a local 2-CPU Ray cluster. The parts folder is watched
while each runs, so the report separates the steady mining rate (first to last committed shard) from the fixed
costs (start-up before the first shard: model loading, Ray's start, reading; merge after the last).
Goal (issue 19): Ray's steady rate within 1.25x of the local engine's at equal cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MNLI_WORDS = 8_000_000  # ~393k premise/hypothesis pairs, ~20 words each (issue 19's figure)
MNLI_ROWS = MNLI_WORDS * 5 * 2  # top-5 candidates for one target and for synonyms


def build_model(folder: Path) -> Path:
    from bench_mining import mbert_shaped_tokenizer
    from transformers import BertConfig, BertForMaskedLM

    tokenizer = mbert_shaped_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512)
    BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def corpus(path: Path, n: int, length: int) -> int:
    from bench_mining import sentences

    lines = sentences(n, length)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(len(line.split()) for line in lines)


def run(engine: str, model: Path, data: Path, output: Path, chunk_size: int) -> dict:
    """Run the CLI; return wall time and the times its shards were committed."""
    parts = output.with_name(output.name + ".parts")
    command = [sys.executable, "-m", "salt_core", "mine", "--model", str(model), "--targets", "de", "--no-synonyms",
               "--input", str(data), "--output", str(output), "--chunk-size", str(chunk_size), "--quiet",
               "--batch-size", "64"]
    command += ["--engine", "ray", "--workers", "2", "--threads", "1"] if engine == "ray" else ["--threads", "2"]
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for commit in parts.glob("part-*.json") if parts.exists() else ():
                seen.setdefault(commit.name, time.perf_counter())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    start = time.perf_counter()
    watcher.start()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    if done.returncode:
        raise SystemExit(f"{engine} failed: {done.stderr[-2000:]}")
    times = sorted(seen.values())
    return {"wall": wall, "first": times[0] - start, "last": times[-1] - start, "shards": len(times),
            "stdout": done.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=240)
    parser.add_argument("--words", type=int, default=12)
    parser.add_argument("--chunk-size", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("SALT_HOME", str(tmp / "home"))
        model = build_model(tmp / "mbert-shaped")
        words = corpus(tmp / "corpus.txt", args.sentences, args.words)
        shards = -(-args.sentences // args.chunk_size)
        per_shard = words / shards
        print(f"corpus: {args.sentences} sentences, {words:,} words, {shards} shards of {args.chunk_size} lines; "
              f"model of mBERT's shape (random weights)")
        results = {}
        for engine in ("local", "ray"):
            results[engine] = run(engine, model, tmp / "corpus.txt", tmp / f"{engine}.parquet", args.chunk_size)
            r = results[engine]
            steady = (r["shards"] - 1) * per_shard / max(r["last"] - r["first"], 1e-9)
            r["steady"] = steady
            print(f"{engine:>5}: wall {r['wall']:6.1f} s | start-up to first shard {r['first']:5.1f} s | steady "
                  f"{steady:6.1f} words/s | last shard to exit {r['wall'] - r['last']:4.1f} s | {r['stdout']}")
        local, ray = results["local"], results["ray"]
        print(f"ray / local, wall time:        {ray['wall'] / local['wall']:.2f}x")
        print(f"local / ray, steady rate:      {local['steady'] / ray['steady']:.2f}x  (goal <= 1.25x)")
        print(f"ray's fixed cost over local's: {ray['first'] - local['first']:+.1f} s before the first shard")

        # The estimate: the measured per-word cost, scaled by a stated GPU throughput assumption
        print("\nMNLI-scale estimate (8M masked words, one target, top-5; from the figures above):")
        cpu_hours = MNLI_WORDS / local["steady"] / 3600
        print(f"  this 2-core CPU, local engine: {cpu_hours:,.0f} h")
        tokens = args.words * 1.3 + 2  # pieces per masked variant (measured WordPiece ratio ~1.3 on English)
        flops = 2 * 85e6 * tokens + 2 * 768 * 119_547  # encoder (non-embedding params) + the head at one position
        achieved = local["steady"] * flops / 1e9
        print(f"  per masked word: {flops / 1e9:.1f} GFLOP; this CPU achieves {achieved:,.0f} GFLOP/s")
        for name, peak, utilisation in (("A100 bf16", 312e12, 0.3), ("H100 bf16", 989e12, 0.3)):
            per_gpu = peak * utilisation / flops
            line = [f"  {name} at {utilisation:.0%} of peak: {per_gpu:,.0f} words/s per GPU;"]
            for gpus in (1, 8, 64):
                mining = MNLI_WORDS / (per_gpu * gpus) * (local["steady"] / ray["steady"])
                fixed = ray["first"] + 60  # start-up as measured, plus a minute for loading real weights per node
                line.append(f"{gpus} GPU{'s' if gpus > 1 else ''}: {(mining + fixed) / 60:,.1f} min")
            print(" ".join(line))
        rows_per_s = merge_rate(tmp / "merge")
        print(f"  + the merge into one file on the driver, serial: ~{MNLI_ROWS / rows_per_s / 60:,.0f} min for "
              f"{MNLI_ROWS / 1e6:.0f}M rows at the {rows_per_s:,.0f} rows/s measured here (skip it with --as-dataset)")


def merge_rate(folder: Path, shards: int = 10, rows: int = 100_000) -> float:
    """Rows per second of the streaming merge (`assemble`) into one Parquet file, on synthetic shards."""
    import numpy as np
    import pandas as pd

    from salt_core.substitutions.corpus import Shard
    from salt_core.substitutions.jobs import assemble, commit_shard, open_parts

    output = folder / "mined.parquet"
    parts = open_parts(output, {"benchmark": 1})
    rng = np.random.default_rng(0)
    for k in range(shards):
        ids = np.repeat(np.arange(k * rows // 50, (k + 1) * rows // 50), 50)
        frame = pd.DataFrame({"sentence_id": ids, "sentence": "The river near the house is wide.",
                              "word_index": np.tile(np.repeat(np.arange(10), 5), rows // 50), "word": "river",
                              "start": 4, "end": 9, "n_pieces": 1, "windowed": False, "kind": "translation",
                              "language": "de", "rank": np.tile(np.arange(1, 6), rows // 5), "candidate": "Fluss",
                              "token_id": 1234, "p_restricted": rng.random(rows), "p_full": rng.random(rows),
                              "lang_mass": rng.random(rows), "miner": "mlm"})
        frame.attrs.update(skipped=[], warnings=[])
        commit_shard(parts, Shard(k * rows // 50, sorted(set(ids.tolist())), []), frame)
    start = time.perf_counter()
    assemble(parts, output)
    return shards * rows / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
