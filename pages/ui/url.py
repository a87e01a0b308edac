"""URL state: what a shared link may carry, and text shown exactly as typed.

Numbers from a URL are checked before any widget reads them; user text is escaped before any element that
renders Markdown shows it.
"""

from __future__ import annotations

import logging
import math
import re

import streamlit as st

log = logging.getLogger("salt_explorer")


# Numbers a shared URL may carry, with the range their widget accepts. Anything else (1e309, inf, nan, 400 digits,
# text) is dropped from the URL before any widget reads it, with a toast: the widget keeps its default.
URL_NUMBERS = {"k": (int, 1, 50), "seed": (int, 0, 2**31 - 1), "t": (float, 0.0, 1.0), "ts": (float, 0.0, 1.0),
               "t_sim": (float, 0.0, 1.0), "ts_sim": (float, 0.0, 1.0),
               "ratio": (float, 0.0, 1.0), "mx_seed": (int, 0, 2**31 - 1), "mx_n": (int, 1, 5000),
               "mx_layer": (int, 0, 96), "mx_alpha": (float, 0.0, 100.0), "mx_r": (float, 0.0, 1.0)}


LINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$=&])")


def plain(text) -> str:
    """Text for an element that renders Markdown (errors, captions, labels), shown exactly as typed: no image
    is fetched, no link, colour directive or LaTeX is rendered from what a user (or a shared URL) supplied."""
    text = str(text).replace("\n", " ")
    # The renderer turns bare URLs and e-mail addresses into links even when escaped: an invisible zero-width
    # space inside "://", "www." and before "@" keeps them text (the text reads the same).
    text = LINK_STARTS.sub("\u200b", text)
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _url_number(text: str, kind, low, high):
    text = str(text).strip()
    if len(text) > 30:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or not low <= value <= high or (kind is int and value != int(value)):
        return None
    return value


def _forget_initial_url_value(key: str) -> None:
    """Streamlit seeds a URL-bound widget from the URL as it was when the session opened, and its seeding lets
    an OverflowError through for `inf` (it cuts the page at that widget). Dropping the parameter from that
    snapshot too is the only way to keep the default; it uses Streamlit's internals, so it is guarded."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        with get_session_state().query_params() as params:
            params._initial_query_params.pop(key, None)
    except (AttributeError, ImportError):  # another Streamlit version: the widget's own handling applies
        log.warning("could not drop %s from the initial URL parameters", key)


def clean_url_numbers() -> None:
    """Drop URL numbers no widget could hold, so a hostile or mistyped link still opens the page whole."""
    for key, (kind, low, high) in URL_NUMBERS.items():
        if key in st.query_params and _url_number(st.query_params[key], kind, low, high) is None:
            drop_from_url(key, f"is not a number from {plain_number(low)} to {plain_number(high)}")


def plain_number(value: float) -> str:
    """A bound as people write it: 2,147,483,647, not 2.14748e+09."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def drop_from_url(key: str, why: str) -> None:
    """Remove a URL parameter that its widget cannot hold, telling the user (the widget keeps its default)."""
    bad = ", ".join(str(v)[:20] for v in st.query_params.get_all(key))
    del st.query_params[key]
    _forget_initial_url_value(key)
    st.toast(f"The link's {key}={plain(bad)} {why}; the default is used.", icon=":material/link_off:", duration="infinite")


def keep_offered(key: str, options, label=str, resolve=None, single: bool = False) -> None:
    """Before a URL-bound choice widget is drawn: values of `key` in the URL that are not among `options` are
    dropped, with a toast naming them (Streamlit itself would drop them without a word); a value `resolve` turns
    into an option (a language named by its FLORES code or name) is kept as that option. A multiselect that
    keeps some values must take its default through `default_unless_set`; `single` marks a selectbox."""
    if key not in st.query_params or key in st.session_state:  # the widget already drives the URL: not a link's
        return
    offered = {label(o): o for o in options} | {str(o): o for o in options}
    values = st.query_params.get_all(key)
    mapped = {v: offered[v] if v in offered else _resolved(v, resolve, offered) for v in values}
    unknown = [v for v in values if mapped[v] is None]
    if not unknown and all(v in offered for v in values):
        return
    kept = [v for v in values if mapped[v] is not None]
    shown = ", ".join(plain(v[:20]) for v in unknown[:5])
    _forget_initial_url_value(key)
    if kept:  # the widget starts from the values that remain (a multiselect's default must not be passed too)
        chosen = list(dict.fromkeys(mapped[v] for v in kept))
        st.query_params[key] = [str(c) for c in chosen] if not single else str(chosen[0])
        st.session_state[key] = chosen if not single else chosen[0]
        if unknown:
            st.toast(f"The link's {key}: {shown} {'is' if len(unknown) == 1 else 'are'} not offered here and "
                     f"{'was' if len(unknown) == 1 else 'were'} left out.", icon=":material/link_off:",
                     duration="infinite")
    else:
        del st.query_params[key]
        st.toast(f"The link's {key}={shown} is not offered here; the default is used.", icon=":material/link_off:", duration="infinite")


def _resolved(value: str, resolve, offered: dict):
    if resolve is None:
        return None
    try:
        option = resolve(value)
    except Exception:  # noqa: BLE001 - a resolver that cannot read the value simply does not offer it
        return None
    return option if str(option) in offered else None


def reset_on_change(scope: str, context: tuple, defaults: dict) -> None:
    """When `context` (the choices other widgets depend on) changes, put those widgets back to `defaults`.

    A first run keeps what the URL says; later changes of context start the dependent widgets afresh,
    so a new task never inherits languages or families that it does not have.
    """
    marker = f"_context_{scope}"
    if st.session_state.get(marker) not in (None, context):
        for key, value in defaults.items():
            st.session_state[key] = value
    st.session_state[marker] = context


def default_unless_set(key: str, default) -> dict:
    """`default=` for a widget only when session state does not already hold its value (Streamlit warns
    when both set it)."""
    return {} if key in st.session_state else {"default": default}
