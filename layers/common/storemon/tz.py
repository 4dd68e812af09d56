"""Local wall-clock times to UTC instants, exactly as ``zoneinfo`` reads them with ``fold=0``.

SPEC §3: a wall time in a spring-forward gap takes the offset from before the gap, an
ambiguous wall time in a fall-back night takes its first (daylight) occurrence. That is
``datetime(..., tzinfo=ZoneInfo(zone)).utcoffset()`` with the default ``fold=0``.

The zone work is done once per distinct (zone, local date), never per row: for each such pair
we ask zoneinfo for the offset at the day's first wall second and at the next day's first wall
second. When they are equal the whole day has one offset. When they differ (a transition
day), a bisection over the day's wall seconds, still asking zoneinfo, finds the first wall
second that takes the new offset. Every wall time of that day then maps with one comparison.
(This assumes at most one transition per local day, true of every zone in the tz database
for the dates a report covers.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

import numpy as np

DEFAULT_ZONE = "America/Chicago"
SECONDS_PER_DAY = 86_400
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def valid_zone_names() -> frozenset[str]:
    """IANA names known to this system's zoneinfo (the tzdata package as a fallback)."""
    return frozenset(available_timezones())


def is_valid_zone(name: str) -> bool:
    return name in valid_zone_names()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# datetime covers 0001-01-01 .. 9999-12-31; days beyond take the offsets of its edges.
_FIRST_DAY = (datetime(1, 1, 2) - _EPOCH).days
_LAST_DAY = (datetime(9999, 12, 30) - _EPOCH).days


def _seconds(offset: timedelta | None) -> int:
    # a ZoneInfo always has an offset; None would only come from a naive datetime
    return 0 if offset is None else int(offset.total_seconds())


def wall_offset(zone: str, day: int, second: int) -> int:
    """UTC offset in seconds of the wall time ``day`` (days since 1970-01-01) + ``second``."""
    day = min(max(int(day), _FIRST_DAY), _LAST_DAY)
    wall = _EPOCH + timedelta(days=day, seconds=int(second))
    return _seconds(wall.replace(tzinfo=_zone(zone)).utcoffset())


def utc_offset(zone: str, day: int, second: int) -> int:
    """UTC offset in seconds in ``zone`` at the UTC instant ``day`` (days since 1970-01-01)
    + ``second``."""
    day = min(max(int(day), _FIRST_DAY), _LAST_DAY)
    instant = _EPOCH_UTC + timedelta(days=day, seconds=int(second))
    return _seconds(instant.astimezone(_zone(zone)).utcoffset())


def day_profile(
    zone: str, day: int, offset: Callable[[str, int, int], int] = wall_offset
) -> tuple[int, int, int]:
    """``(threshold, before, after)``: seconds of ``day`` below ``threshold`` take offset
    ``before``, the others ``after`` (``threshold`` is 86,400 on a day without a transition).

    ``offset`` is :func:`wall_offset` (the day's seconds are local wall seconds) or
    :func:`utc_offset` (they are UTC seconds).
    """
    before = offset(zone, day, 0)
    after = offset(zone, day + 1, 0)
    if before == after:
        return SECONDS_PER_DAY, before, before
    low, high = 0, SECONDS_PER_DAY  # offset(low) == before, offset(high) != before
    while high - low > 1:
        middle = (low + high) // 2
        if offset(zone, day, middle) == before:
            low = middle
        else:
            high = middle
    return high, before, after


def wall_to_utc(
    zone_index: np.ndarray, day: np.ndarray, second: np.ndarray, zones: list[str]
) -> np.ndarray:
    """UTC seconds since the epoch of local wall times.

    ``zone_index`` indexes ``zones``; ``day`` is the local date as days since 1970-01-01;
    ``second`` is in [0, 86400).
    """
    if len(day) == 0:
        return np.zeros(0, dtype=np.int64)
    offset = _offsets(zone_index, day, second, zones, wall_offset)
    return day.astype(np.int64) * SECONDS_PER_DAY + second - offset


def utc_offsets(zone_index: np.ndarray, utc_seconds: np.ndarray, zones: list[str]) -> np.ndarray:
    """UTC offsets in seconds (int64) of UTC instants (seconds since the epoch) in their
    zones; ``zone_index`` indexes ``zones``. Zone work once per distinct (zone, UTC date)."""
    if len(utc_seconds) == 0:
        return np.zeros(0, dtype=np.int64)
    day, second = np.divmod(np.asarray(utc_seconds, dtype=np.int64), SECONDS_PER_DAY)
    return _offsets(zone_index, day, second, zones, utc_offset)


def _offsets(
    zone_index: np.ndarray,
    day: np.ndarray,
    second: np.ndarray,
    zones: list[str],
    offset: Callable[[str, int, int], int],
) -> np.ndarray:
    """The offset of each (zone, day, second), asking ``offset`` once per (zone, day)."""
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    pair_key = zone_index.astype(np.int64) * span + (day - first_day)
    pairs, pair_of_row = np.unique(pair_key, return_inverse=True)
    profiles = np.array(
        [
            day_profile(zones[int(key // span)], int(key % span) + first_day, offset)
            for key in pairs
        ],
        dtype=np.int64,
    ).reshape(-1, 3)
    threshold, before, after = profiles[pair_of_row.ravel()].T
    return np.where(second < threshold, before, after)
