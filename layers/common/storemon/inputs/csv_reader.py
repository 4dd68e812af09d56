"""The general reader: one input file's checked text as a frame of raw strings.

``read_input`` / ``read_text`` find the columns the report needs by their header (any case,
trimmed, ``day`` for ``dayOfWeek``), read every row with pandas as text, and count the rows
dropped before their values were checked (too long, NUL byte, too many fields, a value over
``max_field_chars``). The typed tables are made from its frames (:mod:`storemon.inputs.tables`).
"""

from __future__ import annotations

import csv
import io
import re
import warnings

import numpy as np
import pandas as pd

from storemon.errors import InputError
from storemon.inputs.file_text import (
    CUT_BYTES,
    DEFAULT_NAMES,
    LINE_BLOCK_BYTES,
    clean_lines,
    prepare_text,
)
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits

KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "status": ("store_id", "status", "timestamp_utc"),
    "hours": ("store_id", "dayOfWeek", "start_time_local", "end_time_local"),
    "timezones": ("store_id", "timezone_str"),
    "closures": ("store_id", "start_local", "end_local"),
}
# Columns a kind may have: read when the header names them, empty strings otherwise.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"closures": ("reason",)}
# Alternative header spellings, compared case-insensitively after trimming.
COLUMN_ALIASES = {"day": "dayOfWeek", "day_of_week": "dayOfWeek"}

_BAD_LINE = re.compile(r"Skipping line \d+")


def canonical_columns(header: list[str], kind: str, name: str) -> dict[str, str]:
    """Map the file's header to canonical column names; raise if a required one is missing.

    Names are compared trimmed and case-insensitively; an exact name wins over an alias
    (``dayOfWeek`` over ``day`` when a file has both), and the first of duplicates wins.
    """
    known = KIND_COLUMNS[kind] + OPTIONAL_COLUMNS.get(kind, ())
    exact = {column.lower(): column for column in known}
    aliases = COLUMN_ALIASES if kind == "hours" else {}
    mapping: dict[str, str] = {}
    for lookup in (exact, aliases):
        for column in header:
            target = lookup.get(str(column).strip().lower())
            if target and column not in mapping and target not in mapping.values():
                mapping[column] = target
    missing = [c for c in KIND_COLUMNS[kind] if c not in mapping.values()]
    if missing:
        shown = ",".join(str(h) for h in header)[:200]
        plural = "s" if len(missing) > 1 else ""
        raise InputError(
            name, f"missing required column{plural} {', '.join(missing)} (header is: {shown})"
        )
    return mapping


