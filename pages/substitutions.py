"""Substitutions: mine restricted-MLM candidates, inspect thresholds, produce code-switched text."""

from pages import ui
from pages.ui import substitution_inputs, substitution_inspector

mlm = ui.model_page(
    "pages/substitutions.py", "Substitutions",
    "Mask each word, let the masked LM predict it restricted to a language's vocabulary (SALT), or rank that "
    "vocabulary by embedding similarity (a baseline), keep the candidates that pass a threshold, and code-switch. "
    "Thresholds, ratio and eligibility defaults are this project's assumptions: SALT's own values are not "
    "available.")

job, mined = substitution_inputs.collect(mlm)  # sentences, miner, targets -> the mined table
substitution_inspector.inspector(job, mined)  # thresholds -> kept, figures, code-switched text, downloads
