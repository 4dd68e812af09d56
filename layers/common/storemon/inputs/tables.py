"""The typed tables of the three inputs (SPEC §1) and the row rules that make them.

``parse_status`` / ``parse_hours`` / ``parse_timezones`` turn the general reader's frames of
raw strings (:func:`storemon.inputs.csv_reader.read_input`) into :class:`Polls`,
:class:`Hours` and :class:`Zones`, skipping and counting every row that breaks the rules
(:class:`FileStats`). The status file's fast reader (:mod:`storemon.inputs.status_reader`)
makes the same :class:`Polls` with the same rules (:func:`status_checks`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from storemon.inputs import field_parsers
from storemon.inputs.file_text import DEFAULT_NAMES

if TYPE_CHECKING:  # pandas is imported where a frame is made or read: the status file's fast
    import pandas as pd  # reader needs none (it is parsed while pandas loads, inputs.parse)


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


def stats_for(frame: pd.DataFrame, kind: str) -> FileStats:
    stats = FileStats(frame.attrs.get("name", DEFAULT_NAMES[kind]))
    skipped = frame.attrs.get("skipped", {})
    stats.rows_read = len(frame) + int(sum(skipped.values()))
    for reason, count in skipped.items():
        stats.skip(reason, count)
    return stats


def per_distinct(series: pd.Series, parse) -> tuple[np.ndarray, ...]:
    """Apply ``parse`` (which maps an object array of distinct strings to arrays) once per
    distinct value of ``series`` and spread the results back to every row."""
    import pandas as pd

    codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=False)
    results = parse(np.asarray(distinct, dtype=object))
    return tuple(np.asarray(result)[codes] for result in results)


def stripped(series: pd.Series) -> np.ndarray:
    """The values with surrounding whitespace removed (object array)."""
    (result,) = per_distinct(
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
    import pandas as pd

    stats = stats_for(frame, "status")
    store_id = stripped(frame["store_id"])
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


_WEEKDAY = re.compile(r"[+-]?[0-9]{1,9}")  # an integer, as written: "2", "02", "+2"


def _weekday(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dayOfWeek read as an integer (``02`` and ``+2`` are 2: skipping them would make the
    store open 24/7); valid from 0 to 6, anything else ("2.5", "Mon", "7") is counted."""
    days = [str(v).strip() for v in values]
    numbers = [int(d) if d.isascii() and _WEEKDAY.fullmatch(d) else -1 for d in days]
    valid = np.array([0 <= n <= 6 for n in numbers], dtype=bool)
    weekday = [n if ok else 0 for n, ok in zip(numbers, valid, strict=True)]
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
    stats = stats_for(frame, "hours")
    store_id = stripped(frame["store_id"])
    has_id = store_id != ""
    weekday, day_ok = per_distinct(frame["dayOfWeek"], _weekday)
    start_s, start_ok = per_distinct(frame["start_time_local"], _clock_seconds)
    end_s, end_ok = per_distinct(frame["end_time_local"], _clock_seconds)
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
    import pandas as pd

    stats = stats_for(frame, "timezones")
    store_id = stripped(frame["store_id"])
    has_id = store_id != ""
    has_id = stats.keep_valid([("missing store_id", has_id)])
    zone = stripped(frame["timezone_str"])
    kept = pd.DataFrame({"store_id": store_id[has_id], "zone": zone[has_id]})
    kept = kept.drop_duplicates("store_id", keep="last")
    return Zones(
        store_id=kept["store_id"].to_numpy(dtype=object),
        zone=kept["zone"].to_numpy(dtype=object),
        stats=stats,
    )
