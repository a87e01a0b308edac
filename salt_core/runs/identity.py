"""What a run measured: its language, its task and its method, in one vocabulary for every source.

* Languages: any ISO 639-1/2/3 code, BCP-47 tag (`zho_Hans`, `eus_Latn`, `zh-Hans`) or English name
  ("Hausa") becomes the shortest ISO 639 code (`salt_core.languages.language_code`, re-exported here).
  Programming languages keep their names.
* Tasks: result files name a task and a language in one string (`xnli_sw`, `belebele_eus_Latn`,
  `xwinograd_jp`, `m_mmlu_de`). They are read with a table of known multilingual task families and the
  language format each uses — never by guessing from an arbitrary suffix: `agieval_lsat_ar` is not
  Arabic and `xnli_eu_mt` is Basque (machine-translated variant), and an unknown name is reported.
* Methods: a small controlled vocabulary (`METHODS`); harness and decoding details go to `protocol`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from salt_core.languages import language_code, language_name  # noqa: F401 (re-exported)

# Known multilingual task families: prefix -> (display name, how the language follows the prefix).
# "code" = an ISO code or BCP-47 tag; variants after the language (xnli_eu_mt) are kept in the task name.
TASK_FAMILIES = {
    "xnli": "XNLI", "pawsx": "PAWS-X", "paws_x": "PAWS-X", "xcopa": "XCOPA", "xstorycloze": "XStoryCloze",
    "xstory_cloze": "XStoryCloze", "xwinograd": "XWinograd", "belebele": "Belebele", "mgsm_direct": "MGSM",
    "mgsm_native_cot": "MGSM (native CoT)", "mgsm_en_cot": "MGSM (English CoT)", "mgsm": "MGSM",
    "xquad": "XQuAD", "mlqa": "MLQA", "tydiqa": "TyDi QA", "flores": "FLORES", "m_mmlu": "m-MMLU",
    "mmlu_prox": "MMLU-ProX", "global_mmlu": "Global-MMLU", "arc_multilingual": "ARC (multilingual)",
    "hellaswag_multilingual": "HellaSwag (multilingual)", "arc": "ARC (multilingual)",
    "hellaswag": "HellaSwag (multilingual)", "xlsum": "XL-Sum", "wikiann": "WikiANN", "pan_x": "PAN-X",
    "udpos": "UD-POS", "tatoeba": "Tatoeba", "bucc": "BUCC", "xquad_xtreme": "XQuAD",
}
@dataclass(frozen=True)
class TaskName:
    task: str | None  # display name of the task family, with any variant ("XNLI (mt)")
    language: str | None  # ISO 639 code
    problem: str | None  # why it could not be read, when it could not


def parse_task(name: str) -> TaskName:
    """Task family and language of a harness task name (see the module docstring)."""
    text = str(name).strip()
    lowered = text.lower()
    for prefix in sorted(TASK_FAMILIES, key=len, reverse=True):
        if not lowered.startswith(prefix + "_"):
            continue
        rest = text[len(prefix) + 1:]
        parts = rest.split("_")
        # a BCP-47 tag written with "_" (eus_Latn, zho_Hans): language + 4-letter script subtag
        with_script = len(parts) >= 2 and len(parts[1]) == 4 and parts[1].isalpha()
        code = language_code(parts[0])
        variant = "_".join(parts[2:] if with_script else parts[1:])
        if code:
            return TaskName(TASK_FAMILIES[prefix] + (f" ({variant})" if variant else ""), code, None)
        return TaskName(None, None, f"task {text!r}: {parts[0]!r} after {prefix!r} is not a language code")
    return TaskName(None, None, f"task {text!r} is not a known multilingual task (xnli, pawsx, xcopa, xstorycloze, "
                                "xwinograd, belebele, mgsm, xquad, mlqa, tydiqa, flores, m_mmlu, ...); give the "
                                "task and language yourself")


# ----------------------------------------------------------------------------- methods

ZERO_SHOT = "zero-shot transfer (fine-tuned on English)"
METHODS = (
    ZERO_SHOT,
    "translate-train",
    "translate-train-all",
    "translate-test",
    "fine-tuned on the target language",
    "fine-tuned (setting not stated)",
    "fine-tuned on synthetic code (MultiPL-T)",
    "fine-tuned on natural code of the language",
    "SALT",
    "SALT (code-switching only)",
    "SALT (mixup only)",
)  # plus "prompted k-shot" for every k


def prompted(shots: int | None) -> str:
    return f"prompted {int(shots or 0)}-shot"


def normalise_method(text: str, shots: int | None = None) -> tuple[str, str]:
    """(method from the controlled vocabulary, protocol: everything else the text said)."""
    raw = str(text or "").strip()
    low = raw.lower()
    rules = [
        (r"^finetune-en_zero-shot$|zero-shot transfer|fine-?tuned? on english", ZERO_SHOT),
        (r"translate-train-all", "translate-train-all"),
        (r"translate-train", "translate-train"),
        (r"translate-test", "translate-test"),
        (r"multipl-t synthetic", "fine-tuned on synthetic code (MultiPL-T)"),
        (r"finetune on natural|fine-tune on more native|fine-tuned on natural", "fine-tuned on natural code of the language"),
        (r"^salt.*mixup only|^salt \(mixup", "SALT (mixup only)"),
        (r"^salt.*code-?switch", "SALT (code-switching only)"),
        (r"^salt\b", "SALT"),
        (r"fine-?tuned then prompted|fine-?tuned \(trainer\)|^fine-?tuned$", "fine-tuned (setting not stated)"),
    ]
    for pattern, method in rules:
        if re.search(pattern, low):
            return method, "" if raw.lower() == method.lower() or raw == "finetune-en_zero-shot" else raw
    match = re.search(r"(\d+)[- ]shot", low)
    if "prompted" in low or "zero-shot" in low or "harness" in low or "base (no finetune)" in low or \
            "multipl-e" in low or "eval" in low or "as in starcoder" in low or match:
        k = int(match.group(1)) if match else (shots if shots is not None else 0)
        protocol = "" if re.fullmatch(r"prompted[ _]\d+-shot|prompted_zero-shot( \(no finetune\))?", low) else raw
        return prompted(k), protocol
    return raw or "not stated", ""
