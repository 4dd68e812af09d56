"""The report files' JSON rows, made column by column: the values ``to_dict("records")`` and
:func:`storemon.json_values.scalar` per cell give (hand-written expectations)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from storemon.report.json_rows import records, rows_by


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store_id": np.array(["0042", "9223372036854775808123"], dtype=object),
            "minutes": [1.5, np.nan],
            "pct": [np.inf, 99.9],
            "polls": np.array([3, 4], dtype=np.int64),
            "small": np.array([7, 8], dtype=np.uint8),
            "open": [True, False],
            "reason": [None, "closed"],
            "at": pd.to_datetime(["2023-01-25 18:13:00", None]),
            "count": pd.Series([1, None], dtype="Int64"),
            "zone": pd.Categorical(["UTC", "Asia/Kolkata"]),
        }
    )


def test_records_are_plain_json_values():
    rows = records(frame())
    assert rows == [
        {
            "store_id": "0042",
            "minutes": 1.5,
            "pct": None,
            "polls": 3,
            "small": 7,
            "open": True,
            "reason": None,
            "at": "2023-01-25T18:13:00",
            "count": 1,
            "zone": "UTC",
        },
        {
            "store_id": "9223372036854775808123",
            "minutes": None,
            "pct": 99.9,
            "polls": 4,
            "small": 8,
            "open": False,
            "reason": "closed",
            "at": None,
            "count": None,
            "zone": "Asia/Kolkata",
        },
    ]
    assert [type(rows[0][name]) for name in ("polls", "small", "open")] == [int, int, bool]
    json.dumps(rows, allow_nan=False)  # every value is JSON


def test_rows_by_keys_each_row_by_its_id_as_text():
    by_id = rows_by(frame()[["store_id", "polls", "minutes"]], "store_id")
    assert by_id == {
        "0042": {"polls": 3, "minutes": 1.5},
        "9223372036854775808123": {"polls": 4, "minutes": None},
    }


def test_an_empty_frame_has_no_rows():
    assert records(frame().iloc[:0]) == [] and rows_by(frame().iloc[:0], "store_id") == {}
