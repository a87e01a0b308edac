from tests.app.helpers import open_page


def _frames(at):
    return [t.value for t in at.table]


def test_typed_pair_moves_with_r_and_sampler():
    at = open_page("pages/mixup.py")
    assert not at.exception and not at.error
    assert any("embeddings are random" in i.value for i in at.info)
    assert at.selectbox(key="mx_word").value == "1: cat (replaced)"  # defaults to the first replaced word
    nearest_before = _frames(at)[0]
    at.slider(key="mx_r").set_value(1.0).run()
    assert not at.exception
    nearest_at_one = _frames(at)[0]
    assert nearest_at_one["token"].iloc[0] == "ca"  # r = 1 is the source word's own (first) piece
    assert nearest_at_one["cosine"].iloc[0] > 0.9999
    assert not nearest_before.equals(nearest_at_one)
    at.radio(key="mx_dist").set_value("beta").run()
    at.number_input(key="mx_alpha").set_value(0.0).run()
    assert any("alpha > 0" in e.value for e in at.error)
    at.number_input(key="mx_alpha").set_value(0.5).run()
    assert not at.error
    predictions = _frames(at)[-1]
    assert list(predictions.columns) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_bad_pairs_and_sample_counts_give_messages():
    at = open_page("pages/mixup.py")
    at.text_input(key="mx_cs").set_value("The Katze sat on the mat today.").run()
    assert any("do not align" in e.value for e in at.error)
    at.text_input(key="mx_cs").set_value("").run()
    assert any("both sentences" in e.value for e in at.error)
    at.text_input(key="mx_cs").set_value("The Katze sat on the mat.").run()
    at.number_input(key="mx_n").set_value(1_000_000).run()
    assert any("between 1 and" in e.value for e in at.error)
    at.number_input(key="mx_n").set_value(0).run()
    assert any("between 1 and" in e.value for e in at.error)
    assert not at.exception


def test_uses_the_last_pair_from_substitutions():
    at = open_page("pages/substitutions.py", t=0.0)
    assert at.session_state["last_codeswitched"]["replacements"]
    at.switch_page("pages/mixup.py").run()
    assert not at.exception and not at.error
    assert at.radio(key="mx_origin").value.startswith("last")
    last = at.session_state["last_codeswitched"]
    assert any(last["codeswitched"] in m.value for m in at.markdown)


def test_layer_control_switches_to_contextual_states():
    at = open_page("pages/mixup.py")
    at.number_input(key="mx_layer").set_value(2).run()
    assert not at.exception and not at.error
    assert any("contextual" in c.value for c in at.caption)
    at.number_input(key="mx_layer").set_value(0).run()
    assert len(at.table) >= 2
