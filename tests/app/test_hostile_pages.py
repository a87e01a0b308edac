"""Hostile and broken input against the pages (AppTest through app.py): messages, never a traceback."""

from tests.app.helpers import open_page


def test_absurd_url_numbers_leave_every_page_whole():
    hostile = {"seed": "1e309", "k": "inf", "t": "nan", "ratio": "9" * 400, "mx_layer": "inf", "mx_seed": "-1",
               "mx_n": "0", "mx_r": "1e309", "mx_alpha": "abc"}
    for page in ("pages/substitutions.py", "pages/mixup.py", "pages/home.py", "pages/scaling.py"):
        at = open_page(page, query=hostile)
        assert not at.exception, page
        assert not [e for e in at.error if "Something went wrong" in e.value], page
        assert not any(key in at.query_params for key in hostile), page  # dropped from the shared link
    at = open_page("pages/substitutions.py", query={"seed": "1e309"})
    assert at.number_input(key="seed").value == 0  # the default is used


def test_mixup_beyond_the_model_input_gets_its_own_message():
    at = open_page("pages/mixup.py")
    long = " ".join(["word"] * 300)
    at.text_input(key="mx_src").set_value(long + " cat.").run()
    at.text_input(key="mx_cs").set_value(long + " Katze.").run()
    assert not at.exception
    assert any("pieces long" in e.value and "reads at most" in e.value for e in at.error)


def test_a_typed_model_path_is_shown_as_text_not_rendered():
    at = open_page("pages/home.py", model="other (hub id or local folder)",
                   model_path="![x](http://127.0.0.1:9/leak.png) :red[boom] $x^2$")
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "\\!\\[x\\]\\(http" in message and "\\:red\\[boom\\]" in message and "\\$x^2\\$" in message
