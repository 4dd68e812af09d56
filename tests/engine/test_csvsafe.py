"""Formula injection (issue 8): no cell of a CSV we write starts a spreadsheet formula."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from storemon import csvsafe, engine

HOURS = b"store_id,day,start_time_local,end_time_local\n"
ZONES = b"store_id,timezone_str\n"


def test_the_owasp_starts_get_a_quote():
    for value in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert csvsafe.neutralise(value) == "'" + value
    for value in ["1", "a=b", " =1", "'=1", ""]:
        assert csvsafe.neutralise(value) == value


def test_frames_keep_numbers_and_missing_values():
    frame = pd.DataFrame(
        {"store_id": ["=cmd|' /C calc'!A0", "7", None], "minutes": [-1.5, 2.0, np.nan]}
    )
    text = csvsafe.to_csv(frame, float_format="%.2f")
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
    result = engine.run_report(status, HOURS, ZONES)
    text = engine.report_to_csv(result.report)
    ids = pd.read_csv(io.StringIO(text), dtype=str)["store_id"].tolist()
    assert sorted(ids) == sorted(["'+5", "'-5", "5", '\'=HYPERLINK("http://x")', "'@SUM(A1)"])
    assert not any(line[:1] in "=+-@\t\r" for line in text.splitlines())


def test_incidents_csv_neutralises_store_ids():
    from storemon.incidents import incidents_to_csv

    status = (
        b"store_id,status,timestamp_utc\n"
        b"@x,active,2023-01-23 10:00:00\n@x,inactive,2023-01-23 12:00:00\n"
    )
    result = engine.run_report(status, HOURS, ZONES, incidents=True)
    text = incidents_to_csv(result.incidents)
    lines = text.splitlines()
    assert len(lines) == 2 and lines[1].startswith("'@x,")
