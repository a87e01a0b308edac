"""More pretraining data for a language, or a bigger model? Fits and the answer, with their uncertainty.

Model (ordinary least squares on the selected runs):

    score = a + b * log10(data) + c * log10(params)  [+ per-family intercepts]  [+ d * log10(data) * log10(params)]

b is "points per 10x data", c "points per 10x parameters". Doubling the model adds c * log10(2) points;
the same gain from data needs 2 ** (c / b) times more of it: the *equivalent data multiplier*. With an
interaction term, b and c are reported at the selection's mean log10(params) and log10(data). Intervals
are 95% percentile bootstrap intervals over *languages* (whole languages resampled with replacement,
1,000 resamples, seed 0 unless given): runs of one language are not independent. Correlations carry
Fisher-z 95% intervals. Small selections say so: every result carries n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salt_core.errors import InputError
from salt_core.runs.catalogue import size_label

MIN_POINTS = 6  # below this a three-parameter fit says nothing
N_BOOT = 1000  # language resamples of every interval: the library, the page and its exports say the same number
MIN_LANGUAGES = 6  # this project's rule: fewer languages give too few distinct resamples (3 languages: 10) for a
# 95% percentile interval to mean anything, so below it a number is given without an interval, or not at all


@dataclass
class Correlation:
    r: float
    n: int
    low: float  # 95% interval (Fisher z); nan when n < 4
    high: float

    def __str__(self) -> str:
        interval = f", 95% CI {self.low:+.2f} to {self.high:+.2f}" if not math.isnan(self.low) else ""
        return f"r = {self.r:+.2f} (n = {self.n}{interval})"


def pearson(x, y) -> Correlation:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        raise InputError(f"A correlation needs at least 3 points that vary (got {len(x)}).")
    r = float(np.corrcoef(x, y)[0, 1])
    if len(x) < 4:
        return Correlation(r, len(x), math.nan, math.nan)
    z, se = math.atanh(max(min(r, 0.999999), -0.999999)), 1 / math.sqrt(len(x) - 3)
    return Correlation(r, len(x), math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se))


def fittable(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The runs a data-vs-size fit can use, and why the others cannot (reasons the page shows)."""
    reasons = []
    usable = runs.dropna(subset=["pretraining_data", "params", "score"])
    if len(usable) < len(runs):
        reasons.append(f"{len(runs) - len(usable)} of {len(runs)} runs lack a data volume or a parameter count")
    zero = usable["pretraining_data"].astype(float) <= 0
    if zero.any():
        languages = ", ".join(sorted(map(str, usable.loc[zero, "language"].unique())))
        reasons.append(f"{int(zero.sum())} runs have no pretraining data at all for their language ({languages}): "
                       "log10(0) has no place in a log-scale fit, so they are left out of it (the data figure draws "
                       "them beside its axis)")
        usable = usable[~zero]
    units = usable["pretraining_data_unit"].dropna().unique()
    if len(units) > 1:
        raise InputError("The selection mixes data units (" + ", ".join(map(str, units)) + "): pick one unit, or "
                         "convert bytes to GiB explicitly.")
    return usable, reasons


@dataclass
class Fit:
    terms: pd.DataFrame  # term, estimate, low, high
    n: int
    r2: float
    per_10x_data: tuple[float, float, float]  # estimate, low, high
    per_10x_params: tuple[float, float, float]
    data_multiplier: tuple[float, float, float]  # data factor worth one doubling of the model
    unit: str
    sizes: int  # distinct parameter counts
    languages: int


def _design(runs: pd.DataFrame, families: bool, interaction: bool):
    logd, logp = np.log10(runs["pretraining_data"].to_numpy(float)), np.log10(runs["params"].to_numpy(float))
    columns, names = [np.ones(len(runs)), logd, logp], ["intercept", "log10(data)", "log10(params)"]
    if interaction:
        columns.append(logd * logp)
        names.append("log10(data) x log10(params)")
    if families:
        for family in sorted(runs["model_family"].astype(str).unique())[1:]:
            columns.append((runs["model_family"].astype(str) == family).to_numpy(float))
            names.append(f"family: {family}")
    return np.column_stack(columns), names, logd, logp


