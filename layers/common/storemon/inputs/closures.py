"""The closures file (SPEC §9): planned time off, read like the other inputs.

Columns ``store_id,start_local,end_local[,reason]`` (any case, any order; ``reason`` may be
absent). ``store_id`` ``*`` closes every store. Times are local wall-clock times
``YYYY-MM-DD HH:MM[:SS]`` (a ``T`` instead of the space too; an end may be ``24:00``, the
midnight at the end of its date), read later in each store's zone
(:mod:`storemon.report.closures`); each closure is ``[start, end)``.

The file goes through the general reader (:func:`storemon.inputs.csv_reader.read_input`), so
the size limits, gzip, UTF-8, line and field rules are the other inputs' own. A row is
skipped and counted (:class:`~storemon.inputs.tables.FileStats`) for a missing store id, a
start or end that is not such a time ("invalid start_local" / "invalid end_local"), or an
end at or before its start ("end_local not after start_local"), compared as the wall times
are written, before any zone is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
import pandas as pd

from storemon.inputs import csv_reader
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits
from storemon.inputs.tables import FileStats, per_distinct, stats_for, stripped

EVERY_STORE = "*"
SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_WALL_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
)


@dataclass
class Closures:
    """Valid closure rows, in file order.

    ``store_id`` (object: the trimmed id, ``"*"`` for every store); ``start_day`` /
    ``end_day`` (int64: the local date as days since 1970-01-01); ``start_s`` / ``end_s``
    (int64: seconds after that local midnight); ``reason`` (object: trimmed, may be empty).
    """

    store_id: np.ndarray
    start_day: np.ndarray
    start_s: np.ndarray
    end_day: np.ndarray
    end_s: np.ndarray
    reason: np.ndarray
    stats: FileStats

    def __len__(self) -> int:
        return len(self.store_id)

    def select(self, keep: np.ndarray) -> Closures:
        """The rows where ``keep`` is true (the same stats)."""
        return Closures(
            store_id=self.store_id[keep],
            start_day=self.start_day[keep],
            start_s=self.start_s[keep],
            end_day=self.end_day[keep],
            end_s=self.end_s[keep],
            reason=self.reason[keep],
            stats=self.stats,
        )


def wall_times(
    values: np.ndarray, *, end: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each ``YYYY-MM-DD HH:MM[:SS]`` string (trimmed) as (local day since 1970-01-01,
    seconds after midnight, valid): a real calendar date, hours <= 23, minutes and seconds
    <= 59; with ``end``, ``24:00[:00]`` too, the midnight at the end of that date (as an end
    of business hours may be, SPEC §1)."""
    days, seconds, valid = [], [], []
    for value in values:
        day, second, ok = _wall_time(str(value).strip(), end)
        days.append(day)
        seconds.append(second)
        valid.append(ok)
    return (
        np.array(days, dtype=np.int64),
        np.array(seconds, dtype=np.int64),
        np.array(valid, dtype=bool),
    )


def _wall_time(text: str, end: bool) -> tuple[int, int, bool]:
    match = _WALL_TIME.fullmatch(text)
    if match is None:
        return 0, 0, False
    year, month, mday, hour, minute = (int(g) for g in match.groups()[:5])
    sec = int(match.group(6) or 0)
    try:
        day = date(year, month, mday).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return 0, 0, False
    if end and (hour, minute, sec) == (24, 0, 0):
        return day + 1, 0, True
    if hour > 23 or minute > 59 or sec > 59:
        return 0, 0, False
    return day, hour * 3600 + minute * 60 + sec, True


def parse_closures(frame: pd.DataFrame) -> Closures:
    """:class:`Closures` from the general reader's frame of raw strings."""
    stats = stats_for(frame, "closures")
    store_id = stripped(frame["store_id"])
    start_day, start_s, start_ok = per_distinct(frame["start_local"], wall_times)
    end_day, end_s, end_ok = per_distinct(frame["end_local"], partial(wall_times, end=True))
    after = (end_day * SECONDS_PER_DAY + end_s) > (start_day * SECONDS_PER_DAY + start_s)
    keep = stats.keep_valid(
        [
            ("missing store_id", store_id != ""),
            ("invalid start_local", start_ok),
            ("invalid end_local", end_ok),
            ("end_local not after start_local", after),
        ]
    )
    return Closures(
        store_id=store_id[keep],
        start_day=start_day[keep].astype(np.int64),
        start_s=start_s[keep].astype(np.int64),
        end_day=end_day[keep].astype(np.int64),
        end_s=end_s[keep].astype(np.int64),
        reason=stripped(frame["reason"])[keep],
        stats=stats,
    )


def read_closures(data: bytes, name: str | None = None, limits: Limits | None = None) -> Closures:
    """The closures file's bytes (plain or gzip) read and validated; InputError naming the
    file when it cannot work (too big, not CSV, a required column missing...)."""
    name = name or csv_reader.DEFAULT_NAMES["closures"]
    frame = csv_reader.read_input(data, "closures", name, limits or DEFAULT_LIMITS)
    return parse_closures(frame)


def no_closures(name: str | None = None) -> Closures:
    """An empty table (a snapshot built without a closures file)."""
    empty = np.zeros(0, dtype=np.int64)
    return Closures(
        store_id=np.zeros(0, dtype=object),
        start_day=empty,
        start_s=empty,
        end_day=empty,
        end_s=empty,
        reason=np.zeros(0, dtype=object),
        stats=FileStats(name or csv_reader.DEFAULT_NAMES["closures"]),
    )
