"""Which model a run is about: one canonical name, family, size and pretraining corpus for every spelling.

A result file names its model as a hub id (`bigscience/bloom-560m`), a local path (`/ckpt/bloom-560m/`), a
label (`XLM-R Large`) or a variant spelling (`CodeLlama-34b`); bundled and uploaded runs must agree on one
name, or they never share a view. `salt_core/data/model_catalogue.csv` holds the known models (each row
with its source) and their aliases. A model that is not there keeps its own name; its size is read from
the name with a small tested grammar (`560m`, `7b1` = 7.1B, `2.9B`, `1_6b`, `8x7b` = 56B, `250M`) and its
family is the name without the size — never empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

SCALE = {"m": 1e6, "b": 1e9, "t": 1e12}  # no "k": "4k" in a name is a context length, never a size
# a size token: digits, an optional decimal (".", "_" or "," as in 1_6b), a unit, optional trailing digits
# ("7b1" is 7.1B, BLOOM's spelling); "8x7b" is a mixture of 8 experts of 7B each.
SIZE = re.compile(r"(?<![a-z0-9.])(?:(\d+)x)?(\d+)(?:[._,](\d+))?([mbt])(\d+)?(?![a-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class ModelInfo:
    name: str  # canonical name (the catalogue's, or the given name cleaned of its organisation and path)
    family: str
    params: int | None
    non_embedding_params: int | None
    corpus: str | None
    known: bool  # found in the catalogue
    how: str  # how the size was found: "catalogue", "name", or "unknown"


@cache
def catalogue() -> pd.DataFrame:
    with (resources.files("salt_core") / "data" / "model_catalogue.csv").open("rb") as handle:
        frame = pd.read_csv(handle, keep_default_na=False, na_values=[""])
    for column in ("params", "non_embedding_params"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().strip("/").lower())


@cache
def _aliases() -> dict[str, int]:
    index = {}
    for row, entry in catalogue().iterrows():
        for alias in [entry["canonical"], *str(entry["aliases"] or "").split("|")]:
            if alias:
                index[_key(alias)] = row
                index[_key(alias.rsplit("/", 1)[-1])] = row
    return index


def parse_size(name: str) -> int | None:
    """Parameters from a model name: the last size token, e.g. 'bloom-7b1' -> 7_100_000_000."""
    matches = list(SIZE.finditer(name))
    if not matches:
        return None
    experts, whole, decimal, unit, tail = matches[-1].groups()
    digits = decimal if decimal is not None else tail
    value = float(f"{whole}.{digits}") if digits else float(whole)
    return int(round(value * SCALE[unit.lower()] * (int(experts) if experts else 1)))


def family_of(name: str) -> str:
    """The name without its size token (and without a trailing '-hf'/'-base'); the name itself if that is empty."""
    stripped = SIZE.sub("", name)
    stripped = re.sub(r"[-_ .]+(hf|base)$", "", stripped, flags=re.IGNORECASE)
    stripped = re.sub(r"[-_ .]{2,}", "-", stripped).strip("-_ .")
    return stripped or name


def resolve_model(name: str, config_params: int | None = None) -> ModelInfo:
    """Canonical identity of a model name, hub id or local path (see the module docstring)."""
    raw = str(name).strip()
    for candidate in (raw, raw.rstrip("/").rsplit("/", 1)[-1]):  # as given, then without organisation/path
        row = _aliases().get(_key(candidate))
        if row is not None:
            entry = catalogue().loc[row]
            return ModelInfo(entry["canonical"], entry["family"], _int(entry["params"]),
                             _int(entry["non_embedding_params"]), entry["corpus"], True, "catalogue")
    short = raw.rstrip("/").rsplit("/", 1)[-1] or raw
    params = parse_size(short)
    how = "name" if params else "unknown"
    if params is None and config_params:
        params, how = int(config_params), "config"
    return ModelInfo(short, family_of(short), params, None, None, False, how)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def size_label(params) -> str:
    """A parameter count as people write it: 560M, 7.1B, 85.1M (three significant digits)."""
    if params is None or params != params:
        return "size unknown"
    params = float(params)
    return f"{params / 1e9:.3g}B" if params >= 1e9 else f"{params / 1e6:.3g}M"