def _slopes(beta: np.ndarray, interaction: bool, mean_logd: float, mean_logp: float) -> tuple[float, float]:
    b, c = beta[1], beta[2]
    if interaction:
        b, c = b + beta[3] * mean_logp, c + beta[3] * mean_logd
    return float(b), float(c)


def _multiplier(b: float, c: float) -> float:
    return float(2 ** min(c / b, 1023)) if b > 0 else math.inf  # beyond 2**1023 a float is infinite anyway


def fit_scaling(runs: pd.DataFrame, *, families: bool = False, interaction: bool = False, n_boot: int = N_BOOT,
                seed: int = 0) -> Fit:
    """Fit the model above to runs that have both a data volume and a parameter count."""
    usable, _ = fittable(runs)
    sizes, languages = usable["params"].nunique(), usable["language"].nunique()
    if len(usable) < MIN_POINTS:
        raise InputError(f"Only {len(usable)} runs have both a data volume and a parameter count; a fit needs at "
                         f"least {MIN_POINTS}.")
    if sizes < 2:
        raise InputError("All selected runs come from one model size: the selection cannot separate the effect of "
                         "size from that of data. Add runs of another size.")
    if languages < 2:
        raise InputError("All selected runs are in one language: data volume does not vary.")
    x, names, logd, logp = _design(usable, families, interaction)
    y = usable["score"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    r2 = float(1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))) if np.std(y) > 0 else math.nan
    boots = language_bootstrap(x, y, usable["language"].to_numpy(), n_boot, seed)
    slopes = np.array([_slopes(sample, interaction, logd.mean(), logp.mean()) for sample in boots]).reshape(-1, 2)
    low, high = np.percentile(boots, [2.5, 97.5], axis=0) if len(boots) else (np.full(len(beta), math.nan),) * 2
    terms = pd.DataFrame({"term": names, "estimate": beta, "low": low, "high": high})
    b, c = _slopes(beta, interaction, logd.mean(), logp.mean())
    multipliers = np.array([_multiplier(bb, cc) for bb, cc in slopes])

    def interval(values, estimate):
        finite = values[np.isfinite(values)]
        lo, hi = (np.percentile(finite, [2.5, 97.5]) if len(finite) else (math.nan, math.nan))
        return float(estimate), float(lo), float(hi if len(finite) == len(values) else math.inf)

    return Fit(terms, len(y), r2, interval(slopes[:, 0], b), interval(slopes[:, 1], c),
               interval(multipliers, _multiplier(b, c)), str(usable["pretraining_data_unit"].iloc[0]), sizes,
               languages)


def language_bootstrap(x: np.ndarray, y: np.ndarray, languages: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """OLS coefficients of `n_boot` resamples of whole languages (with replacement): (n_kept, k).

    Languages, not runs, are the resampling unit: runs of one language share its data volume and its quirks,
    so resampling runs would understate the uncertainty of a per-language effect. Each language's X'X and X'y
    are summed once; a resample is then a weighted sum of them and one k x k solve, so 1,000 resamples of
    100,000 runs take a fraction of a second. Resamples that cannot identify every coefficient (they lost a
    model size or a family) are dropped.
    """
    codes, index = np.unique(languages.astype(str), return_inverse=True)
    k = x.shape[1]
    xtx = np.zeros((len(codes), k, k))
    np.add.at(xtx, index, x[:, :, None] * x[:, None, :])
    xty = np.zeros((len(codes), k))
    np.add.at(xty, index, x * y[:, None])
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(codes), np.full(len(codes), 1 / len(codes)), size=n_boot).astype(float)
    a, rhs = np.einsum("bl,lij->bij", counts, xtx), np.einsum("bl,li->bi", counts, xty)
    scale = np.abs(a).max(axis=(1, 2), keepdims=True)
    solvable = np.linalg.matrix_rank(a / np.where(scale > 0, scale, 1), tol=1e-9) == k
    return np.linalg.solve(a[solvable], rhs[solvable][..., None])[..., 0] if solvable.any() else np.empty((0, k))


