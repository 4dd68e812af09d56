"""Timestamp parsing against a plain regex + datetime reference, on canonical strings and on
one-character mutations of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.inputs import field_parsers

PATTERN = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(?: ?(?:([Uu][Tt][Cc])|([Zz])|([+-])(\d{2})(?::?(\d{2}))?))?"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reference(text: str) -> int | None:
    """µs since the epoch, or None: SPEC §1 read literally with Python's datetime."""
    match = PATTERN.fullmatch(text.strip())
    if not match:
        return None
    y, mo, d, h, mi, s, frac, _utc, _z, sign, oh, om = match.groups()
    try:
        moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=UTC)
    except ValueError:
        return None
    if sign:
        hours, minutes = int(oh), int(om or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        moment -= offset if sign == "+" else -offset
    micros = int((frac or "0").ljust(6, "0"))
    return (moment - EPOCH) // timedelta(microseconds=1) + micros


def parse(values: list[str]) -> list[int | None]:
    matrix, lengths, fits = field_parsers.byte_matrix(
        pd.Series(values), field_parsers.TIMESTAMP_WIDTH
    )
    micros, valid = field_parsers.parse_timestamps(matrix, lengths)
    return [int(m) if ok and fit else None for m, ok, fit in zip(micros, valid, fits, strict=True)]


canonical = st.builds(
    lambda moment, digits, suffix: (
        moment.strftime("%Y-%m-%d %H:%M:%S")
        + (moment.strftime(".%f")[: digits + 1] if digits else "")
        + suffix
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.integers(0, 6),
    st.sampled_from(["", " UTC", "Z", "+05:30", "-0800", " utc", "T"]),
)


@st.composite
def mutated(draw):
    text = draw(canonical)
    if draw(st.booleans()):
        position = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(list("0123456789 -:.TUCZ+x")))
        text = text[:position] + char + text[position + 1 :]
    return text


@settings(deadline=None)
@given(st.lists(mutated(), min_size=1, max_size=40))
def test_timestamps_match_the_reference(values):
    assert parse(values) == [reference(v) for v in values]


def test_known_values():
    assert parse(
        [
            "2023-01-22 12:09:39.388884 UTC",
            "2023-01-22 12:09:39.3 UTC",
            "2023-01-22 12:09:39",
            "2023-01-22T12:09:39Z",
            "2023-01-22 12:09:39+01:00",
            "2023-01-22 12:09:39.1234567",
        ]
    ) == [
        1674389379388884,
        1674389379300000,
        1674389379000000,
        1674389379000000,
        1674385779000000,
        None,
    ]
    assert np.all(
        np.array(parse(["2024-02-29 00:00:00", "2023-02-29 00:00:00"]), dtype=object)
        == np.array([1709164800000000, None], dtype=object)
    )


def parse_common(values: list[str], after: bytes) -> list[int | None]:
    """parse_common_timestamps on the values with ``after`` (not zeros) past each value's
    end, as the fast reader reads them from a file buffer; None where it declines."""
    padded = [v.encode() + after for v in values]
    width = max(len(p) for p in padded) + 32
    buffer = np.frombuffer(b"".join(p.ljust(width, b"z") for p in padded), dtype=np.uint8)
    rows = buffer.reshape(len(values), width)
    words = [rows[:, 8 * k : 8 * k + 8].copy().view("<u8").ravel() for k in range(4)]
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    tail = np.array(
        [
            int.from_bytes(p[max(len(v) - 4, 0) : max(len(v), 4)], "little")
            for v, p in zip(values, padded, strict=True)
        ],
        dtype=np.uint32,
    )
    micros, ok = field_parsers.parse_common_timestamps(words, tail, lengths)
    return [int(m) if good else None for m, good in zip(micros, ok, strict=True)]


@settings(deadline=None)
@given(
    st.lists(mutated(), min_size=1, max_size=40),
    st.sampled_from([b"\n", b",x", b" UTC", b"99999999", b".123456 UTC", b"\xff" * 8]),
)
def test_the_common_form_parser_agrees_or_declines(values, after):
    """Bytes past a value never change the answer; every value it accepts parses to the
    same instant in the full grammar, and every canonical one without a suffix other than
    " UTC" is accepted."""
    common = parse_common(values, after)
    for value, micros in zip(values, common, strict=True):
        if micros is not None:
            assert micros == reference(value)
        elif re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?( UTC)?", value):
            assert reference(value) is None  # the form, but not a valid instant


def test_the_common_form_parser_on_known_values():
    values = [
        "2023-01-22 12:09:39.388884 UTC",
        "2023-01-22 12:09:39.3",
        "2023-01-22 12:09:39",
        "0001-01-01 00:00:00 UTC",
        "2023-01-22T12:09:39Z",  # another form: declined, for the full parser
        "2023-01-22 12:09:39.",
        "2023-02-29 00:00:00",
        "2023-01-22 23:60:00",
        "0000-01-01 00:00:00",
    ]
    assert parse_common(values, b"\n") == [
        1674389379388884,
        1674389379300000,
        1674389379000000,
        -62135596800000000,
        None,
        None,
        None,
        None,
        None,
    ]
