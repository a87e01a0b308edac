"""The Scaling page's defaults and omissions, tested without Streamlit."""

import pandas as pd
import pytest

from salt_core.runs.identity import ZERO_SHOT
from salt_core.runs.importers import load_runs
from salt_core.runs.schema import reference_runs
from salt_core.runs.selection import (
    ALL_PROTOCOLS,
    by_protocol,
    default_kind,
    default_method,
    default_task,
    hidden,
    join_model_volumes,
    protocol_options,
    transfer_targets,
    units_by_use,
)
from tests.paths import REAL


def _with_upload():
    bundled = reference_runs().assign(origin="published")
    upload = load_runs(REAL / "lm_eval_v03_bloom-560m_xnli_0-shot.json").runs.assign(origin="yours: bloom.json")
    upload, notes = join_model_volumes(upload)
    return pd.concat([bundled, upload], ignore_index=True), upload, notes


def test_defaults_without_uploads_are_xnli_zero_shot_transfer():
    runs = reference_runs()
    assert default_kind(runs) == "natural" and default_task(runs, "natural") == "XNLI"
    assert default_method(runs[runs["task"] == "XNLI"]) == ZERO_SHOT
    assert default_task(runs, "programming") == "MultiPL-E HumanEval"


def test_an_upload_moves_the_defaults_and_joins_its_model_corpus():
    runs, upload, notes = _with_upload()
    assert any("ROOTS" in n for n in notes) and (upload["pretraining_data_unit"].dropna() == "bytes").all()
    assert upload.loc[upload["language"] == "de", "pretraining_data"].isna().all()  # German is not in ROOTS
    assert default_kind(runs) == "natural" and default_task(runs, "natural") == "XNLI"
    assert default_method(runs[runs["task"] == "XNLI"]) == "prompted 0-shot"
    selection = runs[(runs["task"] == "XNLI") & (runs["method"] == "prompted 0-shot")]
    assert units_by_use(selection)[0] == "bytes"  # the upload's unit comes first
    with_volume = selection[selection["pretraining_data_unit"] == "bytes"]
    left = hidden(upload, selection, with_volume)
    assert left.uploads_hidden == 0 and "de" in set(left.no_volume["language"])
    assert hidden(upload, selection[selection["origin"] == "published"], with_volume).uploads_hidden == 15


def test_protocols_are_not_mixed_when_one_model_and_language_was_measured_twice():
    runs = reference_runs()
    code = runs[(runs["task"] == "MultiPL-E HumanEval") & (runs["method"] == "prompted 0-shot")]
    options, default = protocol_options(code)
    assert default != ALL_PROTOCOLS and default.startswith("bigcode-evaluation-harness; prompted zero-shot")
    chosen = by_protocol(code, default)
    assert chosen.groupby(["model", "language"]).size().max() == 1
    xnli = runs[(runs["task"] == "XNLI") & (runs["method"] == ZERO_SHOT)]
    assert protocol_options(xnli) == ([ALL_PROTOCOLS], ALL_PROTOCOLS)


def test_english_is_left_out_of_zero_shot_transfer_only():
    assert transfer_targets(["de", "en", "sw"], "natural", ZERO_SHOT) == ["de", "sw"]
    assert transfer_targets(["de", "en"], "natural", "prompted 0-shot") == ["de", "en"]
    assert transfer_targets(["Python"], "programming", "prompted 0-shot") == ["Python"]


def test_non_embedding_counts_replace_params_and_families_without_one_are_named():
    import pandas as pd

    from salt_core.runs.selection import with_parameter_count

    runs = pd.DataFrame({"model": ["XLM-R Base", "XLM-R Large", "bloom-560m"], "model_family": ["XLM-R", "XLM-R",
                                                                                             "BLOOM"],
                         "params": [250e6, 560e6, 560e6], "score": [70.0, 75.0, 40.0]})
    same, notes = with_parameter_count(runs, "total")
    assert same is runs and notes == []
    counted, notes = with_parameter_count(runs, "non-embedding")
    assert counted["params"].tolist() == [85_054_464.0, 302_309_376.0]
    assert len(notes) == 1 and "BLOOM" in notes[0]


@pytest.mark.parametrize("layers,hidden,ffn,name", [(12, 768, 3072, "XLM-R Base"), (24, 1024, 4096, "XLM-R Large"),
                                                    (12, 768, 3072, "mBERT")])
def test_computed_non_embedding_counts_equal_a_transformers_encoder_of_that_shape(layers, hidden, ffn, name):
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    from salt_core.runs.catalogue import resolve_model

    config = BertConfig(hidden_size=hidden, intermediate_size=ffn, num_attention_heads=hidden // 64)
    per_layer = sum(p.numel() for p in BertLayer(config).parameters())
    assert resolve_model(name).non_embedding_params == layers * per_layer


def test_bundled_sets_pick_published_runs_by_kind_and_the_tools_own_runs_by_origin():
    import pandas as pd

    from salt_core.runs.selection import BUNDLES, OWN, PUBLISHED, bundled_sets

    runs = pd.DataFrame({"origin": [PUBLISHED, PUBLISHED, OWN, "yours: a.json"],
                         "language_kind": ["natural", "programming", "natural", "natural"], "score": [1, 2, 3, 4]})
    assert bundled_sets(runs, ["natural-language reference runs"])["score"].tolist() == [1]
    assert bundled_sets(runs, [OWN])["score"].tolist() == [3]  # natural too, but only through its own set
    assert bundled_sets(runs, list(BUNDLES))["score"].tolist() == [1, 2, 3]  # an upload is never a bundled set
    assert bundled_sets(runs, []).empty


def test_known_problems_list_flagged_runs_with_severity_and_without_the_exclusion_marker():
    import pandas as pd

    from salt_core.runs.schema import EXCLUDE, reference_runs, severity
    from salt_core.runs.selection import known_problems

    reference = reference_runs()
    problems = known_problems(reference)
    flagged = reference["flags"].fillna("").ne("")
    assert len(problems) == int(flagged.sum()) > 0
    assert not problems["flags"].str.contains(EXCLUDE, regex=False).any()
    serious = reference.loc[flagged & reference["flags"].str.contains(EXCLUDE, regex=False)]
    assert set(problems.loc[serious.index, "severity"]) == set(serious["flags"].map(severity))
    assert known_problems(pd.DataFrame(columns=reference.columns)).empty


def test_the_committed_own_runs_read_back_and_take_their_volumes(tmp_path):
    """The experiment's committed CSV (written by the real training loop) leaves pretraining_data_unit empty in
    every row, which pandas reads as float; joining volumes into it once raised a TypeError on the Scaling page."""
    from salt_core.files import write_table
    from salt_core.runs.schema import OWN_RUNS, own_runs
    from salt_core.runs.selection import join_model_volumes

    if not OWN_RUNS.is_file():
        pytest.skip("no committed own runs yet")
    own = own_runs()
    assert len(own) and own["pretraining_data_unit"].isna().all()
    joined, _ = join_model_volumes(own)
    english = joined[joined["language"] == "en"]
    assert (english["pretraining_data_unit"] == "GiB").all() and (english["pretraining_data"] > 100).all()
    empty = own.assign(notes=None, flags=None)  # any all-empty text column stays text
    write_table(empty, tmp_path / "runs.csv")
    back = own_runs(tmp_path / "runs.csv")
    assert back["flags"].dtype == object and back["notes"].dtype == object
    back.loc[0, "flags"] = "a flag"  # what a join does to a text column