def model_gains(runs: pd.DataFrame) -> pd.DataFrame:
    """Per family, task, method and language: score of the largest model minus score of the smallest."""
    rows = []
    keyed = runs.dropna(subset=["params", "score"])
    for (family, task, method), group in keyed.groupby(["model_family", "task", "method"]):
        if group["params"].nunique() < 2:
            continue
        small, large = group["params"].min(), group["params"].max()
        for language, per_language in group.groupby("language"):
            lo, hi = per_language[per_language["params"] == small], per_language[per_language["params"] == large]
            if len(lo) and len(hi):
                rows.append({"model_family": family, "task": task, "method": method, "language": language,
                             "small_model": lo["model"].iloc[0], "large_model": hi["model"].iloc[0],
                             "gain": float(hi["score"].mean() - lo["score"].mean()),
                             "pretraining_data": hi["pretraining_data"].iloc[0],
                             "pretraining_data_unit": hi["pretraining_data_unit"].iloc[0]})
    return pd.DataFrame(rows, columns=["model_family", "task", "method", "language", "small_model", "large_model",
                                       "gain", "pretraining_data", "pretraining_data_unit"])


def resource_groups(runs: pd.DataFrame) -> pd.Series:
    """low / mid / high by the language's data volume (tertiles of the selection's languages)."""
    volumes = runs.groupby("language")["pretraining_data"].first().dropna()
    volumes = volumes[volumes.astype(float) > 0]
    if len(volumes) < 3:
        return pd.Series("all", index=runs.index)
    low, high = np.quantile(np.log10(volumes), [1 / 3, 2 / 3])
    group = np.log10(volumes).map(lambda v: "low" if v <= low else "high" if v > high else "mid")
    return runs["language"].map(group).fillna("unknown volume")


@dataclass
class Answer:
    ok: bool
    headline: str  # one or two sentences with the numbers
    details: list[str]  # caveats, per-group findings
    table: pd.DataFrame | None = None  # the headline's numbers: quantity, estimate, low, high (95% CI over languages)


def _signed(estimate: float, low: float, high: float, unit: str = "points") -> str:
    """A number with its interval; an interval that spans zero is said in words, not as a direction."""
    interval = f"95% CI {low:+.1f} to {high:+.1f}"
    if math.isnan(low) or math.isnan(high):
        return f"{estimate:+.1f} {unit} (no interval: too few languages)"
    if low <= 0 <= high:
        return f"no clear effect ({estimate:+.1f} {unit}, {interval})"
    return f"{estimate:+.1f} {unit} ({interval})"


def bootstrap_correlation(x, y, groups, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float, float, int]:
    """Pearson r of x and y with a 95% percentile interval from resampling whole groups (languages)."""
    x, y, groups = np.asarray(x, float), np.asarray(y, float), np.asarray(groups).astype(str)
    r = float(np.corrcoef(x, y)[0, 1])
    codes = np.unique(groups)
    members = [np.flatnonzero(groups == code) for code in codes]
    rng, values = np.random.default_rng(seed), []
    for _ in range(n_boot):
        pick = np.concatenate([members[i] for i in rng.integers(0, len(codes), len(codes))])
        if np.std(x[pick]) > 0 and np.std(y[pick]) > 0:
            values.append(np.corrcoef(x[pick], y[pick])[0, 1])
    low, high = np.percentile(values, [2.5, 97.5]) if len(values) >= n_boot // 2 else (math.nan, math.nan)
    return r, float(low), float(high), len(codes)


