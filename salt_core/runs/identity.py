"""What a run measured: its language, its task and its method, in one vocabulary for every source.

* Languages: any ISO 639-1/2/3 code, BCP-47 tag (`zho_Hans`, `eus_Latn`, `zh-Hans`) or English name
  ("Hausa") becomes the shortest ISO 639 code (`salt_core.languages.language_code`, re-exported here).
  Programming languages keep their names.
* Tasks: result files name a task and a language in one string (`xnli_sw`, `belebele_eus_Latn`,
  `xwinograd_jp`, `m_mmlu_de`). Known multilingual families come from a table; beyond it, general rules
  read what the name states (`parse_tasks`): `<task>_mt_<lang>` is <task> machine-translated into <lang>
  (never Maltese, for every family, known or not), and a name ending in a language code or name gives that language, with the family taken
  from the rest, unless its siblings in the file show that the ending is no language slot
  (`agieval_lsat_ar` beside `agieval_lsat_lr` is not Arabic). Each such inference is reported.
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
    inferred: str | None = None  # how the language was read, when no known-family rule gave it (shown to the user)
    translated: bool = False  # the name says the test set was machine-translated into the language (_mt_<lang>)


TRANSLATED = "machine-translated test set (the task name says _mt_<language>): not text written in the language"
_SEP = re.compile(r"[_-]")
# "<task>_mt_<lang>[_<variant>]" and "mt_<lang>_<task>": machine-translated into <lang>. A final "_mt" with no
# language after it (xnli_mt, a Maltese run) is left to the other rules.
_MT_AFTER = re.compile(r"^(?P<family>.+?)[_-]mt[_-](?P<lang>[A-Za-z]{2,3}(?:[_-][A-Za-z]{4})?)(?:[_-](?P<rest>.+))?$")
_MT_BEFORE = re.compile(r"^mt[_-](?P<lang>[A-Za-z]{2,3}(?:[_-][A-Za-z]{4})?)[_-](?P<family>.+)$")


def _family_name(prefix: str) -> str:
    return TASK_FAMILIES.get(prefix.lower(), prefix)


def _known(text: str) -> TaskName | None:
    lowered = text.lower()
    for prefix in sorted(TASK_FAMILIES, key=len, reverse=True):
        if not lowered.startswith(prefix + "_"):
            continue
        rest = text[len(prefix) + 1:]
        parts = rest.split("_")
        # a BCP-47 tag written with "_" (eus_Latn, zho_Hans): language + 4-letter script subtag
        with_script = len(parts) >= 2 and len(parts[1]) == 4 and parts[1].isalpha()
        code = language_code(parts[0] + (f"_{parts[1]}" if with_script else ""))
        variant = "_".join(parts[2:] if with_script else parts[1:])
        if code:
            return TaskName(TASK_FAMILIES[prefix] + (f" ({variant})" if variant else ""), code, None)
        return TaskName(None, None, f"task {text!r}: {parts[0]!r} after {prefix!r} is not a language code")
    return None


def _translated(text: str) -> TaskName | None:
    match = _MT_AFTER.match(text) or _MT_BEFORE.match(text)
    if not match:
        return None
    code = language_code(match.group("lang"))
    if not code:
        return None
    rest = match.groupdict().get("rest")
    # the family as the file names it: a table name such as "HellaSwag (multilingual)" is another translation
    task = f"{match.group('family')} (machine-translated{', ' + rest if rest else ''})"
    return TaskName(task, code, None, f"{text}: language {code} from '_mt_{match.group('lang')}' (machine-translated "
                                      "into it)", translated=True)


def _regional(language: str, region: str) -> bool:
    """Whether `language-region` is a language code with a territory (pt-PT, en-US)."""
    import langcodes

    try:
        tag = langcodes.Language.get(f"{language}-{region.upper()}")
    except (ValueError, LookupError):
        return False
    return bool(tag.territory and tag.is_valid() and language_code(language))


def _final_language(text: str) -> tuple[str, str, str] | None:
    """(family, language token, code) when the name ends in a language: a code, a BCP-47 tag with script
    (`_eus_Latn`) or a language name (`_basque`)."""
    parts = _SEP.split(text)
    if len(parts) < 2:
        return None
    if len(parts) >= 3 and len(parts[-1]) == 4 and parts[-1].isalpha() and parts[-1][0].isupper() or \
            len(parts) >= 3 and len(parts[-1]) == 2 and _regional(parts[-2], parts[-1]):
        # a script (`_eus_Latn`) or a region (`_pt-pt`, `_en_US`) after the language
        token, family = f"{parts[-2]}_{parts[-1]}", text[:-(len(parts[-2]) + len(parts[-1]) + 2)]
    else:
        token, family = parts[-1], text[:-(len(parts[-1]) + 1)]
    code = language_code(token)
    return (family, token, code) if code and family else None


def parse_tasks(names) -> dict[str, TaskName]:
    """Task family and language of every task name of one result file (see the module docstring).

    Rules, in order: `_mt_<lang>` (machine-translated into <lang>, the family kept, whatever the family);
    a known multilingual family; a name that ends in a language (`<family>_<lang>`, `<family>-<lang>`, `_eus_Latn`, `_basque`), unless
    a sibling with the same family ends in something that is no language (`agieval_lsat_ar` beside `_lr`,
    `_rc` is not Arabic) or, for a three-letter code, no sibling supports it; a subtask of such a task
    (`oposizioak_eu_ejadministrari` under `oposizioak_eu`). Every inference says how it was made."""
    names = [str(n).strip() for n in names]
    parsed: dict[str, TaskName] = {}
    endings: dict[str, list[tuple[str, str | None]]] = {}
    for name in names:
        parts = _SEP.split(name)
        if len(parts) >= 2:
            family = name[:-(len(parts[-1]) + 1)]
            endings.setdefault(family.lower(), []).append((parts[-1], language_code(parts[-1])))
    for name in names:
        translated = _translated(name)  # before the family table: hellaswag_mt_de is German, never Maltese
        if translated is not None:
            parsed[name] = translated
            continue
        known = _known(name)
        if known is not None and known.problem is None:
            parsed[name] = known
            continue
        final = _final_language(name)
        if final is not None:
            family, token, code = final
            siblings = [(t, c) for t, c in endings.get(family.lower(), []) if t.lower() != token.split("_")[0].lower()]
            not_languages = [t for t, c in siblings if c is None]
            if not_languages:
                parsed[name] = TaskName(None, None, f"task {name!r}: {token!r} could be a language, but beside it "
                                        f"{family} also ends in {', '.join(sorted(not_languages)[:3])}, "
                                        f"{'which is not a language' if len(not_languages) == 1 else 'which are not languages'}"
                                        "; give the task and language yourself")
                continue
            if len(token) == 3 and not siblings:
                parsed[name] = TaskName(None, None, f"task {name!r}: {token!r} is a three-letter code ({code}) but no "
                                        "other task of the file confirms a language there; give the language")
                continue
            parsed[name] = TaskName(_family_name(family), code, None,
                                    f"{name}: language {code} from the name's ending {token!r}; task family {family!r}")
            continue
        parsed[name] = known if known is not None else TaskName(None, None, None)
    for name in names:  # subtasks inherit their group's language: oposizioak_eu -> oposizioak_eu_ejadministrari
        if parsed[name].language:
            continue
        group = max((other for other in names if parsed[other].language and parsed[other].inferred
                     and not parsed[other].translated and name.lower().startswith(other.lower() + "_")),
                    key=len, default=None)
        if group:
            base = parsed[group]
            variant = name[len(group) + 1:]
            parsed[name] = TaskName(f"{base.task} ({variant})", base.language, None,
                                    f"{name}: language {base.language} from its group {group!r}")
        elif parsed[name].problem is None:
            parsed[name] = TaskName(None, None, f"task {name!r} names no language (not a known multilingual task, "
                                    "no language code or name at its end); give the task and language yourself")
    return parsed


def parse_task(name: str) -> TaskName:
    """Task family and language of one harness task name (`parse_tasks` for a whole file)."""
    return parse_tasks([name])[str(name).strip()]


# ----------------------------------------------------------------------------- methods

ZERO_SHOT = "zero-shot transfer (fine-tuned on English)"
PROBE = "in-language probe (frozen embeddings + logistic regression)"  # MTEB's classification setting
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
    PROBE,
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
