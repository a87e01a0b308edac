"""A method against its baseline, with statistics that respect how the runs were made.

What was replicated is the *training run*: each seed of each method is one model, and every language of a run is
scored by that same model. SIB-200's (and XNLI's) test sets are translations of one another, so a run that
trained better is better in every language at once: languages are not independent evidence. A t-test over
languages of seed-averaged scores calls 91% of simulated *null* experiments significant (each run's own offset
shared by its languages); this module never does that.

* Primary comparison (`compare_by_seed`): per seed s, the mean over the target languages of method minus
  baseline, d_s. The effect is mean(d_s) with a paired t interval over seeds (scipy's `ttest_1samp(...)
  .confidence_interval()`; "clear" when it excludes 0) and, beside it, an exact sign-flip permutation test over
  seeds (scipy's `permutation_test`, every one of the 2^n flips when n <= 16). The seeds must be *shared*: seed s of the method pairs with seed s of
  the baseline (same data order and head initialisation); unpaired seeds are left out and counted. With n seeds
  the smallest two-sided sign-flip p is 2/2^n (0.0625 at 5 seeds): a reader sees the n.
* The source language (English) and the transfer gap (source minus target mean) are reported apart: a method
  that gains as much in English as in the targets trained better; it did not transfer better.
* Augmented and non-augmented target languages are reported apart when the augmented ones are known.
* Per language (`per_language`): the seed-paired deltas of each language, a t interval over seeds and its p,
  with Holm's correction across languages (stated); `per_language_bootstrap` adds a paired bootstrap over test
  sentences where runs kept their per-example predictions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salt_core.errors import InputError

MIN_SEEDS = 2  # an interval over seeds needs two of them


def _paired_frame(runs: pd.DataFrame, method: str, baseline: str) -> pd.DataFrame:
    """One row per (model, task, language, seed) that both methods ran: score and baseline_score."""
    if "seed" not in runs.columns:
        raise InputError("These runs carry no seed: a comparison paired by seed needs the seed of every run.")
    keys = ["model", "task", "language", "seed"]
    chosen = runs[runs["seed"].notna()]
    sides = [chosen[chosen["method"] == name].groupby(keys)["score"].mean().rename(label)
             for name, label in ((method, "score"), (baseline, "baseline_score"))]
    return pd.concat(sides, axis=1, join="inner").reset_index()


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of p-values (controls the family-wise error rate across the family)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


# Scores are stored to 4 decimals (points), so seeds whose deltas agree within 1e-3 points gave the same delta: what
# differs is the rounding, and a t interval from rounding noise alone is as narrow as it is false (two seeds that
# both gained 8 of 204 sentences once made a language "significant" after Bonferroni over 41).
SCORE_TOLERANCE = 1e-3


def no_spread(values) -> bool:
    """Every value the same within `SCORE_TOLERANCE`: nothing for a t interval to measure."""
    v = np.asarray(values, dtype=float)
    return len(v) > 0 and float(np.ptp(v)) < SCORE_TOLERANCE


def t_interval(values) -> tuple[float, float, float, float]:
    """(mean, low, high, p) of per-seed values: the 95% t interval about their mean and the t-test's p against 0.
    NaN interval and p with fewer than `MIN_SEEDS` values, or when every value is the same (`no_spread`): a width
    of 0 would measure nothing but the stored rounding."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    nan = float("nan")
    mean = float(v.mean()) if len(v) else nan
    if len(v) < MIN_SEEDS or no_spread(v):
        return mean, nan, nan, nan
    test = stats.ttest_1samp(v, 0.0)
    interval = test.confidence_interval(0.95)
    return mean, float(interval.low), float(interval.high), float(test.pvalue)


def seed_interval(deltas) -> tuple[float, float, float, float, float]:
    """(mean, low, high, t p, sign-flip p) of per-seed deltas: the 95% paired t interval with its p (`t_interval`),
    and an exact sign-flip permutation test (no normality assumed, but coarse: its smallest p is 2/2^n)."""
    from scipy import stats

    d = np.asarray(deltas, dtype=float)
    mean, low, high, p_t = t_interval(d)
    if len(d) < MIN_SEEDS:
        return mean, low, high, p_t, float("nan")
    flips = stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=np.inf if len(d) <= 16
                                   else 20_000, alternative="two-sided", random_state=0)
    return mean, low, high, p_t, float(flips.pvalue)


