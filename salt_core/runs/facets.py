"""Language facets for views of many languages (SIB-200 has 205): name, script, region and resource group.

Every facet is read, never guessed: the script from the run's FLORES code (`notes`) or the code's own script
subtag, else CLDR's likely script when CLDR knows the language; the region from CLDR's likely territory and
UN M49 containment (CLDR supplemental data, shipped with `language_data`) — "unknown" where CLDR only falls
back to its default guess (`-US` for a language it does not know, `-ZZ`). Resource groups are computed from
the selection's own volumes, per unit: thirds of the languages with data by log volume ("high", "mid", "low"),
"none" for zero, "unknown" without a volume.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from salt_core.languages import language_name

UNKNOWN = "unknown"
GROUPS = ("high", "mid", "low", "none", UNKNOWN)


@cache
def _m49() -> tuple[dict[str, str], dict[str, str]]:
    """(territory -> M49 subregion code, subregion -> continent code) from CLDR's territoryContainment."""
    from importlib import resources

    xml = (resources.files("language_data") / "data" / "supplementalData.xml").read_text(encoding="utf-8")
    block = xml[xml.index("<territoryContainment>"):xml.index("</territoryContainment>")]
    parent: dict[str, str] = {}
    for kind, contains, rest in re.findall(r'<group type="(\d{3})" contains="([^"]+)"([^>]*)/>', block):
        if "status=" in rest:
            continue  # groupings (EU, UN) and deprecated codes
        for child in contains.split():
            parent.setdefault(child, kind)
    territory = {code: region for code, region in parent.items() if code.isalpha()}
    continent = {region: parent.get(region, region) for region in set(territory.values())}
    return territory, continent


def _name(code: str) -> str:
    import langcodes

    return langcodes.Language.make(territory=code).territory_name()


@cache
def language_facets(code: str, flores: str | None = None) -> dict[str, str]:
    """Name, script, continent and region of one language code (see the module docstring)."""
    import langcodes

    try:
        tag = langcodes.Language.get(code)
        likely = langcodes.Language.get(tag.language).maximize()  # the language's own, not its script's, territory
    except (ValueError, LookupError):
        return {"name": code, "script": UNKNOWN, "continent": UNKNOWN, "region": UNKNOWN}
    fallback = likely.territory in (None, "ZZ") or (likely.territory == "US" and tag.language != "en")
    script = flores.split("_")[1] if flores and "_" in flores else tag.script or (None if fallback else likely.script)
    territories, continents = _m49()
    region = None if fallback else territories.get(likely.territory or "")
    return {"name": language_name(code), "script": langcodes.Language.make(script=script).script_name()
            if script else UNKNOWN,
            "continent": _name(continents[region]) if region else UNKNOWN,
            "region": _name(region) if region else UNKNOWN}


def _flores(notes) -> str | None:
    match = re.search(r"FLORES code ([a-z]{3}_[A-Z][a-z]{3})", str(notes or ""))
    return match.group(1) if match else None


def with_facets(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs with columns language_name, script, continent, region and resource_group."""
    keys = pd.Series(list(zip(runs["language"].astype(str), runs.get("notes", pd.Series(index=runs.index)).map(_flores))),
                     index=runs.index)
    facets = pd.DataFrame([language_facets(code, flores) for code, flores in keys], index=runs.index)
    out = runs.assign(language_name=facets["name"], script=facets["script"], continent=facets["continent"],
                      region=facets["region"])
    return out.assign(resource_group=resource_groups(out))


def resource_groups(runs: pd.DataFrame) -> pd.Series:
    """A language's resource group in this selection: thirds by log volume (see the module docstring), read in the
    unit that covers the most languages (then the next for languages it lacks). One volume per language (the
    median over models) decides, and every run of a language gets its group, whichever model it is of."""
    volume = pd.to_numeric(runs["pretraining_data"], errors="coerce")
    label: dict[str, str] = {}
    positive = runs[volume > 0]
    units = positive.groupby("pretraining_data_unit")["language"].nunique().sort_values(ascending=False).index
    for unit in units:
        rows = positive[positive["pretraining_data_unit"] == unit]
        per_language = np.log10(volume[rows.index].groupby(rows["language"]).median())
        per_language = per_language[~per_language.index.isin(list(label))]
        if len(per_language) < 3:
            label.update({language: "high" for language in per_language.index})
            continue
        ranks = per_language.rank(method="first", pct=True)
        label.update(pd.cut(ranks, [0, 1 / 3, 2 / 3, 1], labels=["low", "mid", "high"]).astype(str).to_dict())
    zero = set(runs.loc[volume == 0, "language"]) - set(label)
    label.update({language: "none" for language in zero})
    return runs["language"].map(label).fillna(UNKNOWN).astype(object)


def language_table(selection: pd.DataFrame) -> pd.DataFrame:
    """One row per language and model: its facets, volume and score (mean over seeds/prompts, with how many)."""
    if selection.empty:
        return pd.DataFrame(columns=["language", "language_name", "script", "continent", "region", "resource_group",
                                     "model", "pretraining_data", "pretraining_data_unit", "score", "n"])
    # facets already on the runs are kept: groups are thirds of the view *before* its facet filters
    data = selection if "resource_group" in selection else with_facets(selection)
    keys = ["language", "language_name", "script", "continent", "region", "resource_group", "model"]
    table = data.groupby(keys, dropna=False).agg(
        pretraining_data=("pretraining_data", "first"), pretraining_data_unit=("pretraining_data_unit", "first"),
        score=("score", "mean"), n=("score", "size")).reset_index()
    return table.sort_values(["score"], ascending=False, ignore_index=True)


# ----------------------------------------------------------------------------- a language's level, outside a selection

RESOURCE_LEVELS = ("high", "mid", "low", "absent")


@cache
def _cc100() -> pd.Series:
    from salt_core.runs.schema import corpus_volumes

    volumes = corpus_volumes()
    return volumes[volumes["corpus"] == "CC-100"].groupby("language")["pretraining_data"].max()


def resource_levels(codes: list[str]) -> dict[str, str]:
    """A language's resource level by its CC-100 volume (XLM-R's pretraining corpus, bundled): thirds of the bundled
    CC-100 languages by volume, "absent" when CC-100 lacks it. Looked up by language, then macrolanguage."""
    cc100 = _cc100()
    low, high = cc100.quantile([1 / 3, 2 / 3])
    out = {}
    for code in codes:
        volume = cc100.get(volume_code(code, cc100.index))
        out[code] = ("absent" if volume is None or volume != volume else
                     "high" if volume >= high else "mid" if volume >= low else "low")
    return out


def volume_code(code: str, known, script_variants: bool = True) -> str | None:
    """The code a volume table lists a registry language under: itself, the macrolanguage CLDR prefers for it
    (swh -> sw), or the code CLDR makes its alias (fil -> tl) — the rules of `schema.join_volumes`, so a language's
    resource level and its joined volume agree. (The IANA macrolanguage, which word lists use, is not evidence of
    volume: CC-100's Arabic is not Moroccan Arabic's.) `script_variants`: a language written in another script
    takes its language's entry (zh-Hant -> zh) — right for a resource *level*, not for a volume, which the
    table counts for one script only."""
    import langcodes

    from salt_core.runs.schema import cldr_alias, macrolanguage

    language = langcodes.Language.get(code).language
    for candidate in (code, *([language] if script_variants else []), macrolanguage(language)):
        if candidate in known:
            return candidate
    return cldr_alias(language, known)