def two_size_difference(runs: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float, float]:
    """Mean over languages of (score of the larger size - score of the smaller), with a language bootstrap."""
    small, large = sorted(runs["params"].unique())[:2]
    per_language = runs.groupby(["language", "params"])["score"].mean().unstack()
    differences = (per_language[large] - per_language[small]).dropna().to_numpy()
    rng = np.random.default_rng(seed)
    means = [differences[rng.integers(0, len(differences), len(differences))].mean() for _ in range(n_boot)]
    low, high = np.percentile(means, [2.5, 97.5]) if len(differences) >= MIN_LANGUAGES else (math.nan, math.nan)
    return float(differences.mean()), float(low), float(high)


def trade_off(data: tuple[float, float, float], size: tuple[float, float, float], size_step: str) -> str:
    """The question's answer in one line: which effect's interval lies above the other's, or neither."""
    line = f"**Trade-off:** 10x more data ({_signed(*data)}) against {size_step} ({_signed(*size)}): "
    if any(math.isnan(v) for v in (*data[1:], *size[1:])):
        return line + "too few languages to say which is larger with an interval."
    if data[1] > size[2]:
        return line + "more data for a language is worth more here (the intervals do not overlap)."
    if size[1] > data[2]:
        return line + "the bigger model is worth more here (the intervals do not overlap)."
    return line + "neither clearly wins (the intervals overlap)."


