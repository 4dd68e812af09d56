"""Hostile input files (issue 8): line ends, NUL bytes, trailing empty fields, size limits.

Every file here either reads (rows skipped and counted) or fails with an InputError that
names it; the fast and the general status readers give the same polls and the same counts.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.errors import InputError
from storemon.inputs import csv_reader, status_reader, tables
from storemon.inputs.limits import DEFAULT, Limits
from storemon.report import pipeline

HEADER = b"store_id,status,timestamp_utc"
HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n1,0,09:00,17:00\n"
ZONES = b"store_id,timezone_str\n1,America/Chicago\n"


def both_readers(data: bytes, limits: Limits = DEFAULT) -> tuple[tables.Polls, tables.Polls]:
    """The fast reader's and the general reader's polls of one status file."""
    fast = status_reader.read_status(data, "s.csv", limits)
    general = tables.parse_status(csv_reader.read_input(data, "status", "s.csv", limits))
    return fast, general


def rows(polls: tables.Polls) -> list[tuple[str, int, bool]]:
    ids = polls.store_ids[polls.store]
    return sorted(zip(ids.tolist(), polls.time_us.tolist(), polls.active.tolist(), strict=True))


def assert_same(data: bytes, limits: Limits = DEFAULT) -> tables.Polls:
    fast, general = both_readers(data, limits)
    assert rows(fast) == rows(general)
    assert fast.stats.as_dict() == general.stats.as_dict()
    return fast


T1 = 1674475200000000  # 2023-01-23 12:00:00 UTC in µs
T2 = T1 + 3_600_000_000


# ------------------------------------------------------------------ line ends (CR only)
def test_classic_mac_line_ends_are_line_ends_on_both_readers():
    data = HEADER + b"\r1,active,2023-01-23 12:00:00\r2,inactive,2023-01-23 13:00:00\r"
    polls = assert_same(data)
    assert rows(polls) == [("1", T1, True), ("2", T2, False)]
    assert polls.stats.rows_read == 2


@pytest.mark.parametrize("kind", ["hours", "timezones"])
def test_classic_mac_line_ends_in_hours_and_zones(kind):
    text = {"hours": HOURS, "timezones": ZONES}[kind]
    frame = csv_reader.read_input(text.replace(b"\n", b"\r"), kind)
    assert len(frame) == 1 and frame["store_id"].tolist() == ["1"]


def test_classic_mac_files_give_a_report_not_a_traceback():
    status = HEADER + b"\r1,active,2023-01-23 12:00:00\r1,inactive,2023-01-23 13:00:00\r"
    result = pipeline.report_from_csv_bytes(
        status, HOURS.replace(b"\n", b"\r"), ZONES.replace(b"\n", b"\r")
    )
    assert result.report["store_id"].tolist() == ["1"]


def test_a_cr_inside_a_row_ends_the_line_on_both_readers():
    # "1,active" (no timestamp) and ",2023-..." (no store id): two rows, both skipped
    data = HEADER + b"\n1,active\r,2023-01-23 12:00:00\n2,active,2023-01-23 12:00:00\n"
    polls = assert_same(data)
    assert rows(polls) == [("2", T1, True)]
    assert polls.stats.rows_read == 3
    assert dict(polls.stats.skipped) == {"invalid timestamp": 1, "missing store_id": 1}


def test_crlf_is_one_line_end():
    data = HEADER + b"\r\n1,active,2023-01-23 12:00:00\r\n\r\n2,active,2023-01-23 13:00:00\r\n"
    polls = assert_same(data)
    assert polls.stats.rows_read == 2 and not polls.stats.skipped


# ---------------------------------------------------------------------------- NUL bytes
def test_ids_differing_by_a_trailing_nul_on_the_general_path():
    # the quote sends the file down the general path; the NUL row is skipped and counted
    status = (
        HEADER
        + b'\n"1",active,2023-01-23 12:00:00\n'
        + b"\n" * 70_000  # past the first 64 KiB, where a NUL means a binary file
        + b"1\x00,inactive,2023-01-23 12:30:00\n"
    )
    result = pipeline.report_from_csv_bytes(status, HOURS, ZONES)
    assert result.report["store_id"].tolist() == ["1"]
    assert result.summary["files"]["store_status"]["skipped_reasons"] == {"NUL character": 1}


def test_a_nul_line_after_the_first_64_kib_is_skipped_on_both_readers():
    good = b"1,active,2023-01-23 12:00:00\n" * 3000  # 87 KB
    data = HEADER + b"\n" + good + b"\x00\x00\x00\n2,active,2023-01-23 13:00:00\n"
    polls = assert_same(data)
    assert polls.stats.rows_read == 3002
    assert dict(polls.stats.skipped) == {"NUL character": 1}


def test_a_nul_in_the_first_64_kib_still_means_a_binary_file():
    with pytest.raises(InputError, match=r"^s.csv: not a CSV file \(binary content\)"):
        status_reader.read_status(HEADER + b"\n1,active\x00,2023-01-23 12:00:00\n", "s.csv")


# -------------------------------------------------------------- trailing empty fields
def test_extra_empty_trailing_fields_are_ignored_on_both_readers():
    data = HEADER + b"\n2,active,2023-01-23 12:00:00,,\n3,active,2023-01-23 12:00:00, , ,\n"
    polls = assert_same(data)
    assert rows(polls) == [("2", T1, True), ("3", T1, True)]
    assert polls.stats.rows_read == 2 and not polls.stats.skipped


def test_a_line_of_empty_fields_is_a_blank_line_on_both_readers():
    data = HEADER + b"\n,,,,\n,,\n , ,\n2,active,2023-01-23 12:00:00\n"
    polls = assert_same(data)
    assert polls.stats.rows_read == 1 and not polls.stats.skipped


def test_a_non_empty_extra_field_is_still_a_wrong_number_of_fields():
    data = HEADER + b"\n2,active,2023-01-23 12:00:00,,x\n2,active,2023-01-23 13:00:00\n"
    polls = assert_same(data)
    assert dict(polls.stats.skipped) == {"wrong number of fields": 1}


def test_header_with_trailing_empty_columns():
    data = HEADER + b",,,\n2,active,2023-01-23 12:00:00\n"
    assert rows(assert_same(data)) == [("2", T1, True)]


# --------------------------------------------------------------------------- row limits
def test_a_row_over_the_width_limit_is_skipped_and_counted():
    limits = Limits(max_row_bytes=40)
    data = (
        HEADER
        + b"\n1,active,2023-01-23 12:00:00\n"
        + b"2,active,2023-01-23 12:00:00"
        + b"," * 50_000
        + b"\n"  # 50,000 commas
        + b"3,active,2023-01-23 12:00:00                \n"  # 45 bytes
    )
    polls = assert_same(data, limits)
    assert rows(polls) == [("1", T1, True)]
    assert dict(polls.stats.skipped) == {"row too long": 2}


def test_a_field_over_the_length_limit_skips_its_row():
    limits = Limits(max_field_chars=20)
    long_id = b"9" * 1_000_000
    data = HEADER + b"\n" + long_id + b",active,2023-01-23 12:00:00\n1,active,2023-01-23 12:00:00\n"
    polls = assert_same(data, Limits(max_field_chars=20, max_row_bytes=2_000_000))
    assert rows(polls) == [("1", T1, True)]
    assert dict(polls.stats.skipped) == {"field too long": 1}
    # the timestamp field counts too (21 characters with the suffix)
    data = HEADER + b"\n1,active,2023-01-23 12:00:00 UTC\n"
    assert dict(assert_same(data, limits).stats.skipped) == {"field too long": 1}


def test_a_quoted_field_over_several_lines_is_over_the_length_limit_as_a_whole():
    """No line is longer than 5 bytes, but the quoted id spans two lines: 6 characters."""
    zones = b'store_id,timezone_str\n"123\n45",A\n1,A\n'
    frame = csv_reader.read_input(zones, "timezones", limits=Limits(max_field_chars=5))
    assert frame["store_id"].tolist() == ["1"]
    assert frame.attrs["skipped"] == {"field too long": 1}


def test_a_header_over_the_limits_fails_naming_the_file():
    with pytest.raises(InputError, match=r"^s.csv: header line is over the limit of 40 bytes"):
        status_reader.read_status(
            HEADER + b",x" * 10 + b"\n1,active,x\n", "s.csv", Limits(max_row_bytes=40)
        )
    with pytest.raises(InputError, match=r"^m.csv: header has 20 columns, over the limit of 16"):
        csv_reader.read_input(
            b"store_id,dayOfWeek,start_time_local,end_time_local" + b",x" * 16, "hours", "m.csv"
        )


# --------------------------------------------------------------------------- size limits
def test_a_file_over_the_input_size_limit_fails_naming_it():
    data = HEADER + b"\n1,active,2023-01-23 12:00:00\n"
    with pytest.raises(InputError, match=r"^s.csv: file is 59 bytes, over the limit of 50"):
        status_reader.read_status(data, "s.csv", Limits(max_input_bytes=50))
    with pytest.raises(InputError, match=r"^s.csv: text is over the limit of 50 bytes"):
        status_reader.read_status(data, "s.csv", Limits(max_text_bytes=50))


def test_a_gzip_bomb_stops_at_the_text_limit():
    bomb = gzip.compress(HEADER + b"\n" + b"0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(InputError, match=r"^s.csv.gz: text is over the limit of 1,000,000 bytes"):
        status_reader.read_status(bomb, "s.csv.gz", Limits(max_text_bytes=1_000_000))


def test_gzip_members_truncation_and_garbage():
    first = HEADER + b"\n1,active,2023-01-23 12:00:00\n"
    second = b"2,active,2023-01-23 13:00:00\n"
    data = gzip.compress(first) + gzip.compress(second)
    assert rows(status_reader.read_status(data, "s.gz")) == [("1", T1, True), ("2", T2, True)]
    assert rows(status_reader.read_status(data + b"\0" * 10, "s.gz"))[1] == ("2", T2, True)
    with pytest.raises(InputError, match=r"^s.gz: not a valid gzip file \(truncated\)"):
        status_reader.read_status(data[:-5], "s.gz")
    with pytest.raises(InputError, match=r"^s.gz: not a valid gzip file \(data after the end\)"):
        status_reader.read_status(data + b"junk", "s.gz")
    broken = bytearray(gzip.compress(first))
    broken[-6] ^= 0xFF  # the CRC
    with pytest.raises(InputError, match=r"^s.gz: not a valid gzip file"):
        status_reader.read_status(bytes(broken), "s.gz")
    # a large single member inflates across several chunks
    big = HEADER + b"\n" + b"1,active,2023-01-23 12:00:00\n" * 200_000
    polls = status_reader.read_status(gzip.compress(big, compresslevel=1), "s.gz")
    assert polls.stats.rows_read == 200_000
    assert zlib.crc32(big) == zlib.crc32(gzip.decompress(gzip.compress(big)))


def test_non_utf8_byte_is_located():
    data = HEADER + b"\n" + b"1,active,2023-01-23 12:00:00\n" * 40_000 + b"\xff\n"
    with pytest.raises(InputError, match=r"^s.csv: not UTF-8 text \(byte 1160030\)"):
        status_reader.read_status(data, "s.csv")


def test_limits_from_the_environment():
    limits = Limits.from_env({"STOREMON_MAX_ROW_BYTES": "100", "STOREMON_MAX_TEXT_BYTES": ""})
    assert limits == Limits(max_row_bytes=100)
    with pytest.raises(ValueError, match="STOREMON_MAX_FIELD_CHARS must be a positive integer"):
        Limits.from_env({"STOREMON_MAX_FIELD_CHARS": "lots"})
    with pytest.raises(ValueError, match="STOREMON_MAX_COLUMNS"):
        Limits.from_env({"STOREMON_MAX_COLUMNS": "0"})


# ------------------------------------------------------------- both readers, property
ids = st.sampled_from(["1", "22", "007", "b5d0a65d", " 3 ", "", "1\x00", "\x00"])
statuses = st.sampled_from(["active", "inactive", " Active ", "up", "", "act\rive"])
times = st.sampled_from(
    ["2023-01-23 12:00:00", "2023-01-23 12:00:00.5 UTC", "2023-01-23T12:00:00Z", "", "x"]
)
tails = st.sampled_from(["", ",", ",,", ", ,", ",x", ",,x", "\r", ",\r,", "," * 30])
plain_line = st.tuples(ids, statuses, times, tails).map(lambda t: ",".join(t[:3]) + t[3])
line = st.one_of(
    plain_line,
    st.sampled_from(["", ",,,,", " ", "\x00\x00", ",", "x" * 45, "1,active"]),
)


@settings(deadline=None)
@given(
    st.lists(line, min_size=1, max_size=25),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.integers(min_value=0, max_value=1),
    st.sampled_from([1, 60, 1 << 23]),
)
def test_fast_and_general_readers_agree_on_hostile_lines(lines, ending, padding, block):
    """Random mixes of CRs, NULs (after 64 KiB of padding), trailing fields, long rows."""
    body = ending.join(text.encode() for text in lines)
    pad = (b"1,active,2023-01-23 12:00:00" + ending) * (2400 * padding)  # 0 or 70 KB
    # one-byte blocks over 70 KB of padding only repeat what 60-byte blocks show, 70,000 times
    block = max(block, 60) if padding else block
    data = HEADER + ending + pad + body + ending
    has_nul = b"\x00" in body
    limits = Limits(max_row_bytes=40, max_field_chars=10)
    default, status_reader.BLOCK_BYTES = status_reader.BLOCK_BYTES, block
    try:
        if has_nul and not padding:
            with pytest.raises(InputError, match="binary content"):
                status_reader.read_status(data, "s.csv", limits)
            return
        fast = status_reader.read_status(data, "s.csv", limits)
    finally:
        status_reader.BLOCK_BYTES = default
    general = tables.parse_status(csv_reader.read_input(data, "status", "s.csv", limits))
    assert rows(fast) == rows(general)
    assert fast.stats.as_dict() == general.stats.as_dict()
    assert not np.isin(["1\x00", "\x00"], fast.store_ids).any()


# ------------------------------------------------------------------------ the command
def test_cli_limit_flags(tmp_path, capsys):
    from storemon_dev.cli import main

    status = tmp_path / "status.csv"
    status.write_bytes(HEADER + b"\n1,active,2023-01-23 12:00:00\n2" + b"," * 500 + b"\n")
    hours, zones = tmp_path / "hours.csv", tmp_path / "zones.csv"
    hours.write_bytes(HOURS)
    zones.write_bytes(ZONES)
    base = ["report", "--status", str(status), "--hours", str(hours), "--timezones", str(zones)]
    summary = tmp_path / "summary.json"
    assert main([*base, "--max-row-bytes", "100", "--summary", str(summary)]) == 0
    assert '"row too long": 1' in summary.read_text()
    capsys.readouterr()
    assert main([*base, "--max-input-bytes", "100"]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"storemon: error: {status}: file is 561 bytes, over the limit of 100 (max_input_bytes)\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "--max-field-chars", "0"])
    assert exit_info.value.code == 2
    assert "must be a positive integer, not '0'" in capsys.readouterr().err
