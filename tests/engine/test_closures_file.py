"""The closures file (SPEC §9): its row rules, and the hostile-input rules and limits of the
other inputs (a broken file fails the report naming it; a bad row is skipped and counted)."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from storemon.errors import InputError
from storemon.inputs.closures import read_closures
from storemon.inputs.limits import Limits
from storemon.report import closures as closure_rules
from storemon.report.pipeline import report_from_csv_bytes

HEADER = b"store_id,start_local,end_local,reason\n"
STATUS = (
    b"store_id,status,timestamp_utc\nA,active,2023-01-23 12:00:00\nB,active,2023-01-23 12:00:00\n"
)
HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n"
ZONES = b"store_id,timezone_str\nA,America/Chicago\n"


def counts(data: bytes, limits: Limits | None = None) -> dict:
    return read_closures(data, "c.csv", limits).stats.as_dict()


def test_rows_read_and_their_values():
    table = read_closures(
        b"\xef\xbb\xbfStore_ID , End_Local,start_local\r\n"  # BOM, any case and order, CR LF
        b" A ,2023-01-24 00:00,2023-01-23T09:30:15\r\n"
        b"*,2023-01-25 10:00:00,2023-01-25 09:00\r\n"
        b"B,2023-01-23 24:00,2023-01-23 10:00\r\n",  # 24:00 only as an end: the next midnight
        "c.csv",
    )
    assert list(table.store_id) == ["A", "*", "B"]
    assert list(table.start_day) == [19_380, 19_382, 19_380]  # 2023-01-23, 2023-01-25
    assert list(table.start_s) == [9 * 3600 + 30 * 60 + 15, 9 * 3600, 10 * 3600]
    assert list(table.end_day) == [19_381, 19_382, 19_381]
    assert list(table.end_s) == [0, 10 * 3600, 0]
    assert list(table.reason) == ["", "", ""]  # no reason column: empty reasons
    assert table.stats.as_dict()["rows_skipped"] == 0


def test_bad_rows_are_skipped_and_counted_by_reason():
    data = HEADER + (
        b",2023-01-23 10:00,2023-01-23 11:00,no id\n"
        b"A,2023-02-30 10:00,2023-03-01 11:00,no such date\n"
        b"A,2023-01-23 24:00,2023-01-24 11:00,no such time\n"
        b"A,2023-01-23 10:00,2023-01-23 24:01,no such time either\n"
        b"A,2023-01-23 10:00:00.5,2023-01-23 11:00,a fraction\n"
        b"A,23-01-23 10:00,2023-01-23 11:00,short year\n"
        b"A,2023-01-23 10:00,soon,not a time\n"
        b"A,2023-01-23 10:00,2023-01-23 10:00,empty\n"
        b"A,2023-01-23 11:00,2023-01-23 10:59:59,backwards\n"
        b'A,2023-01-23 10:00,2023-01-23 11:00,"lunch, then a meeting"\n'
        b"A,2023-01-23 10:00,2023-01-23 11:00,kept,extra field\n"
    )
    table = read_closures(data, "c.csv")
    assert list(table.reason) == ["lunch, then a meeting"]
    assert table.stats.as_dict() == {
        "file": "c.csv",
        "rows_read": 11,
        "rows_skipped": 10,
        "skipped_reasons": {
            "end_local not after start_local": 2,
            "invalid end_local": 2,
            "invalid start_local": 4,
            "missing store_id": 1,
            "wrong number of fields": 1,
        },
    }


def test_a_value_over_the_field_limit_skips_its_row():
    data = HEADER + b"A,2023-01-23 10:00,2023-01-23 11:00," + b"r" * 200 + b"\n"
    assert counts(data)["skipped_reasons"] == {"field too long": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "c.csv: file is empty"),
        (b"store_id,start_local\nA,2023-01-23 10:00\n", "c.csv: missing required column end_local"),
        (b"\x00\x01binary", "c.csv: not a CSV file (binary content)"),
        (HEADER + b"A,2023-01-23 10:00,2023-01-23 11:00,caf\xe9\n", "c.csv: not UTF-8 text"),
        (b"\x1f\x8b\x08broken", "c.csv: not a valid gzip file"),
    ],
)
def test_a_broken_file_fails_naming_it(data, message):
    with pytest.raises(InputError, match=re.escape(message)):
        read_closures(data, "c.csv")


def test_size_limits_apply_and_gzip_is_read():
    data = HEADER + b"A,2023-01-23 10:00,2023-01-23 11:00,x\n" * 50
    assert counts(gzip.compress(data))["rows_read"] == 50
    with pytest.raises(InputError, match="c.csv: file is .* over the limit of 100"):
        read_closures(data, "c.csv", Limits(max_input_bytes=100))
    with pytest.raises(InputError, match="c.csv: text is over the limit"):
        read_closures(gzip.compress(data), "c.csv", Limits(max_text_bytes=100))


def test_a_broken_closures_file_fails_the_report_naming_it():
    with pytest.raises(InputError, match="holidays.csv: file is empty"):
        report_from_csv_bytes(STATUS, HOURS, ZONES, closures=b"", closures_name="holidays.csv")


def test_too_many_store_closures_fail_the_report_naming_the_file(monkeypatch):
    # two stores, three * rows near the report: six (store, row) pairs over a limit of five;
    # a * row years away is left out before counting
    monkeypatch.setattr(closure_rules, "MAX_STORE_CLOSURES", 5)
    rows = b"".join(
        b"*,2023-01-%02d 00:00,2023-01-%02d 12:00,x\n" % (day, day) for day in (20, 21, 22)
    )
    far = b"*,2013-01-01 00:00,2013-01-02 00:00,long ago\n"
    with pytest.raises(InputError, match="c.csv: 3 '\\*' rows near the report's period apply"):
        report_from_csv_bytes(
            STATUS, HOURS, ZONES, closures=HEADER + rows + far, closures_name="c.csv"
        )
    monkeypatch.setattr(closure_rules, "MAX_STORE_CLOSURES", 6)
    result = report_from_csv_bytes(
        STATUS, HOURS, ZONES, closures=HEADER + rows + far, closures_name="c.csv"
    )
    assert len(result.closures) == 6  # every (store, row) pair in the week, listed
    assert np.array_equal(result.closures["reason"].unique(), ["x"])
