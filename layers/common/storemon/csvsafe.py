"""Every CSV storemon writes goes through here, so no cell runs as a spreadsheet formula.

Store ids are opaque strings from the input files: an id such as ``=HYPERLINK(...)`` or
``@SUM(A1)`` would be evaluated by Excel, LibreOffice or Google Sheets when the report is
opened. OWASP's rule for CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a single quote in front (the spreadsheet shows the text as
it is; the quote is visible in a text editor). Only text columns are changed: numbers are
written as numbers. Quoting of commas, quotes and newlines is the CSV writer's job (pandas).
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """``value`` with a ``'`` in front when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`neutralise`-d (other columns as is)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        text = values.astype(str)
        risky = text.str.startswith(FORMULA_STARTS) & values.notna()
        if risky.any():
            out[column] = values.where(~risky, "'" + text)
    return out


def to_csv(frame: pd.DataFrame, **options) -> str:
    """``frame`` as CSV text (no index, LF line ends), formula-looking cells neutralised;
    ``options`` go to :meth:`pandas.DataFrame.to_csv` (e.g. ``float_format``)."""
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n", **options)
