"""pages/ui/memo: a fragment's rerun reuses a result while its inputs are the very same objects."""

from streamlit.testing.v1 import AppTest


def _app():
    import pandas as pd
    import streamlit as st

    from pages import ui

    if "table" not in st.session_state or st.session_state.get("replace"):
        st.session_state["table"] = pd.DataFrame({"x": [1, 2, 3]})
        st.session_state["replace"] = False
    table = st.session_state["table"]
    calls = st.session_state.setdefault("calls", [])
    total = ui.memo("total", (table, st.session_state.get("k", 1)),
                    lambda: calls.append(1) or int(table["x"].sum()) * st.session_state.get("k", 1))
    st.write(f"total {total}, computed {len(calls)} times")


def test_reused_for_the_same_object_recomputed_for_a_new_one_or_a_new_value():
    at = AppTest.from_function(_app)
    at.run()
    assert at.markdown[0].value == "total 6, computed 1 times"
    at.run()
    assert at.markdown[0].value == "total 6, computed 1 times"  # same table object: no recomputation
    at.session_state["replace"] = True  # an equal table, but a new object: recomputed (identity, not hashing)
    at.run()
    assert at.markdown[0].value == "total 6, computed 2 times"
    at.session_state["k"] = 2  # a plain value compares by value
    at.run()
    assert at.markdown[0].value == "total 12, computed 3 times"
    at.run()
    assert at.markdown[0].value == "total 12, computed 3 times"
