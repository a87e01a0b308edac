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
    assert any("alpha > 0" in e.value.replace("\\", "") for e in at.error)  # shown escaped, as text
    at.number_input(key="mx_alpha").set_value(0.5).run()
    assert not at.error
    predictions = _frames(at)[-1]
    assert list(predictions.columns) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_bad_pairs_and_sample_counts_give_messages():
    from salt_core.mixup.mixing import MAX_SAMPLES

    at = open_page("pages/mixup.py")
    at.text_input(key="mx_cs").set_value("The Katze sat on the mat today.").run()
    assert any("do not align" in e.value for e in at.error)
    at.text_input(key="mx_cs").set_value("").run()
    assert any("both sentences" in e.value for e in at.error)
    at.text_input(key="mx_cs").set_value("The Katze sat on the mat.").run()
    samples = at.number_input(key="mx_n")
    assert (samples.min, samples.max) == (1, MAX_SAMPLES)  # the input accepts exactly what works
    assert not at.exception


def test_any_pair_from_substitutions_can_be_used_and_lands_in_the_url():
    at = open_page("pages/substitutions.py", t=0.0,
                   text="The cat sat on the mat.\nShe reads a good book every evening.")
    pairs = at.session_state["codeswitched_pairs"]
    assert len(pairs) == 2
    at.switch_page("pages/mixup.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="mx_pick").options == [p["codeswitched"][:100] for p in pairs]
    at.selectbox(key="mx_pick").set_value(1).run()
    at.button(key="mx_use").click().run()
    assert not at.exception and not at.error
    assert at.text_input(key="mx_src").value == pairs[1]["source"]
    assert at.text_input(key="mx_cs").value == pairs[1]["codeswitched"]
    assert at.query_params["mx_cs"] == pairs[1]["codeswitched"]
    replaced = [o for o in at.selectbox(key="mx_word").options if "(replaced)" in o]
    assert len(replaced) == len(pairs[1]["replacements"])


def test_prediction_probabilities_are_never_all_zero():
    at = open_page("pages/mixup.py")
    predictions = at.table[-1].value
    cells = [str(v) for v in predictions.to_numpy().ravel()]
    assert cells and not any("(0.000)" in c for c in cells)
    assert all(c.endswith(")") and "(" in c for c in cells)


def test_layer_control_switches_to_contextual_states():
    at = open_page("pages/mixup.py")
    at.number_input(key="mx_layer").set_value(2).run()
    assert not at.exception and not at.error
    assert any("contextual" in c.value for c in at.caption)
    at.number_input(key="mx_layer").set_value(0).run()
    assert len(at.table) >= 2


def test_layer_above_zero_names_its_grey_points():
    at = open_page("pages/mixup.py")
    at.number_input(key="mx_layer").set_value(1).run()
    spec = at.get("plotly_chart")[0].proto.spec
    assert "tokens of both sentences at layer 1" in spec and "nearest vocabulary tokens" not in spec


def test_a_new_pair_resets_the_word_to_its_first_replacement():
    at = open_page("pages/mixup.py")
    at.selectbox(key="mx_word").set_value("3: on").run()
    at.text_input(key="mx_src").set_value("A dog runs home.").run()
    at.text_input(key="mx_cs").set_value("A dog läuft home.").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="mx_word").value == "2: runs (replaced)"
    assert at.query_params.get("mx_word", "2: runs (replaced)") == "2: runs (replaced)"  # default: left out
