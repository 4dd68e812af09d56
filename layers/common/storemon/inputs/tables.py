"""Reading and validating the three input files (SPEC §1).

``read_input`` turns the bytes of one file into a frame of raw strings (the columns the
report needs, under their canonical names). ``parse_status`` / ``parse_hours`` /
``parse_timezones`` turn such frames into typed tables, skipping and counting every row that
breaks the rules. A file that cannot be used at all raises :class:`InputError`, whose message
names the file and the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from storemon.errors import InputError
from storemon.inputs import field_parsers
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits

KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "status": ("store_id", "status", "timestamp_utc"),
    "hours": ("store_id", "dayOfWeek", "start_time_local", "end_time_local"),
    "timezones": ("store_id", "timezone_str"),
}
DEFAULT_NAMES = {
    "status": "store_status.csv",
    "hours": "menu_hours.csv",
    "timezones": "timezones.csv",
}
# Alternative header spellings, compared case-insensitively after trimming.
COLUMN_ALIASES = {"day": "dayOfWeek", "day_of_week": "dayOfWeek"}

_BAD_LINE = re.compile(r"Skipping line \d+")


@dataclass
class FileStats:
    """Rows read from one file and rows skipped, by reason."""

    name: str
    rows_read: int = 0
    skipped: Counter = field(default_factory=Counter)

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped[reason] += int(count)

    def keep_valid(self, checks: list[tuple[str, np.ndarray]]) -> np.ndarray:
        """The rows that pass every check; each other row is counted once, under the first
        check (in the given order) that it fails."""
        keep = np.ones(len(checks[0][1]), dtype=bool)
        for reason, ok in checks:
            self.skip(reason, (keep & ~ok).sum())
            keep &= ok
        return keep

    def as_dict(self) -> dict:
        return {
            "file": self.name,
            "rows_read": self.rows_read,
            "rows_skipped": int(sum(self.skipped.values())),
            "skipped_reasons": dict(sorted(self.skipped.items())),
        }


_GZIP_CHUNK = 1 << 20  # compressed bytes fed to the inflater at a time
_SNIFF_BYTES = 65536  # a NUL byte this early means a binary file


def prepare_text(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The checked text of one file (both readers start here): size limits, gunzip, BOM
    removed, refused when empty, binary or not UTF-8, every line end (CR, LF or CR LF)
    made a LF."""
    text = decompress(data, name, limits)
    check_text(text, name)
    return normalise_line_ends(text)


