import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.helpers import APP

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs"


def key_of(at, prefix):
    return prefix


def open_scaling() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["model"] = "demo"
    at.run()
    at.switch_page("pages/scaling.py")
    return at.run()


def _headline(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(w.value for w in at.warning)


def test_default_view_answers_for_xlmr_on_xnli():
    at = open_scaling()
    assert not at.exception and not at.error
    assert at.selectbox(key="task").value == "XNLI"
    assert at.selectbox(key="method").value == "zero-shot transfer (fine-tuned on English)"
    text = _headline(at)
    assert "10x more pretraining data goes with" in text and "95% CI" in text
    assert "helps low-resource languages more" in text
    assert "Trade-off:" in text  # the question's answer in one line, on the default view too


def test_filters_change_the_answer_and_say_when_it_cannot():
    at = open_scaling()
    at.multiselect(key=key_of(at, "families")).set_value(["XLM-R"]).run()
    at.multiselect(key=key_of(at, "languages")).set_value(["sw", "ur"]).run()
    assert not at.exception
    assert "at least 6" in _headline(at) or "cannot answer" in _headline(at)
    at.multiselect(key=key_of(at, "languages")).set_value(["de", "fr", "sw", "ur", "hi", "th", "el", "bg"]).run()
    assert "10x more pretraining data" in _headline(at)


def test_code_generation_shows_the_opposite_sign():
    at = open_scaling()
    at.multiselect(key="sets").set_value(["code-generation reference runs"]).run()
    at.radio(key="kind").set_value("programming").run()
    at.selectbox(key="method").set_value("prompted 0-shot").run()
    protocols = at.selectbox(key="protocol").options
    leaderboard = next(p for p in protocols if p.startswith("bigcode-evaluation-harness; prompted zero-shot"))
    assert at.selectbox(key="protocol").value == leaderboard  # sources that disagree on decoding are not mixed
    at.selectbox(key="protocol").set_value(leaderboard).run()
    at.multiselect(key=key_of(at, "families")).set_value(["StarCoderBase"]).run()
    assert not at.exception
    assert "helps high-resource languages more" in _headline(at)


def test_flags_are_visible_and_downloads_exist():
    at = open_scaling()
    captions = " ".join(c.value for c in at.caption)
    assert "known-problem flag" in captions
    # the answer card and the languages table as LaTeX and CSV; runs, fit, HTML; PNG, SVG and PDF with the caption
    buttons = at.get("download_button")
    assert len(buttons) == 10, [b.proto.label for b in buttons]
    labels = [b.proto.label for b in buttons]
    assert {"The answer's numbers (LaTeX)", "The answer's numbers (CSV)", "Per-language table (LaTeX)",
            "Per-language table (CSV)", "Data plot with its caption (PDF)"} <= set(labels)


def test_changing_task_resets_languages_instead_of_keeping_stale_ones():
    at = open_scaling()
    at.multiselect(key="languages").set_value(["sw", "ur"]).run()
    at.selectbox(key="task").set_value("PAWS-X").run()
    assert not at.exception
    chosen = at.multiselect(key="languages").value
    assert chosen and "sw" not in chosen and "en" not in chosen
    assert set(chosen) <= set(at.multiselect(key="languages").options)



def test_serious_problems_are_left_out_by_default_and_come_back_on_request():
    at = open_scaling()
    at.selectbox(key="method").set_value("prompted 0-shot").run()
    captions = " ".join(c.value for c in at.caption)
    assert "runs with serious known problems are left out" in captions
    left_out = int(captions.split(" runs with serious known problems")[0].split()[-1])
    assert left_out > 0  # prompted Arabic and LLaMA-13B sit at chance
    selected = int(next(c.value for c in at.caption if "runs selected" in c.value).split()[0])
    at.toggle(key="with_flagged").set_value(True).run()
    assert not at.exception
    assert int(next(c.value for c in at.caption if "runs selected" in c.value).split()[0]) == selected + left_out
    assert "excluded by default" in set(at.dataframe[-1].value["severity"])
    default = open_scaling()  # zero-shot XNLI: caveats only (paper versions, stand-in volumes), all kept
    assert set(default.dataframe[-1].value["severity"]) == {"caveat"}


def test_families_off_the_data_axis_are_named():
    at = open_scaling()
    captions = " ".join(c.value for c in at.caption)
    assert "Not on the data axis in GiB" in captions and "mBERT (bytes)" in captions


def test_runs_of_unknown_volume_are_drawn_beside_the_axis_and_said_so():
    import json
    import re

    from salt_core.runs.figures import STRIP

    at = open_scaling()
    at.multiselect(key="sets").set_value(at.multiselect(key="sets").options).run()
    at.radio(key="kind").set_value("programming").run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    said = re.search(r"grey strip on the right: (\d+) runs whose model had no pretraining data .* and (\d+) runs "
                     r"whose volume is unknown", captions)
    assert said, captions
    traces = [t for chart in at.get("plotly_chart") for t in json.loads(chart.proto.spec)["data"]]
    strip = next(t for t in traces if t.get("name") == STRIP)
    y = strip["y"]
    if isinstance(y, dict):  # plotly's binary encoding of numeric arrays
        import base64

        import numpy as np

        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    assert len(y) == int(said.group(1)) + int(said.group(2)) > 0


def test_non_embedding_parameters_change_the_size_axis_and_say_so():
    at = open_scaling()
    total = _headline(at)
    assert any("counted as total parameters" in c.value for c in at.caption)
    at.radio(key="param_count").set_value("non-embedding").run()
    assert not at.exception and not at.error
    assert any("counted as non-embedding parameters" in c.value for c in at.caption)
    text = _headline(at)
    assert "302M against 85.1M" in text and text != total  # XLM-R Large against Base, non-embedding


def test_sib200_offers_every_setting_apart_and_its_card_reads_the_e5_family():
    at = open_scaling()
    at.selectbox(key="task").set_value("SIB-200").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="method").value == "in-language probe (frozen embeddings + logistic regression)"
    captions = " ".join(c.value for c in at.caption)
    assert "Reading SIB" in captions and "in\\-language probe" in captions  # the card says what it reads
    text = _headline(at)
    assert "3 model sizes" in text and "95% CI" in text
    assert "Every setting of SIB-200" in " ".join(e.label for e in at.get("expander"))
    assert at.multiselect(key="scripts").options  # many languages: script, region and resource filters


