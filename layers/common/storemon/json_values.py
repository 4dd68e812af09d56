"""Plain JSON values from what pandas and NumPy hand back (no pandas or NumPy import here).

``to_json_values`` turns NumPy scalars into Python numbers, NaN into ``None``, timestamps and
dates into ISO 8601 strings, tuples into lists and anything else unknown into its ``str``,
recursively through dicts and lists, so ``json.dumps`` of the result is always valid JSON.
"""

from __future__ import annotations

import math
from typing import Any


def to_json_values(value: Any) -> Any:
    """`value` as plain JSON values (see the module docstring)."""
    if isinstance(value, dict):
        return {str(key): to_json_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_values(item) for item in value]
    return scalar(value)


def scalar(value: Any) -> Any:
    """One value as a JSON scalar."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # NumPy scalar
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return None if str(value) == "NaT" else value.isoformat()
    return str(value)


def rows_by(rows: list[dict], key: str) -> dict[str, dict]:
    """``{str(row[key]): row without key}`` of plain rows (e.g. ``frame.to_dict("records")``)."""
    out: dict[str, dict] = {}
    for row in rows:
        entry = {name: scalar(item) for name, item in row.items()}
        out[str(entry.pop(key))] = entry
    return out
