"""A frame's rows as plain JSON values, column by column (what ``to_dict("records")`` and
:func:`storemon.json_values.scalar` per cell give, without a Python call per cell): the report
files' JSON documents (``stores.json``, ``incidents.json``, ``status.json``) hold a row or
more per store.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from storemon.json_values import scalar


def column_values(column: pd.Series) -> list[Any]:
    """One column as plain JSON values: NumPy numbers as Python's, NaN and infinities as
    None, anything else through :func:`storemon.json_values.scalar`."""
    dtype = column.dtype
    if not isinstance(dtype, np.dtype):  # pandas' own (nullable, categorical): cell by cell
        cells = column.astype(object).tolist()
        for at in np.flatnonzero(column.isna().to_numpy()).tolist():
            cells[at] = None
        return [scalar(value) for value in cells]
    if dtype.kind in "biu":
        return column.tolist()
    if dtype.kind == "f":
        values = column.to_numpy()
        bad = ~np.isfinite(values)
        out = values.tolist()
        for at in np.flatnonzero(bad).tolist():
            out[at] = None
        return out
    return [scalar(value) for value in column.tolist()]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``[{column: value}]`` per row, values as :func:`column_values` gives them."""
    names = [str(name) for name in frame.columns]
    columns = [column_values(frame.iloc[:, at]) for at in range(frame.shape[1])]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def rows_by(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    """``{str(row[key]): row without key}``, as :func:`storemon.json_values.rows_by` of the
    frame's records."""
    keys = [str(value) for value in column_values(frame[key])]
    return dict(zip(keys, records(frame.drop(columns=key)), strict=True))