def answer(runs: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> Answer:
    """Does more data for a low-resource language beat a bigger model, for this selection?

    Every number comes with a 95% interval from resampling languages (the same unit everywhere; `seed` fixed
    and stated); an interval that spans zero is phrased as "no clear effect"; a group with fewer than three
    languages gets no slope; with two model sizes the card gives their difference, not a rate per 10x.
    """
    try:
        usable, caveats = fittable(runs)
        fit = fit_scaling(usable, n_boot=n_boot, seed=seed)
    except InputError as exc:
        return Answer(False, f"This selection cannot answer the question: {exc}", [])
    b, c, m = fit.per_10x_data, fit.per_10x_params, fit.data_multiplier
    if fit.languages < MIN_LANGUAGES:  # estimates without intervals: too few languages to resample
        b, c, m = (b[0], math.nan, math.nan), (c[0], math.nan, math.nan), (m[0], math.nan, math.nan)
    opening = f"Across {fit.n} runs ({fit.languages} languages, {fit.sizes} model sizes; data in {fit.unit}), "
    data_part = f"10x more pretraining data goes with {_signed(*b)}"
    if fit.sizes == 2:
        small, large = sorted(usable["params"].unique())[:2]
        difference = two_size_difference(usable, n_boot, seed)
        size_part = (f"; from two sizes only, {size_label(large)} against {size_label(small)} parameters: "
                     f"{_signed(*difference)} (no rate per 10x parameters is extrapolated from two points).")
    else:
        multiplier = (f"{m[0]:,.1f}x" if math.isfinite(m[0]) else "no finite amount of") + \
            (f" (95% CI {m[1]:,.1f}x to {m[2]:,.1f}x)" if math.isfinite(m[1]) and math.isfinite(m[2]) else
             " (interval unbounded)")
        size_part = (f" and 10x more parameters with {_signed(*c)}. Doubling the model is worth {multiplier} more "
                     "data for a language.")
    size_effect, size_step = (difference, f"{large / small:,.1f}x more parameters (the two sizes)") \
        if fit.sizes == 2 else (c, "10x more parameters")
    headline = opening + data_part + size_part + "\n\n" + trade_off(b, size_effect, size_step)
    rows = [("10x more pretraining data (points)", *b), (f"{size_step} (points)", *size_effect)]
    if fit.sizes != 2:
        rows.append(("data worth doubling the model (x)", *m))
    table = pd.DataFrame(rows, columns=["quantity", "estimate", "low", "high"])
    details = list(caveats)
    gains = model_gains(usable).dropna(subset=["pretraining_data"])
    gains = gains[gains["pretraining_data"].astype(float) > 0]
    if gains["language"].nunique() >= MIN_LANGUAGES and gains["gain"].std() > 0 and \
            gains["pretraining_data"].nunique() > 1:
        r, low, high, n = bootstrap_correlation(np.log10(gains["pretraining_data"].astype(float)), gains["gain"],
                                                gains["language"], n_boot, seed)
        if low <= 0 <= high:
            details.append(f"The gain from the bigger model against log10(data): r = {r:+.2f} (n = {n} languages, "
                           f"95% CI {low:+.2f} to {high:+.2f}): no clear relation.")
        else:
            direction = "low-resource" if r < 0 else "high-resource"
            details.append(f"The gain from the bigger model correlates with log10(data) at r = {r:+.2f} (n = {n} "
                           f"languages, 95% CI {low:+.2f} to {high:+.2f}): scaling the model helps {direction} "
                           "languages more.")
    groups = resource_groups(usable)
    for name in ("low", "mid", "high"):
        subset = usable[groups == name]
        if not len(subset):
            continue
        if subset["language"].nunique() < MIN_LANGUAGES:
            details.append(f"{name}-resource languages ({subset['language'].nunique()} languages): too few languages "
                           f"for a slope with an interval (an interval over languages needs at least {MIN_LANGUAGES}).")
            continue
        try:
            part = fit_scaling(subset, n_boot=n_boot, seed=seed)
            details.append(f"{name}-resource languages ({part.languages} languages, n = {part.n}): "
                           f"{_signed(*part.per_10x_data)} per 10x data; "
                           + (f"{_signed(*part.per_10x_params)} per 10x parameters." if part.sizes > 2 else
                              "sizes compared above."))
        except InputError as exc:
            details.append(f"{name}-resource languages: no fit ({exc})")
    details.append(f"Intervals: 95% percentile bootstrap over languages ({n_boot:,} resamples, seed {seed}).")
    if fit.n < 30:
        details.append(f"Small sample (n = {fit.n}): treat the intervals, not the point estimates, as the result.")
    return Answer(True, headline, details, table)


def method_deltas(runs: pd.DataFrame, method: str, baseline: str) -> pd.DataFrame:
    """Per model, task and language: mean score under `method` minus mean under `baseline`, over seeds.

    Each side is the mean of its seeds; `n`/`baseline_n` count them. With at least two seeds on both sides the
    delta carries scipy's 95% Welch interval (unequal variances, Welch-Satterthwaite degrees of freedom: `low`,
    `high`); with one seed on a side there is no interval (NaN). This treats the two sides' seeds as independent
    samples; where the seeds are shared, `salt_core.runs.comparison` pairs them."""
    from scipy import stats as scipy_stats

    keys = ["model", "task", "language"]
    sides = {name: runs[runs["method"] == name].groupby(keys)["score"] for name in (method, baseline)}
    rows = []
    for key, treated in sides[method]:
        if key not in sides[baseline].groups:
            continue
        base = sides[baseline].get_group(key)
        low = high = float("nan")
        if len(treated) >= 2 and len(base) >= 2 and (treated.var() > 0 or base.var() > 0):
            interval = scipy_stats.ttest_ind(treated, base, equal_var=False).confidence_interval(0.95)
            low, high = float(interval.low), float(interval.high)
        rows.append(dict(zip(keys, key)) | {
            "method": method, "baseline": baseline, "score": treated.mean(), "baseline_score": base.mean(),
            "delta": treated.mean() - base.mean(), "low": low, "high": high, "n": len(treated),
            "baseline_n": len(base)})
    return pd.DataFrame(rows, columns=[*keys, "method", "baseline", "score", "baseline_score", "delta", "low", "high",
                                       "n", "baseline_n"])


def select(runs: pd.DataFrame, *, task=None, method=None, metric=None, families=None, kind=None,
           languages=None) -> pd.DataFrame:
    """The runs matching every given criterion (None: no constraint)."""
    keep = pd.Series(True, index=runs.index)
    for column, value in (("task", task), ("method", method), ("metric", metric), ("language_kind", kind)):
        if value is not None:
            keep &= runs[column] == value
    for column, values in (("model_family", families), ("language", languages)):
        if values is not None:
            keep &= runs[column].isin(values)
    return runs[keep]
