from streamlit.testing.v1 import AppTest

from tests.app.helpers import APP

TIMEOUT = 120


def _app():
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def test_home_without_weights_explains_and_offers_the_demo():
    at = _app().run()
    assert not at.exception
    assert not at.error  # the default model missing is not the user's error: no red box on arrival
    assert any("not on this machine" in w.value and "was not found" in w.value for w in at.warning)
    assert any("SALT" in m.value for m in at.markdown)
    captions = " ".join(c.value for c in at.caption)
    assert "needs no model" in captions and "needs a masked LM" in captions  # which pages need a model
    at.button(key="demo_fallback_bert-base-multilingual-cased").click().run()
    assert not at.exception and not at.error
    assert any("random weights" in w.value for w in at.warning)
    assert any("built offline" in m.value and "random weights" in m.value for m in at.markdown)
    assert at.query_params["model"] == "demo"


def test_a_missing_model_is_looked_for_once_per_process(monkeypatch):
    import pages.ui.model as ui
    import salt_core.models as models

    ui.model_or_error.clear()
    calls = []
    original = models.load_masked_lm
    monkeypatch.setattr(ui, "load_masked_lm", lambda name: calls.append(name) or original(name))
    for _ in range(3):  # three new browser sessions
        at = _app().run()
        assert not at.exception
    assert calls == ["bert-base-multilingual-cased"]
    at.button(key="look_again_bert-base-multilingual-cased").click().run()
    assert calls == ["bert-base-multilingual-cased"] * 2  # only when asked


def test_home_with_an_unknown_model_id_shows_a_message():
    at = _app()
    at.query_params["model"] = "other (hub id or local folder)"
    at.query_params["model_path"] = "nobody/nothing-here"
    at.run()
    assert not at.exception
    assert any("nobody/nothing-here" in e.value.replace("\\", "") for e in at.error)  # shown escaped, as text


def test_scaling_hides_the_model_pickers_and_the_choice_survives_the_visit():
    at = _app()
    at.query_params["model"] = "demo"
    at.run()
    assert at.selectbox(key="model").value == "demo"
    at.multiselect(key="targets").set_value(["de", "fr"]).run()
    at.switch_page("pages/scaling.py").run()
    assert not at.exception
    assert not [s for s in at.sidebar.selectbox if s.key == "model"]
    assert any("needs no model" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/home.py").run()
    assert at.selectbox(key="model").value == "demo"
    assert at.multiselect(key="targets").value == ["de", "fr"]
