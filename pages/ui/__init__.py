"""Widgets and glue shared by every page; everything that computes lives in salt_core.

    url.py       what a shared link may carry (numbers checked, bad ones dropped with a toast); plain() shows
                 user text exactly as typed; widgets reset when their context changes
    routing.py   the page list, the detour for links that open a page directly, safe page running
    model.py     the sidebar's model and language pickers, the cached model, fallbacks when it is missing
    memo.py      results a fragment's rerun reuses while their inputs are the same objects (no hashing)
    exports.py   download buttons that take a table to a paper (booktabs LaTeX, CSV), with its caption
    scaling_sources.py   Scaling's inputs: bundled sets, uploads (read, completed, edited), runs trained here
    scaling_view.py      Scaling's chained choices (kind, task, method, metric, protocol, filters, unit)
    scaling_results.py   Scaling's answer cards, tabs and downloads
    substitution_inputs.py     Substitutions' sentences, miner settings, usable targets and the (cached) mining
    substitution_inspector.py  Substitutions' thresholds fragment: kept counts, figures, dictionary, downloads
"""

from pages.ui.memo import memo
from pages.ui.model import (
    cached_model,
    chosen_model_name,
    current_model,
    language_label,
    model_or_error,
    model_page,
    sidebar,
)
from pages.ui.routing import enter_page, page_list, route, run_page_safely
from pages.ui.url import (
    clean_url_numbers,
    default_unless_set,
    drop_from_url,
    keep_offered,
    plain,
    plain_number,
    reset_on_change,
)

__all__ = ["cached_model", "chosen_model_name", "clean_url_numbers", "current_model", "default_unless_set",
           "drop_from_url", "keep_offered", "memo", "plain_number", "enter_page", "language_label",
           "model_or_error", "model_page", "page_list", "plain", "reset_on_change", "route", "run_page_safely",
           "sidebar"]