def test_sib200_filters_by_script_and_resource_group_say_what_they_hide():
    at = open_scaling()
    at.selectbox(key="task").set_value("SIB-200").run()
    at.multiselect(key="scripts").set_value(["Latin"]).run()
    hidden = [c.value for c in at.caption if "filters hide" in c.value]
    assert hidden and not at.exception
    at.multiselect(key="groups").set_value(["low"]).run()
    assert not at.exception
    languages = [frame.value for frame in at.dataframe if "resource_group" in frame.value.columns]
    assert languages and set(languages[0]["resource_group"]) == {"low"} and set(languages[0]["script"]) == {"Latin"}
    assert len(languages[0]) >= 10


def test_runs_trained_here_on_sib200_land_beside_the_published_ones_with_their_delta_against_volume(tmp_path):
    import pandas as pd

    from salt_core.runs.schema import COLUMNS

    rows = []
    for method, bonus in (("zero-shot transfer (fine-tuned on English)", 0.0), ("SALT", 5.0)):
        for seed in (1, 2):
            for number, language in enumerate(["swh", "de", "fr", "hi", "yo", "ur"]):
                rows.append({"run_id": f"r{method[:4]}{seed}{language}", "model": "multilingual-e5-small",
                             "language": language, "language_kind": "natural", "task": "SIB-200", "split": "test",
                             "method": method, "metric": "accuracy", "score": 60 + number + bonus + seed,
                             "seed": seed, "source": f"run {method} {seed}"})
    pd.DataFrame(rows).reindex(columns=COLUMNS).to_csv(tmp_path / "runs.csv", index=False)
    at = open_scaling()
    at.text_input(key="runs_folder").set_value(str(tmp_path)).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="task").value == "SIB-200"  # the view follows the user's own runs
    charts = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert "your runs (uploaded or trained here)" in charts
    assert "Method minus baseline per language, against the language" in charts
    captions = " ".join(c.value for c in at.caption)
    assert "5 of 6 languages have a volume" in captions  # Yoruba is not among CC-100's languages
    assert at.selectbox(key="baseline").value == "zero-shot transfer (fine-tuned on English)"


def test_the_tools_own_sib200_runs_are_a_bundled_set_with_their_answer(small_experiment, tmp_path, monkeypatch):
    import streamlit as st

    from salt_core.files import write_table
    from salt_core.runs import schema
    from salt_core.runs.selection import OWN

    _, runs = small_experiment
    write_table(runs, tmp_path / "sib200-runs.csv")
    planned = {"methods": sorted(runs["method"].unique()), "seeds": [1, 2, 3]}  # seed 3 is still to run
    (tmp_path / "sib200-runs.plan.json").write_text(json.dumps(planned), encoding="utf-8")
    monkeypatch.setattr(schema, "OWN_RUNS", tmp_path / "sib200-runs.csv")
    st.cache_data.clear()  # bundled() is cached per process
    try:
        at = open_scaling()
        assert OWN in at.multiselect(key="sets").options
        at.multiselect(key="sets").set_value([OWN]).run()
        assert not at.exception and not at.error
        assert at.selectbox(key="task").value == "SIB-200"
        text = " ".join(m.value for m in at.markdown)
        assert f"{OWN}: does SALT help" in text and "over 2 shared seeds" in text and "Caveats" in text
        assert "**Partial** (8 of 12 planned runs so far)" in text  # the plan file beside the runs says so
        assert "| salt |" in text and "| random-mixup |" in text and "Gain against log10 CC-100 volume" in text
        charts = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
        assert "your runs (uploaded or trained here)" not in charts  # bundled, not ringed as the user's
        assert at.selectbox(key="treated").value == "SALT"
    finally:
        st.cache_data.clear()