@dataclass
class Effect:
    mean: float
    low: float  # 95% paired t interval over seeds
    high: float
    p: float  # paired t-test over seeds, two-sided
    p_sign: float  # exact sign-flip permutation test over seeds, two-sided

    @property
    def clear(self) -> bool:
        """The interval excludes zero (the t-test's p <= 0.05)."""
        return not math.isnan(self.low) and (self.low > 0 or self.high < 0)

    def text(self, what: str) -> str:
        if math.isnan(self.low):
            if math.isnan(self.p_sign):
                return f"{what} {self.mean:+.2f} points (one seed: no interval)"
            return (f"{what} {self.mean:+.2f} points (every seed gave the same delta: no t interval; sign-flip "
                    f"p = {self.p_sign:.3g})")
        return (f"{what} {self.mean:+.2f} points (95% CI over seeds {self.low:+.2f} to {self.high:+.2f}; paired t "
                f"p = {self.p:.3g}, sign-flip p = {self.p_sign:.3g})")


@dataclass
class SeedComparison:
    """One model and task: the method against the baseline, paired by seed."""

    model: str
    task: str
    method: str
    baseline: str
    seeds: int  # seeds both methods ran
    unpaired_seeds: int  # seeds only one of them ran (left out)
    targets: int  # target languages averaged per seed
    target: Effect  # mean over the target languages
    source: Effect | None  # the source language alone
    gap: Effect | None  # change of the transfer gap (source minus target mean): negative = the gap closed
    groups: dict[str, tuple[int, Effect]] = field(default_factory=dict)  # e.g. augmented / not augmented
    per_seed: pd.DataFrame | None = None

    def lines(self) -> list[str]:
        head = (f"{self.model}, {self.task}: {self.method} against {self.baseline} over {self.seeds} shared seeds"
                + (f" ({self.unpaired_seeds} unpaired seeds left out)" if self.unpaired_seeds else "") + ".")
        out = [head, self.target.text(f"Target languages ({self.targets}, each seed's mean):")]
        for name, (count, effect) in self.groups.items():
            out.append(effect.text(f"{name} ({count}):"))
        if self.source is not None:
            out.append(self.source.text("Source language:"))
        if self.gap is not None:
            out.append(self.gap.text("Transfer gap (source minus targets), change:"))
        if self.source is not None and not math.isnan(self.source.low) and self.source.low > 0 and \
                self.source.mean >= self.target.mean:
            out.append("The source language gains at least as much as the targets: better training, not better "
                       "transfer.")
        if self.seeds < 6:
            out.append(f"{self.seeds} seeds: the smallest sign-flip p possible is {2 / 2 ** self.seeds:.3g}, so that "
                       "test alone cannot reach 0.05; the t interval assumes the seed deltas are roughly normal.")
        return out

    def __str__(self) -> str:
        return " ".join(self.lines())


def compare_by_seed(runs: pd.DataFrame, method: str, baseline: str, source: str | None = "en",
                    groups: dict[str, set[str]] | None = None) -> list[SeedComparison]:
    """The primary comparison (module docstring), per model and task. `source`: the language trained on (its own
    line, left out of the targets); `groups`: named sets of target languages (e.g. augmented) reported apart."""
    paired = _paired_frame(runs, method, baseline)
    ran = runs[runs["method"].isin([method, baseline]) & runs["seed"].notna()]
    seeds_of = ran.groupby(["model", "task", "method"])["seed"].agg(set).to_dict()
    results = []
    for (model, task), frame in paired.groupby(["model", "task"]):
        frame = frame.assign(delta=frame["score"] - frame["baseline_score"])
        unpaired = seeds_of.get((model, task, method), set()) ^ seeds_of.get((model, task, baseline), set())
        targets = frame[frame["language"] != source]
        if targets.empty:
            continue
        languages = sorted(set(targets["language"]))
        # every seed must have scored every target language on both sides, or its mean is over other languages
        complete = targets.groupby("seed")["language"].nunique() == len(languages)
        seeds = sorted(complete[complete].index)
        per_seed = targets[targets["seed"].isin(seeds)].groupby("seed")["delta"].mean().rename("target")
        if per_seed.empty:
            continue
        effect = Effect(*seed_interval(per_seed))
        source_rows = frame[(frame["language"] == source) & frame["seed"].isin(seeds)].set_index("seed")["delta"]
        source_effect = gap = None
        if len(source_rows) == len(seeds):
            source_effect = Effect(*seed_interval(source_rows.loc[seeds]))
            gap = Effect(*seed_interval(source_rows.loc[seeds] - per_seed.loc[seeds]))
            per_seed = pd.concat([per_seed, source_rows.rename("source")], axis=1)
        named = {}
        for name, members in (groups or {}).items():
            part = targets[targets["language"].isin(members) & targets["seed"].isin(seeds)]
            if part["language"].nunique():
                named[name] = (int(part["language"].nunique()),
                               Effect(*seed_interval(part.groupby("seed")["delta"].mean())))
        results.append(SeedComparison(str(model), str(task), method, baseline, len(seeds),
                                      len(unpaired), len(languages), effect,
                                      source_effect, gap, named, per_seed.reset_index()))
    return results


