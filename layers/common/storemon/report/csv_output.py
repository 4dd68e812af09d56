"""Every CSV storemon writes goes through here, so no cell runs as a spreadsheet formula.

Store ids are opaque strings from the input files: an id such as ``=HYPERLINK(...)`` or
``@SUM(A1)`` would be evaluated by Excel, LibreOffice or Google Sheets when the report is
opened. OWASP's rule for CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a single quote in front (the spreadsheet shows the text as
it is; the quote is visible in a text editor). Only text columns are changed: numbers are
written as numbers. Quoting of commas, quotes and newlines is the CSV writer's job (pandas).
"""

from __future__ import annotations

import re

import numpy as np
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
        if isinstance(values.dtype, pd.CategoricalDtype):
            if not _risky(pd.Series(values.cat.categories, dtype=object)).any():
                continue  # (categories are checked once each, not per row)
            values = values.astype(object)
        elif values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        risky = _risky(values)
        if risky.any():
            out[column] = values.where(~risky, "'" + values.astype(str))
    return out


def _risky(values: pd.Series) -> pd.Series:
    """Which text cells a spreadsheet would read as a formula (each cell's text checked
    with NumPy's string functions, not one Python call per cell)."""
    text = np.asarray(values.astype(str).to_numpy(dtype=object), dtype=str)
    starts = np.zeros(len(text), dtype=bool)
    for start in FORMULA_STARTS:
        starts |= np.strings.startswith(text, start)
    return pd.Series(starts, index=values.index) & values.notna()


def to_csv(frame: pd.DataFrame, **options) -> str:
    """``frame`` as CSV text (no index, LF line ends), formula-looking cells neutralised;
    ``options`` go to :meth:`pandas.DataFrame.to_csv` (e.g. ``float_format``)."""
    safe = neutralise_frame(frame)
    text = _csv_by_arrays(safe, options)
    if text is not None:
        return text
    return safe.to_csv(index=False, lineterminator="\n", **options)


# what makes the CSV writer quote a cell (and line breaks, whatever the writer's rules)
_QUOTED = re.compile(r'[,"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')
_WHOLE = np.array([str(n) for n in range(1000)])
_DOT_TWO_DIGITS = np.array([f".{n:02d}" for n in range(100)])


def _csv_by_arrays(frame: pd.DataFrame, options: dict) -> str | None:
    """What ``frame.to_csv(index=False, lineterminator="\\n", float_format="%.2f")`` writes,
    made with array operations when every cell is simple: non-empty text that is never
    quoted, or a float64 that ``%.2f`` prints as its exact hundredths (0 to 1e9, finite,
    clearly not half a hundredth); None otherwise (pandas writes the frame)."""
    if options != {"float_format": "%.2f"} or len(frame) == 0:
        return None
    names = [str(column) for column in frame.columns]
    if any(_QUOTED.search(name) or not name for name in names):
        return None
    cells = np.empty((len(frame), 2 * len(names)), dtype=object)
    cells[:, 1::2] = ","
    cells[:, -1] = "\n"
    for k, column in enumerate(frame.columns):
        column_cells = _simple_cells(frame[column], allow_empty=len(names) > 1)
        if column_cells is None:
            return None
        cells[:, 2 * k] = column_cells
    return ",".join(names) + "\n" + "".join(cells.ravel().tolist())


def _simple_cells(values: pd.Series, *, allow_empty: bool = False) -> np.ndarray | None:
    """The column's cells as strings when all are simple (see :func:`_csv_by_arrays`); an
    empty text cell only with ``allow_empty`` (a row of several cells writes it as nothing;
    a one-cell row would be written ``""``)."""
    if values.dtype == np.float64:
        return _hundredths(values.to_numpy())
    text = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(text, skipna=False) != "string":
        return None
    joined = "\0".join(text.tolist())
    if _QUOTED.search(joined):
        return None
    if not allow_empty and ("\0\0" in joined or not (text[0] and text[-1])):
        return None  # (an empty cell)
    return text


def fixed_point_text(values: np.ndarray, decimals: int) -> np.ndarray:
    """``f"{v:.{decimals}f}"`` of each value already rounded to ``decimals`` places (object
    array of str), an empty string for NaN; made with array operations."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), "", dtype=object)
    finite = np.isfinite(values)
    if not finite.any():
        return out
    scale = 10**decimals
    kept = values[finite]
    if (kept < 0).any() or (kept >= 1e12).any():  # not a percentage: the general rule
        out[finite] = [f"{v:.{decimals}f}" for v in kept]
        return out
    whole, fraction = np.divmod(np.rint(kept * scale).astype(np.int64), scale)
    digits = np.char.zfill(fraction.astype(str), decimals)
    out[finite] = np.strings.add(np.strings.add(whole.astype(str), "."), digits)
    return out


def _hundredths(values: np.ndarray) -> np.ndarray | None:
    """``%.2f`` of each value, from its hundredths (None unless exact for every value)."""
    scaled = values * 100
    cents = np.rint(scaled)
    exact = np.isfinite(values) & (values < 1e9) & ~np.signbit(values)
    if not (exact.all() and (np.abs(scaled - cents) < 0.49).all()):
        return None  # (below 1e9 the product is off by < 1e-5: the rounding is clear)
    whole, hundredths = np.divmod(cents.astype(np.int64), 100)
    if whole.max() < len(_WHOLE):
        return np.strings.add(_WHOLE[whole], _DOT_TWO_DIGITS[hundredths])
    return np.strings.add(whole.astype(str), _DOT_TWO_DIGITS[hundredths])
