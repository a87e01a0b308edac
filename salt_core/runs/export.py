"""Tables for a paper: LaTeX (booktabs) and CSV, each carrying the caption that says what was selected, under which
protocol, and how its intervals were computed. Written here, not by pandas' `to_latex` (which needs jinja2, a
package this project does not declare), so every cell is escaped the same way."""

from __future__ import annotations

import math
import re

import pandas as pd

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text) -> str:
    """Text as LaTeX reads it literally (& % $ # _ { } ~ ^ \\ escaped; line breaks become spaces)."""
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _SPECIAL[m.group(0)], " ".join(str(text).split()))


def _cell(value, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "---"
    if fmt and isinstance(value, (int, float)):
        return escape(format(value, fmt))
    return escape(value)


def latex_table(frame: pd.DataFrame, caption: str, label: str, formats: dict[str, str] | None = None) -> str:
    """A booktabs table (\\toprule, \\midrule, \\bottomrule) with its caption and label; numbers right-aligned.
    `formats`: a format spec per column ("+.1f"). Needs \\usepackage{booktabs}."""
    formats = formats or {}
    columns = list(frame.columns)
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in columns)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{escape(caption)}}}",
             rf"\label{{{re.sub(r'[^A-Za-z0-9:_-]', '-', label)}}}", rf"\begin{{tabular}}{{{align}}}", r"\toprule",
             " & ".join(escape(c) for c in columns) + r" \\", r"\midrule"]
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(_cell(value, formats.get(column)) for column, value in zip(columns, row)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def captioned_csv(frame: pd.DataFrame, caption: str) -> str:
    """CSV whose first lines are the caption as `#` comments (pandas: read_csv(..., comment="#"))."""
    head = "".join(f"# {line}\n" for line in caption.splitlines() if line.strip())
    return head + frame.to_csv(index=False)


def answer_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """The answer card's fit as a table: term, estimate and its 95% interval (columns term, estimate, low, high)."""
    keep = [c for c in ("term", "estimate", "low", "high") if c in terms.columns]
    return terms[keep].rename(columns={"low": "95% CI low", "high": "95% CI high"}).reset_index(drop=True)
