"""Benchmark: the Scaling page's fit and headline answer on a large selection of runs.

Not a test: it prints times measured in one run, on one machine.

    python benchmarks/bench_scaling.py [--runs 100000] [--boot 1000]

Synthetic runs: `--runs` rows over 100 languages and 5 model sizes (volumes spread over three orders of
magnitude, a language-level effect and run-level noise). Timed in the same run:
(a) salt_core.runs.scaling.fit_scaling (OLS + 1,000 language resamples) and (b) salt_core.runs.scaling.answer (the fit,
the gain correlation, and a fit per resource group, each with its bootstrap);
(c) the peer: the plain way of the same language bootstrap, stacking each resample's rows and refitting with
numpy's lstsq, on 20 resamples, scaled to `--boot`.
Target (issue 9): (a) + (b) under 2 s on the 2-core machine at 100,000 runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salt_core.runs.scaling import _design, answer, fit_scaling  # noqa: E402


def synthetic(n_runs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    languages = np.array([f"l{i}" for i in range(100)])
    volumes = dict(zip(languages, 10 ** rng.uniform(0, 3, len(languages))))
    quirks = dict(zip(languages, rng.normal(0, 2, len(languages))))
    sizes = np.array([1e8, 3e8, 1e9, 3e9, 1e10])
    language = rng.choice(languages, n_runs)
    params = rng.choice(sizes, n_runs)
    volume = np.array([volumes[code] for code in language])
    score = 40 + 5 * np.log10(volume) + 3 * np.log10(params) + np.array([quirks[c] for c in language]) + \
        rng.normal(0, 1, n_runs)
    return pd.DataFrame({"language": language, "params": params, "pretraining_data": volume,
                         "pretraining_data_unit": "GiB", "score": np.clip(score, 0, 100), "model_family": "f",
                         "model": [f"m{p:g}" for p in params], "task": "T", "method": "M"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--boot", type=int, default=1000)
    args = parser.parse_args()
    runs = synthetic(args.runs)

    start = time.perf_counter()
    fit = fit_scaling(runs, n_boot=args.boot)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    card = answer(runs, n_boot=args.boot)
    answer_time = time.perf_counter() - start

    x, _, _, _ = _design(runs, False, False)
    y, languages = runs["score"].to_numpy(float), runs["language"].to_numpy()
    codes = np.unique(languages)
    members = [np.flatnonzero(languages == code) for code in codes]
    rng, peer_boot = np.random.default_rng(0), 20
    start = time.perf_counter()
    for _ in range(peer_boot):
        pick = np.concatenate([members[i] for i in rng.integers(0, len(codes), len(codes))])
        np.linalg.lstsq(x[pick], y[pick], rcond=None)
    peer = (time.perf_counter() - start) / peer_boot * args.boot

    print(f"{args.runs:,} runs, {runs['language'].nunique()} languages, {args.boot:,} language resamples")
    print(f"(a) fit_scaling: {fit_time:.2f} s   (per 10x data {fit.per_10x_data[0]:+.2f}, "
          f"95% CI {fit.per_10x_data[1]:+.2f} to {fit.per_10x_data[2]:+.2f})")
    print(f"(b) answer:      {answer_time:.2f} s   ({'ok' if card.ok else 'cannot answer'})")
    print(f"(c) peer, refit each resample: {peer:.2f} s (from {peer_boot} resamples)")
    total = fit_time + answer_time
    print(f"(a) + (b) = {total:.2f} s; the peer's bootstrap alone is {peer / fit_time:.0f}x (a)")
    print(f"target: (a) + (b) < 2 s -> {'met' if total < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