def per_language(runs: pd.DataFrame, method: str, baseline: str) -> pd.DataFrame:
    """Per model, task and language: the mean seed-paired delta, its 95% t interval over seeds and p, and Holm's
    adjusted p across the languages of that model and task."""
    paired = _paired_frame(runs, method, baseline)
    rows = []
    for (model, task, language), frame in paired.groupby(["model", "task", "language"]):
        mean, low, high, p, _ = seed_interval(frame["score"] - frame["baseline_score"])
        rows.append({"model": model, "task": task, "language": language, "delta": mean, "low": low, "high": high,
                     "p": p, "seeds": len(frame)})
    table = pd.DataFrame(rows, columns=["model", "task", "language", "delta", "low", "high", "p", "seeds"])
    table["p_holm"] = np.nan
    for _, index in table.groupby(["model", "task"]).groups.items():
        valid = table.loc[index, "p"].notna()
        chosen = table.loc[index][valid].index
        if len(chosen):
            table.loc[chosen, "p_holm"] = holm(table.loc[chosen, "p"])
    return table


def augmented_languages(runs: pd.DataFrame, method: str) -> set[str]:
    """The languages a method's runs code-switched into, as their protocol states ("code-switched into de,fr
    from ..."; runs trained here say so); empty when no run states it."""
    import re

    found: set[str] = set()
    for protocol in runs.loc[runs["method"] == method, "protocol"].dropna().astype(str).unique():
        match = re.search(r"code-switched into ([^ ;]+) from", protocol)
        if match:
            found |= set(match.group(1).split(","))
    return found


def comparison_groups(runs: pd.DataFrame, method: str, source: str | None = "en") -> dict[str, set[str]] | None:
    """Augmented and non-augmented target languages, where the method's runs state their augmentation."""
    augmented = augmented_languages(runs, method)
    if not augmented:
        return None
    others = set(runs.loc[runs["method"] == method, "language"]) - augmented - {source}
    return {"augmented languages": augmented, "languages not augmented": others}


def sentence_bootstrap(per_sentence, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float, float]:
    """(mean, low, high, p) of per-sentence paired differences: a 95% percentile bootstrap over test sentences
    (scipy's `bootstrap`) and a two-sided bootstrap p (twice the smaller share of resampled means on either side
    of zero)."""
    from scipy import stats

    d = np.asarray(per_sentence, dtype=float)
    mean = float(d.mean())
    if len(d) < 2 or np.allclose(d, d[0]):
        return mean, mean, mean, 1.0 if mean == 0 else 0.0
    result = stats.bootstrap((d,), np.mean, n_resamples=n_boot, method="percentile", random_state=seed)
    means = result.bootstrap_distribution
    p = min(1.0, 2 * min(float((means <= 0).mean()), float((means >= 0).mean())))
    return mean, float(result.confidence_interval.low), float(result.confidence_interval.high), p


def per_language_bootstrap(correct: pd.DataFrame, method: str, baseline: str, n_boot: int = 2000) -> pd.DataFrame:
    """Per language, from each test sentence's outcome (`correct`: method, seed, language, sentence, correct 0/1):
    the delta in points over the seeds both methods ran, a paired bootstrap over the test sentences (the same
    sentences resampled for both sides, seeds averaged), and across languages Holm's and Benjamini-Hochberg's
    adjusted p (scipy's `false_discovery_control`). The sentences are the resampled unit: this interval is the
    test set's sampling error; the seed-paired one (`per_language`) is the training runs'."""
    from scipy import stats

    rows = []
    for language, frame in correct[correct["method"].isin([method, baseline])].groupby("language"):
        table = frame.pivot_table(index=["seed", "sentence"], columns="method", values="correct")
        if method not in table or baseline not in table:
            continue
        table = table.dropna()
        per_sentence = (table[method] - table[baseline]).groupby(level="sentence").mean() * 100
        mean, low, high, p = sentence_bootstrap(per_sentence.to_numpy(), n_boot)
        rows.append({"language": language, "delta": mean, "low": low, "high": high, "p": p,
                     "sentences": len(per_sentence), "seeds": table.index.get_level_values("seed").nunique()})
    out = pd.DataFrame(rows, columns=["language", "delta", "low", "high", "p", "sentences", "seeds"])
    if len(out):
        out["p_holm"] = holm(out["p"])
        out["p_bh"] = stats.false_discovery_control(out["p"].clip(lower=1e-300), method="bh")
    return out