def decompress(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's text bytes: gunzipped (streamed, stopping at ``max_text_bytes``) when it
    starts with the gzip magic, BOM removed; InputError over a size limit."""
    if len(data) > limits.max_input_bytes:
        raise InputError(
            name,
            f"file is {len(data):,} bytes, over the limit of {limits.max_input_bytes:,} "
            "(max_input_bytes)",
        )
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, limits.max_text_bytes)
    elif len(data) > limits.max_text_bytes:
        raise _too_big(name, limits.max_text_bytes)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def _too_big(name: str, limit: int) -> InputError:
    return InputError(name, f"text is over the limit of {limit:,} bytes (max_text_bytes)")


def _gunzip(data: bytes, name: str, limit: int) -> bytes:
    """Every gzip member of ``data``, inflated chunk by chunk; never more than ``limit + 1``
    bytes of output (a gzip bomb stops there with InputError, having held about ``limit``)."""
    pieces: list[bytes] = []
    size = 0
    view = memoryview(data)
    try:
        while True:
            inflater = zlib.decompressobj(wbits=31)  # gzip wrapper: header, CRC and size
            fed = 0
            while not inflater.eof:
                chunk = inflater.unconsumed_tail
                if not chunk:
                    if fed >= len(view):
                        raise InputError(name, "not a valid gzip file (truncated)")
                    chunk, fed = bytes(view[fed : fed + _GZIP_CHUNK]), fed + _GZIP_CHUNK
                pieces.append(inflater.decompress(chunk, limit + 1 - size))
                size += len(pieces[-1])
                if size > limit:
                    raise _too_big(name, limit)
            view = view[min(fed, len(view)) - len(inflater.unused_data) :]
            if view[:2] != b"\x1f\x8b":  # no further member
                break
    except zlib.error as exc:
        raise InputError(name, f"not a valid gzip file ({exc})") from None
    if view.tobytes().strip(b"\0"):
        raise InputError(name, "not a valid gzip file (data after the end)")
    return b"".join(pieces)


def check_text(data: bytes, name: str) -> None:
    """Refuse empty and binary files, and files that are not UTF-8 (no copy of the text)."""
    if not data or data.isspace():
        raise InputError(name, "file is empty")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(name, "not a CSV file (binary content)")
    if data.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    for offset in range(0, len(data), _GZIP_CHUNK):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            decoder.decode(data[offset : offset + _GZIP_CHUNK], offset + _GZIP_CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            byte = offset - pending + exc.start
            raise InputError(name, f"not UTF-8 text (byte {byte})") from None


def normalise_line_ends(text: bytes) -> bytes:
    """CR LF and a lone CR (classic Mac) become LF; text without a lone CR is returned as is
    (both readers handle CR LF themselves)."""
    if b"\r" not in text or text.count(b"\r") == text.count(b"\r\n"):
        return text
    return text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def canonical_columns(header: list[str], kind: str, name: str) -> dict[str, str]:
    """Map the file's header to canonical column names; raise if a required one is missing.

    Names are compared trimmed and case-insensitively; an exact name wins over an alias
    (``dayOfWeek`` over ``day`` when a file has both), and the first of duplicates wins.
    """
    exact = {column.lower(): column for column in KIND_COLUMNS[kind]}
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
    header = next(csv.reader([header_line.rstrip(_CUT_BYTES).decode("utf-8")]), [])
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
    frame = frame[list(KIND_COLUMNS[kind])].fillna("").reset_index(drop=True)
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
WHITESPACE_BYTES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_CUT_BYTES = WHITESPACE_BYTES + b","
_CUT = np.zeros(256, dtype=bool)
_CUT[list(_CUT_BYTES)] = True
LINE_BLOCK_BYTES = 1 << 23  # lines are cleaned 8 MB at a time


def clean_lines(text: bytes, start: int, max_row_bytes: int) -> tuple[bytes, Counter]:
    """``text[start:]`` with the line rules applied, and the dropped lines by reason.

    A line (ended by a LF; a CR before it is not counted) longer than ``max_row_bytes``
    is dropped ("row too long"), then a line with a NUL byte ("NUL character"); every other
    line loses its trailing whitespace and commas (empty trailing fields; a line of only
    those becomes blank). The text is copied only when a line changes.
    """
    skipped: Counter = Counter()
    buffer = np.frombuffer(text, dtype=np.uint8)
    pieces, changed = [], False
    for block_start, block_end in line_blocks(text, start, LINE_BLOCK_BYTES):
        piece = _clean_block(buffer[block_start:block_end], max_row_bytes, skipped)
        changed |= piece is not None
        pieces.append(text[block_start:block_end] if piece is None else piece)
    if not changed:
        return (text[start:] if start else text), skipped
    return b"".join(pieces), skipped


def line_blocks(text: bytes, start: int, size: int) -> list[tuple[int, int]]:
    """[start, len(text)) cut into pieces of about ``size`` bytes that end after a LF."""
    blocks = []
    while start < len(text):
        end = len(text)
        if start + size < len(text):
            newline = text.find(b"\n", start + size)
            end = len(text) if newline < 0 else newline + 1
        blocks.append((start, end))
        start = end
    return blocks


def _clean_block(block: np.ndarray, max_row_bytes: int, skipped: Counter) -> bytes | None:
    """:func:`clean_lines` on a block of whole lines; None when no line changes."""
    newlines = np.flatnonzero(block == 10)
    starts = np.append(0, newlines + 1)
    ends = np.append(newlines, len(block))
    ends = ends - ((ends > starts) & (block[np.maximum(ends - 1, 0)] == 13))  # CR LF
    too_long = ends - starts > max_row_bytes
    has_nul = np.zeros(len(starts), dtype=bool)
    if (block == 0).any():
        has_nul[np.searchsorted(starts, np.flatnonzero(block == 0), side="right") - 1] = True
        has_nul &= ~too_long
    skipped["row too long"] += int(too_long.sum())
    skipped["NUL character"] += int(has_nul.sum())
    drop = too_long | has_nul
    cut = ends.copy()
    moving = np.flatnonzero(~drop & (cut > starts))
    while len(moving):  # at most max_row_bytes rounds
        moving = moving[_CUT[block[cut[moving] - 1]]]
        cut[moving] -= 1
        moving = moving[cut[moving] > starts[moving]]
    trimmed = ~drop & (cut < ends)
    if not (drop.any() or trimmed.any()):
        return None
    removed_from = np.concatenate([starts[drop], cut[trimmed]])
    removed_to = np.concatenate([np.minimum(ends[drop] + 1, len(block)), ends[trimmed]])
    delta = np.zeros(len(block) + 1, dtype=np.int8)
    np.add.at(delta, removed_from, 1)
    np.add.at(delta, removed_to, -1)
    return block[np.cumsum(delta[:-1], dtype=np.int8) == 0].tobytes()


def _stats_for(frame: pd.DataFrame, kind: str) -> FileStats:
    stats = FileStats(frame.attrs.get("name", DEFAULT_NAMES[kind]))
    skipped = frame.attrs.get("skipped", {})
    stats.rows_read = len(frame) + int(sum(skipped.values()))
    for reason, count in skipped.items():
        stats.skip(reason, count)
    return stats


def _per_distinct(series: pd.Series, parse) -> tuple[np.ndarray, ...]:
    """Apply ``parse`` (which maps an object array of distinct strings to arrays) once per
    distinct value of ``series`` and spread the results back to every row."""
    codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=False)
    results = parse(np.asarray(distinct, dtype=object))
    return tuple(np.asarray(result)[codes] for result in results)


def _stripped(series: pd.Series) -> np.ndarray:
    """The values with surrounding whitespace removed (object array)."""
    (result,) = _per_distinct(
        series, lambda values: (np.array([str(v).strip() for v in values], dtype=object),)
    )
    return result


@dataclass
class Polls:
    """Valid polls: ``store`` indexes ``store_ids``; ``time_us`` is µs since the epoch, UTC."""

    store_ids: np.ndarray  # object array of distinct id strings
    store: np.ndarray  # int64 index into store_ids, one per poll
    time_us: np.ndarray  # int64
    active: np.ndarray  # bool
    stats: FileStats


def status_checks(has_id, status_ok, timestamp_ok) -> list[tuple[str, np.ndarray]]:
    """The status file's row checks, in the order a row's skip reason is chosen."""
    return [
        ("missing store_id", has_id),
        ("invalid status", status_ok),
        ("invalid timestamp", timestamp_ok),
    ]


def parse_status(frame: pd.DataFrame) -> Polls:
    stats = _stats_for(frame, "status")
    store_id = _stripped(frame["store_id"])
    has_id = store_id != ""
    status_matrix, status_len, _ = field_parsers.byte_matrix(frame["status"], 8)
    is_active, status_ok = field_parsers.status_codes(status_matrix, status_len)
    ts_matrix, ts_len, _ = field_parsers.byte_matrix(
        frame["timestamp_utc"], field_parsers.TIMESTAMP_WIDTH
    )
    time_us, ts_ok = field_parsers.parse_timestamps(ts_matrix, ts_len)
    keep = stats.keep_valid(status_checks(has_id, status_ok, ts_ok))
    codes, uniques = pd.factorize(store_id[keep])
    return Polls(
        store_ids=np.asarray(uniques, dtype=object),
        store=codes.astype(np.int64),
        time_us=time_us[keep],
        active=is_active[keep],
        stats=stats,
    )


_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")


def _clock_seconds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds after midnight of each ``H:MM`` / ``HH:MM`` / ``HH:MM:SS[.f]`` string, with
    validity; ``24:00`` / ``24:00:00`` (86,400) is kept valid here and refused as a start
    by the caller."""
    seconds, valid = [], []
    for value in values:
        match = _TIME_OF_DAY.fullmatch(str(value).strip())
        total, ok = 0, False
        if match:
            hour, minute, second = (int(g) if g else 0 for g in match.groups())
            total = hour * 3600 + minute * 60 + second
            ok = (hour <= 23 and minute <= 59 and second <= 59) or total == 86_400
        seconds.append(total if ok else 0)
        valid.append(ok)
    return np.array(seconds, dtype=np.int64), np.array(valid, dtype=bool)


def _weekday(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    days = [str(v).strip() for v in values]
    valid = np.array([len(d) == 1 and "0" <= d <= "6" for d in days], dtype=bool)
    weekday = [int(d) if ok else 0 for d, ok in zip(days, valid, strict=True)]
    return np.array(weekday, dtype=np.int64), valid


@dataclass
class Hours:
    """Valid business-hour rows. ``end_s`` is in (0, 86400]; 23:59:59 and 24:00 are 86400."""

    store_id: np.ndarray  # object
    weekday: np.ndarray  # int64, 0 = Monday
    start_s: np.ndarray  # int64 seconds after local midnight
    end_s: np.ndarray  # int64
    stats: FileStats


def parse_hours(frame: pd.DataFrame) -> Hours:
    stats = _stats_for(frame, "hours")
    store_id = _stripped(frame["store_id"])
    has_id = store_id != ""
    weekday, day_ok = _per_distinct(frame["dayOfWeek"], _weekday)
    start_s, start_ok = _per_distinct(frame["start_time_local"], _clock_seconds)
    end_s, end_ok = _per_distinct(frame["end_time_local"], _clock_seconds)
    start_ok = start_ok & (start_s < 86_400)  # 24:00 only as an end
    end_s = np.where(end_s == 86_399, 86_400, end_s)  # 23:59:59 means midnight at day's end
    keep = stats.keep_valid(
        [
            ("missing store_id", has_id),
            ("invalid day", day_ok),
            ("invalid start_time_local", start_ok),
            ("invalid end_time_local", end_ok),
        ]
    )
    return Hours(
        store_id=store_id[keep],
        weekday=weekday[keep].astype(np.int64),
        start_s=start_s[keep].astype(np.int64),
        end_s=end_s[keep].astype(np.int64),
        stats=stats,
    )


@dataclass
class Zones:
    """The zone string of each store (last row wins), not yet validated."""

    store_id: np.ndarray  # object, unique
    zone: np.ndarray  # object, stripped
    stats: FileStats


def parse_timezones(frame: pd.DataFrame) -> Zones:
    stats = _stats_for(frame, "timezones")
    store_id = _stripped(frame["store_id"])
    has_id = store_id != ""
    has_id = stats.keep_valid([("missing store_id", has_id)])
    zone = _stripped(frame["timezone_str"])
    kept = pd.DataFrame({"store_id": store_id[has_id], "zone": zone[has_id]})
    kept = kept.drop_duplicates("store_id", keep="last")
    return Zones(
        store_id=kept["store_id"].to_numpy(dtype=object),
        zone=kept["zone"].to_numpy(dtype=object),
        stats=stats,
    )
