"""Reading and validating the three input files (SPEC §1).

``read_input`` turns the bytes of one file into a frame of raw strings (the columns the
report needs, under their canonical names). ``parse_status`` / ``parse_hours`` /
``parse_timezones`` turn such frames into typed tables, skipping and counting every row that
breaks the rules. A file that cannot be used at all raises :class:`InputError`, whose message
names the file and the problem.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from storemon import textparse

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


class InputError(Exception):
    """An input file that cannot be used at all. ``str(error)`` is ``"<file>: <problem>"``."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


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


def decompress(data: bytes, name: str) -> bytes:
    """The file's text bytes: gunzipped when it starts with the gzip magic, BOM removed."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(name, f"not a valid gzip file ({exc})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def check_text(data: bytes, name: str) -> None:
    """Refuse empty and binary files, and files that are not UTF-8."""
    if not data.strip():
        raise InputError(name, "file is empty")
    if b"\x00" in data[:65536]:
        raise InputError(name, "not a CSV file (binary content)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text (byte {exc.start})") from None


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


def read_input(data: bytes, kind: str, name: str | None = None) -> pd.DataFrame:
    """Read one input file into a frame of raw strings with the canonical column names.

    ``frame.attrs`` carries ``name`` and ``bad_lines``: rows with more (non-empty) fields
    than the header, which are skipped. The file is read with one spare column beyond the
    header, so such a row is caught wherever it stands (pandas would otherwise take an
    over-long *first* row as a sign of an index column and shift every field).
    """
    name = name or DEFAULT_NAMES[kind]
    text = decompress(data, name)
    check_text(text, name)
    first_line = text.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([first_line]), [])
    mapping = canonical_columns(header, kind, name)
    spare = "\0spare"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                io.BytesIO(text),
                header=None,
                skiprows=1,
                names=[*(f"\0{i}" for i in range(len(header))), spare],
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values={spare: [""]},  # an empty trailing extra field is tolerated
                on_bad_lines="warn",
                encoding="utf-8",
            )
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(name, f"not a readable CSV file ({exc})") from None
    too_long = frame[spare].notna().to_numpy()
    bad_lines = sum(len(_BAD_LINE.findall(str(w.message))) for w in caught) + int(too_long.sum())
    columns = {f"\0{header.index(column)}": target for column, target in mapping.items()}
    frame = frame.loc[~too_long, list(columns)].rename(columns=columns)
    frame = frame[list(KIND_COLUMNS[kind])].fillna("").reset_index(drop=True)
    frame.attrs.update(name=name, bad_lines=bad_lines)
    return frame


def _stats_for(frame: pd.DataFrame, kind: str) -> FileStats:
    stats = FileStats(frame.attrs.get("name", DEFAULT_NAMES[kind]))
    bad_lines = int(frame.attrs.get("bad_lines", 0))
    stats.rows_read = len(frame) + bad_lines
    stats.skip("wrong number of fields", bad_lines)
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
    status_matrix, status_len, _ = textparse.byte_matrix(frame["status"], 8)
    is_active, status_ok = textparse.status_codes(status_matrix, status_len)
    ts_matrix, ts_len, _ = textparse.byte_matrix(frame["timestamp_utc"], textparse.TIMESTAMP_WIDTH)
    time_us, ts_ok = textparse.parse_timestamps(ts_matrix, ts_len)
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