def read_input(
    data: bytes, kind: str, name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> pd.DataFrame:
    """Read one input file (its bytes, plain or gzip) into a frame of raw strings with the
    canonical column names (see :func:`read_text`)."""
    name = name or DEFAULT_NAMES[kind]
    return read_text(prepare_text(data, name, limits), kind, name, limits)


def read_text(text: bytes, kind: str, name: str, limits: Limits = DEFAULT_LIMITS) -> pd.DataFrame:
    """The general reader: a frame of raw strings from :func:`prepare_text`'s output.

    ``frame.attrs`` carries ``name`` and ``skipped``, the rows dropped before their values
    were checked, by reason: lines over ``max_row_bytes``, lines with a NUL byte, rows with
    more (non-empty) fields than the header, rows with a value over ``max_field_chars``.
    Trailing empty fields are dropped first, so a line of only commas and spaces is blank.
    """
    header_end = text.find(b"\n")
    header_end = len(text) if header_end < 0 else header_end
    header_line = text[:header_end].rstrip(b"\r")
    if len(header_line) > limits.max_row_bytes:
        raise InputError(
            name,
            f"header line is over the limit of {limits.max_row_bytes:,} bytes (max_row_bytes)",
        )
    header = next(csv.reader([header_line.rstrip(CUT_BYTES).decode("utf-8")]), [])
    if len(header) > limits.max_columns:  # every column is held for every row
        raise InputError(
            name,
            f"header has {len(header):,} columns, over the limit of {limits.max_columns} "
            "(max_columns)",
        )
    mapping = canonical_columns(header, kind, name)
    body, skipped = clean_lines(text, header_end + 1, limits.max_row_bytes)
    frame, too_many = _split_fields(body, header, mapping, name)
    skipped["wrong number of fields"] += too_many
    for optional in OPTIONAL_COLUMNS.get(kind, ()):
        if optional not in frame.columns:
            frame[optional] = ""
    columns = KIND_COLUMNS[kind] + OPTIONAL_COLUMNS.get(kind, ())
    frame = frame[list(columns)].fillna("").reset_index(drop=True)
    if b'"' in body or _longest_line(body) > limits.max_field_chars:
        # (without quotes every value is part of one line, so none can be longer)
        long_field = np.zeros(len(frame), dtype=bool)
        for column in frame.columns:
            long_field |= _longer_than(frame[column], limits.max_field_chars)
        skipped["field too long"] += int(long_field.sum())
        frame = frame.loc[~long_field].reset_index(drop=True)
    frame.attrs.update(name=name, skipped=dict(+skipped))
    return frame


def _longest_line(body: bytes) -> int:
    """Bytes in the longest line of ``body`` (without its LF), block by block."""
    buffer = np.frombuffer(body, dtype=np.uint8)
    longest, previous = 0, -1
    for start in range(0, len(buffer), LINE_BLOCK_BYTES):
        newlines = np.flatnonzero(buffer[start : start + LINE_BLOCK_BYTES] == 10) + start
        if len(newlines):
            longest = max(longest, int(np.diff(newlines, prepend=previous).max()) - 1)
            previous = int(newlines[-1])
    return max(longest, len(buffer) - previous - 1)


def _longer_than(values: pd.Series, limit: int) -> np.ndarray:
    """Which values are longer than ``limit`` characters once trimmed (few are long raw)."""
    long = values.str.len().to_numpy(dtype=np.int64, na_value=0) > limit
    if long.any():
        long[long] = values[long].str.strip().str.len().to_numpy() > limit
    return long


def _split_fields(
    body: bytes, header: list[str], mapping: dict[str, str], name: str
) -> tuple[pd.DataFrame, int]:
    """The mapped columns of the body's rows (renamed), and how many rows had more
    non-empty fields than the header. The rows are read with one spare column beyond the
    header, so such a row is caught wherever it stands, after a first row of exactly that
    many (empty) fields: pandas sizes the frame by its first row, so an over-long first row
    would otherwise be cut (or taken for an index column), and so would later ones."""
    spare = "\0spare"
    names = [*(f"\0{i}" for i in range(len(header))), spare]
    columns = {f"\0{header.index(column)}": target for column, target in mapping.items()}
    if not body.strip():
        return pd.DataFrame({target: [] for target in columns.values()}, dtype=object), 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                _Joined(b"," * len(header) + b"\n", body),
                header=None,
                names=names,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values={spare: [""]},  # an empty quoted extra field ("") is tolerated
                on_bad_lines="warn",
                encoding="utf-8",
            )
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(name, f"not a readable CSV file ({exc})") from None
    frame = frame.iloc[1:]
    too_long = frame[spare].notna().to_numpy()
    bad_lines = sum(len(_BAD_LINE.findall(str(w.message))) for w in caught) + int(too_long.sum())
    frame = frame.loc[~too_long, list(columns)].rename(columns=columns)
    return frame, bad_lines


class _Joined(io.RawIOBase):
    """Several byte strings read as one stream (no copy of the parts)."""

    def __init__(self, *parts: bytes):
        self.parts = [memoryview(part) for part in parts]
        self.index = self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.index < len(self.parts):
            part = self.parts[self.index]
            if self.offset < len(part):
                count = min(len(buffer), len(part) - self.offset)
                buffer[:count] = part[self.offset : self.offset + count]
                self.offset += count
                return count
            self.index, self.offset = self.index + 1, 0
        return 0


# What str.strip() removes (ASCII), and the comma: the bytes cut from the end of a line.
