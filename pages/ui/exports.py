"""Download buttons that take a table to a paper: LaTeX (booktabs) and CSV, both carrying the table's caption."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from salt_core.runs.export import captioned_csv, latex_table


def tables(frame: pd.DataFrame, caption: str, label: str, name: str, formats: dict[str, str] | None = None,
           what: str = "Table") -> None:
    """Two buttons under a table, "<what> (LaTeX)" and "<what> (CSV)": `<name>.tex` (booktabs,
    \\usepackage{booktabs}) and `<name>.csv` (the caption as `#` lines first). The files are made only when a
    button is pressed."""
    left, right = st.columns(2)
    left.download_button(f"{what} (LaTeX)", lambda: latex_table(frame, caption, label, formats), f"{name}.tex",
                         "text/x-tex", on_click="ignore", key=f"tex_{name}",
                         help="Booktabs, with its caption: the selection, the protocol and how the intervals were "
                              "computed.")
    right.download_button(f"{what} (CSV)", lambda: captioned_csv(frame, caption), f"{name}.csv", "text/csv",
                          on_click="ignore", key=f"csv_{name}",
                          help="With its caption first, as lines starting with # (pandas: comment='#').")
