"""Formula injection (issue 8): no cell of a CSV we write starts a spreadsheet formula."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.report import csv_output, pipeline
from storemon.report.result import report_to_csv

HOURS = b"store_id,day,start_time_local,end_time_local\n"
ZONES = b"store_id,timezone_str\n"


def test_the_owasp_starts_get_a_quote():
    for value in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert csv_output.neutralise(value) == "'" + value
    for value in ["1", "a=b", " =1", "'=1", ""]:
        assert csv_output.neutralise(value) == value


def test_frames_keep_numbers_and_missing_values():
    frame = pd.DataFrame(
        {"store_id": ["=cmd|' /C calc'!A0", "7", None], "minutes": [-1.5, 2.0, np.nan]}
    )
    text = csv_output.to_csv(frame, float_format="%.2f")
    assert text == "store_id,minutes\n'=cmd|' /C calc'!A0,-1.50\n7,2.00\n,\n"
    assert frame["store_id"][0] == "=cmd|' /C calc'!A0"  # the caller's frame is unchanged


def test_report_csv_neutralises_store_ids():
    status = (
        b"store_id,status,timestamp_utc\n"
        b'=HYPERLINK("http://x"),active,2023-01-23 12:00:00\n'
        b"@SUM(A1),active,2023-01-23 12:00:00\n"
        b"-5,inactive,2023-01-23 12:00:00\n"
        b"+5,active,2023-01-23 12:00:00\n"
        b"5,active,2023-01-23 12:00:00\n"
    )
    result = pipeline.report_from_csv_bytes(status, HOURS, ZONES)
    text = report_to_csv(result.report)
    ids = pd.read_csv(io.StringIO(text), dtype=str)["store_id"].tolist()
    assert sorted(ids) == sorted(["'+5", "'-5", "5", '\'=HYPERLINK("http://x")', "'@SUM(A1)"])
    assert not any(line[:1] in "=+-@\t\r" for line in text.splitlines())


def test_incidents_csv_neutralises_store_ids():
    from storemon.report.incidents import incidents_to_csv

    status = (
        b"store_id,status,timestamp_utc\n"
        b"@x,active,2023-01-23 10:00:00\n@x,inactive,2023-01-23 12:00:00\n"
    )
    result = pipeline.report_from_csv_bytes(status, HOURS, ZONES, incidents=True)
    text = incidents_to_csv(result.incidents)
    lines = text.splitlines()
    assert len(lines) == 2 and lines[1].startswith("'@x,")


plain_texts = st.from_regex(r"[a-z0-9=+\-@ é']{1,6}", fullmatch=True)
texts = st.one_of(
    plain_texts,
    plain_texts,
    st.text(alphabet='ab1=+-@ ,"\r\n\t\x00\u2028é', max_size=6),
    st.sampled_from(["8419537941919820732", "store 1", ""]),
)
floats = st.one_of(
    st.floats(min_value=0, max_value=200),
    st.integers(0, 100_000).map(lambda n: n / 1000),  # halves of a hundredth, and near them
    st.integers(0, 100_000).map(lambda n: n / 100),
    st.sampled_from([0.0, -0.0, 0.125, 0.005, 1.005, 2.675, 999.995, 1e9, 123456789.125]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(deadline=None)
@given(
    st.lists(st.tuples(texts, floats, floats), min_size=1, max_size=8),
    st.sampled_from([False] * 5 + [True]),
)
def test_the_array_writer_writes_what_pandas_writes(rows, with_missing):
    """csv_output.to_csv writes plain frames with array operations: the same text as pandas
    writes for any frame (the other frames are left to pandas)."""
    frame = pd.DataFrame(rows, columns=["store_id", "uptime", "downtime"])
    if with_missing:
        frame.loc[0, "store_id"] = None
    expected = csv_output.neutralise_frame(frame).to_csv(
        index=False, lineterminator="\n", float_format="%.2f"
    )
    assert csv_output.to_csv(frame, float_format="%.2f") == expected


def test_a_plain_report_frame_takes_the_array_writer(monkeypatch):
    frame = pd.DataFrame({"store_id": ["1", "=2"], "hours": [0.25, 167.99]})
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *a, **k: pytest.fail("pandas wrote it"))
    assert csv_output.to_csv(frame, float_format="%.2f") == "store_id,hours\n1,0.25\n'=2,167.99\n"


def test_categorical_text_is_neutralised_too():
    # the day-by-day report's store_id is categorical (one text per store, not per row)
    frame = pd.DataFrame(
        {
            "store_id": pd.Categorical.from_codes([0, 1, 1], categories=["=1+1", "A"]),
            "value": [1.0, 2.0, 3.0],
        }
    )
    assert csv_output.to_csv(frame, float_format="%.2f").splitlines() == [
        "store_id,value",
        "'=1+1,1.00",
        "A,2.00",
        "A,3.00",
    ]
    plain = frame.assign(store_id=pd.Categorical.from_codes([0, 1, 1], categories=["B", "A"]))
    assert csv_output.to_csv(plain, float_format="%.2f").splitlines()[1] == "B,1.00"
