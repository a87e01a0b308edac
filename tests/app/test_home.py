from streamlit.testing.v1 import AppTest

TIMEOUT = 120


def _app():
    return AppTest.from_file("../../app.py", default_timeout=TIMEOUT)


def test_home_without_weights_explains_and_offers_the_demo():
    at = _app().run()
    assert not at.exception
    assert any("was not found" in e.value for e in at.error)
    assert any("SALT" in m.value for m in at.markdown)
    at.button(key="demo_fallback_bert-base-multilingual-cased").click().run()
    assert not at.exception and not at.error
    assert any("random weights" in w.value for w in at.warning)
    assert any("built offline" in m.value and "random weights" in m.value for m in at.markdown)


def test_home_with_an_unknown_model_id_shows_a_message():
    at = _app()
    at.query_params["model"] = "other (hub id or local folder)"
    at.query_params["model_path"] = "nobody/nothing-here"
    at.run()
    assert not at.exception
    assert any("nobody/nothing-here" in e.value for e in at.error)
