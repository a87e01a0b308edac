"""The experiment report (salt_core.runs.experiment_report) on runs the real training loop wrote, against slow
references; the dictionary control's stated languages; the README's SIB-200 section recomputed from the committed
runs."""

import importlib.util
import json
import math

import numpy as np
import pytest
from scipy import stats

from salt_core.runs import experiment_report as er
from salt_core.runs.facets import _cc100, volume_code
from salt_core.training.record import DETAILS
from tests.paths import ROOT
from tests.training.test_train_cli import needs_sib200

SALT, CONTROL = "SALT", "mixup with random same-language partners (control, not SALT)"
DICTIONARY = "code-switching from a dictionary (CoSDA-ML style, not SALT)"


@needs_sib200
def test_the_dictionary_control_states_only_the_languages_its_dictionary_covers(small_experiment):
    _, runs = small_experiment
    protocol = runs.drop_duplicates("method").set_index("method")["protocol"]
    assert "code-switched into de from a dictionary" in protocol[DICTIONARY]
    assert "code-switched into de,fr from" in protocol[SALT]
    groups = er.comparison_groups(runs, DICTIONARY)
    assert groups["augmented languages"] == {"de"} and groups["languages not augmented"] == {"fr", "swh", "yo"}


@needs_sib200
def test_each_run_records_its_wall_time_and_device(small_experiment):
    out, _ = small_experiment
    details = [json.loads(p.read_text()) for p in out.glob(f"*{DETAILS}")]
    assert len(details) == 8 and all(d["wall_seconds"] > 0 for d in details)
    assert {d["device"] for d in details} == {details[0]["device"]} and details[0]["device"].startswith("cpu, ")


@needs_sib200
def test_the_report_matches_slow_references(small_experiment):
    _, runs = small_experiment
    accuracy = runs[runs["metric"] == "accuracy"]
    result = er.report(runs, n_boot=200)
    assert result.complete and result.complete_seeds == [1, 2] and result.languages == 5
    english = accuracy[(accuracy["language"] == "en") & (accuracy["method"] == SALT)]["score"]
    assert result.source[SALT][0] == pytest.approx(english.mean())
    # primary effect: per seed, mean over the 4 targets of SALT minus baseline; then the mean over seeds
    table = accuracy.pivot_table(index=["seed", "language"], columns="method", values="score")
    targets = table.drop(index="en", level="language")
    per_seed = (targets[SALT] - targets[er.BASELINE]).groupby(level="seed").mean()
    assert result.comparisons[SALT].target.mean == pytest.approx(per_seed.mean())
    assert result.comparisons[SALT].seeds == 2 and set(result.comparisons) == {SALT, CONTROL, DICTIONARY}
    # per language: Bonferroni-corrected interval over seeds, by hand
    m = 4
    for row in result.per_language.itertuples():
        d = (targets[SALT] - targets[er.BASELINE]).xs(row.language, level="language").to_numpy()
        assert row.delta == pytest.approx(d.mean())
        if not math.isnan(row.low):
            half = stats.t.ppf(1 - 0.05 / (2 * m), len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
            assert (row.low, row.high) == pytest.approx((d.mean() - half, d.mean() + half))
            assert row.p_holm >= row.p
    # the trend: least-squares slope of delta on log10 CC-100 volume over the languages CC-100 has
    trend = result.trends[SALT]
    cc100 = _cc100()
    has = result.per_language[result.per_language["language"] != "yo"]
    x = np.log10([cc100[volume_code(code, cc100.index)] for code in has["language"]])
    slope = np.cov(x, has["delta"], ddof=1)[0, 1] / np.var(x, ddof=1)
    assert trend.slope == pytest.approx(slope) and trend.languages == 3 and trend.without == ["yo"]
    assert trend.slope_low <= trend.slope <= trend.slope_high


@needs_sib200
def test_a_partial_experiment_says_so_and_the_answer_keeps_its_caveats(small_experiment):
    _, runs = small_experiment
    partial = runs[~((runs["method"] == SALT) & (runs["seed"] == 2))]
    result = er.report(partial, n_boot=200)
    assert not result.complete and result.complete_seeds == [1]
    text = er.answer(result)
    assert "**Partial**" in text and "Caveats" in text and "similarity miner" in text
    assert "one seed: no interval" not in er.markdown(result)  # a single seed prints a dash, not an interval
    whole = er.answer(er.report(runs, n_boot=200))
    assert "Partial" not in whole and "over 2 shared seeds" in whole
    assert "English accuracy" in er.markdown(er.report(runs, n_boot=200))


def bench():
    spec = importlib.util.spec_from_file_location("bench_salt_sib200", ROOT / "benchmarks" / "bench_salt_sib200.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_section_recomputes_from_the_committed_runs():
    """Every figure the README prints about this tool's SIB-200 experiment is regenerated from the committed runs
    (benchmarks/results/sib200/) and must match, character for character."""
    module = bench()
    runs, _result, text, full = module.section(module.OUTPUT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text in readme
    assert module.REPORT.read_text(encoding="utf-8") == full
    if len(runs):
        combined = module.COMBINED.read_text(encoding="utf-8")
        assert combined.count("\n") == len(runs) + 1  # the committed CSV holds exactly these runs' rows
