"""The fast byte reader of the status file applies exactly the general reader's rules."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.inputs import csv_reader, status_reader, tables

HEADER = b"store_id,status,timestamp_utc"

store_ids = st.sampled_from(
    [
        "8419537941919820732",
        "54515546588432327",
        "9223372036854775807",
        "7",
        "0",
        "007",
        "b5d0a65d-6d54-47aa-95e9-9312f0353326",
        " 8419537941919820732 ",
        "",
        "12345678901234567890",
        "x" * 23 + "1",  # the longest id read by its bytes
        "x" * 24 + "1",  # one byte longer: read as a string
        "store 1",
    ]
)
statuses = st.sampled_from(["active", "inactive", "ACTIVE", " Inactive ", "up", "", "activ"])
timestamps = st.sampled_from(
    [
        "2023-01-22 12:09:39.388884 UTC",
        "2023-01-22 12:09:39.3 UTC",
        "2023-01-22 12:09:39 UTC",
        "2023-01-22 12:09:39",
        "2023-01-22 12:09:39.12",
        "2023-01-22T12:09:39Z",
        "2023-01-22T12:09:39.5+05:30",
        "2023-01-22 12:09:39 utc",
        "2023-01-22 12:09:39.1234567",
        "2023-02-29 00:00:00",
        "2023-01-22 24:00:00",
        "yesterday",
        "",
        " 2023-01-22 12:09:39 ",
        "2023-01-22 12:09:39.",
        "2024-02-29 23:59:59.999999 UTC",
    ]
)
line = st.one_of(
    st.tuples(store_ids, statuses, timestamps).map(",".join),
    st.tuples(store_ids, statuses, timestamps).map(lambda t: ",".join(t) + ",extra"),
    st.tuples(store_ids, statuses).map(",".join),
    st.tuples(store_ids, statuses, timestamps).map(lambda t: ",".join(t) + ","),
    st.just(""),
)


def _general(data: bytes) -> tables.Polls:
    return tables.parse_status(csv_reader.read_input(data, "status", "s.csv"))


def _as_rows(polls: tables.Polls):
    ids = polls.store_ids[polls.store]
    return sorted(zip(ids.tolist(), polls.time_us.tolist(), polls.active.tolist(), strict=True))


@settings(deadline=None)
@given(
    st.lists(line, min_size=1, max_size=30),
    st.booleans(),
    st.booleans(),
    st.sampled_from([1, 40, 1 << 23]),
)
def test_fast_reader_agrees_with_general_reader(lines, crlf, final_newline, block_bytes):
    ending = b"\r\n" if crlf else b"\n"
    data = ending.join([HEADER, *(text.encode() for text in lines)])
    data += ending if final_newline else b""
    if not any(text.strip() for text in lines):  # a header-only file reads as no rows
        data = HEADER + ending
    default, status_reader.BLOCK_BYTES = (
        status_reader.BLOCK_BYTES,
        block_bytes,
    )  # blocks of 1+ lines
    try:
        fast = status_reader.read_status(data, "s.csv")
    finally:
        status_reader.BLOCK_BYTES = default
    general = _general(data)
    assert _as_rows(fast) == _as_rows(general)
    assert fast.stats.as_dict() == general.stats.as_dict()


def test_canonical_file_takes_the_fast_path(monkeypatch):
    monkeypatch.setattr(
        status_reader, "_read_by_general_reader", lambda *a: pytest.fail("general path used")
    )
    data = HEADER + b"\n8419537941919820732,active,2023-01-22 12:09:39.388884 UTC\n"
    polls = status_reader.read_status(gzip.compress(data), "s.csv")
    assert polls.store_ids[polls.store].tolist() == ["8419537941919820732"]
    assert polls.time_us.tolist() == [1674389379388884]
    assert polls.active.tolist() == [True]


def test_uuid_ids_and_irregular_lines_share_one_set_of_ids():
    data = (
        HEADER + b"\nb5d0a65d-6d54-47aa-95e9-9312f0353326,active,2023-01-22 12:00:00\n"
        b"b5d0a65d-6d54-47aa-95e9-9312f0353326,inactive,2023-01-22 13:00:00,x\n"
        b"b5d0a65d-6d54-47aa-95e9-9312f0353326,inactive\n"
    )
    polls = status_reader.read_status(data, "s.csv")
    assert len(polls.store_ids) == 1 and len(polls.time_us) == 1
    assert polls.stats.rows_read == 3
    assert dict(polls.stats.skipped) == {"wrong number of fields": 1, "invalid timestamp": 1}


def test_ids_are_exact_beyond_float_precision():
    ids = [str(9223372036854775807 - k) for k in range(3)]
    data = HEADER + b"\n" + b"\n".join(f"{i},active,2023-01-22 12:00:00".encode() for i in ids)
    polls = status_reader.read_status(data, "s.csv")
    assert sorted(polls.store_ids.tolist()) == sorted(ids)
    assert np.unique(polls.store).size == 3


def test_ids_sharing_a_key_are_told_apart(monkeypatch):
    """Ids are factorized by a 64-bit key of their bytes; when two ids share a key (here:
    every id of the same last 8 bytes, with the key made of those alone) every row is still
    checked against its key's first row, and the ids are then factorized as strings."""
    factors = (np.uint64(0), np.uint64(0))
    monkeypatch.setattr(status_reader, "_KEY_FACTORS", factors)
    ids = ["a12345678", "b12345678", "12345678", "aaaaaaaaaaaaaaaaaaaaaa12345678"]
    lines = [f"{i},active,2023-01-22 12:00:0{n}" for n, i in enumerate(ids * 2)]
    polls = status_reader.read_status((HEADER.decode() + "\n" + "\n".join(lines)).encode(), "s.csv")
    assert sorted(polls.store_ids.tolist()) == sorted(ids)
    assert _as_rows(polls) == sorted(
        (i, 1674388800000000 + 1_000_000 * n, True) for n, i in enumerate(ids * 2)
    )


def test_a_block_of_lines_of_three_fields_reads_every_row_of_another_form_in_full():
    """Rows not of the common form (spaces, case, other timestamp forms) amid common ones."""
    data = HEADER + (
        b"\n1,active,2023-01-22 12:00:00"
        b"\n 2 ,ACTIVE,2023-01-22T12:00:00Z"
        b"\n3,inactive, 2023-01-22 12:00:00+01:00 "
        b"\n4,up,2023-01-22 12:00:00"
        b"\n,active,2023-01-22 12:00:00"
        b"\n5,active,2023-01-22 12:00:00.1234567\n"
    )
    polls = status_reader.read_status(data, "s.csv")
    t = 1674388800000000
    assert _as_rows(polls) == [("1", t, True), ("2", t, True), ("3", t - 3_600_000_000, False)]
    assert polls.stats.rows_read == 6
    assert dict(polls.stats.skipped) == {
        "invalid status": 1,
        "missing store_id": 1,
        "invalid timestamp": 1,
    }
