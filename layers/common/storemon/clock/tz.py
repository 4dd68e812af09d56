"""Local wall-clock times to UTC instants, exactly as ``zoneinfo`` reads them with ``fold=0``.

SPEC §3: a wall time in a spring-forward gap takes the offset from before the gap, an
ambiguous wall time in a fall-back night takes its first (daylight) occurrence. That is
``datetime(..., tzinfo=ZoneInfo(zone)).utcoffset()`` with the default ``fold=0``.

The zone work is done once per zone, never per row or per date: :func:`offset_table` reads
the zone's transitions over the years the data spans (the tz database's list, then its
POSIX rule for the years after the list, as ``zoneinfo`` does) into two sorted arrays, one
in UTC and one in wall time (a transition's wall threshold under ``fold=0`` is its UTC
instant plus the larger of the offsets before and after it: a gap takes the offset from
before it, a fold its first occurrence). Every instant then maps with one vectorised
``searchsorted``, so the cost follows the number of zones and years, not of (zone, date)
pairs: 1 M polls spread over two centuries cost what 1 M polls of one week cost.

The transitions come from ``zoneinfo``'s own reference implementation
(``zoneinfo._zoneinfo``, the pure-Python twin of the C module, which reads the same files):
the tests check every zone against ``ZoneInfo`` itself, instant by instant, around every
transition. :func:`wall_offset`, :func:`utc_offset` and :func:`day_profile` ask ``ZoneInfo``
directly, one value at a time: the reference the tables are tested against.
"""

from __future__ import annotations

import os
import posixpath
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones
from zoneinfo import _zoneinfo as _reference  # type: ignore[attr-defined]  # pure-Python twin

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
    """Whether ``name`` is one of :func:`zoneinfo.available_timezones`' keys. That set costs a
    walk of the whole tz database (tens of milliseconds in a fresh process), so a name whose
    file is plainly where that walk finds it is accepted at once; any other name is looked
    up in the set."""
    return _walk_would_list(name) or name in valid_zone_names()


def _walk_would_list(name: str) -> bool:
    """True only when ``available_timezones()`` lists ``name`` for a file under a TZPATH
    root: a normalised relative key, not ``posixrules``, not under the top-level ``right/``
    or ``posix/`` directories, reached through real directories (the walk does not follow
    links to directories), not a directory itself, a file starting with ``TZif``."""
    parts = name.split("/")
    if (
        not name
        or name == "posixrules"
        or posixpath.normpath(name) != name
        or name.startswith("/")
        or ".." in parts
        or (len(parts) > 1 and parts[0] in ("right", "posix"))
    ):
        return False
    return any(_tzif_file(root, parts) for root in zoneinfo.TZPATH)


def _tzif_file(root: str, parts: list[str]) -> bool:
    directory = root
    for part in parts[:-1]:
        directory = os.path.join(directory, part)
        if os.path.islink(directory) or not os.path.isdir(directory):
            return False
    path = os.path.join(directory, parts[-1])
    try:
        if os.path.isdir(path):
            return False
        with open(path, "rb") as handle:
            return handle.read(4) == b"TZif"
    except (OSError, ValueError):
        return False


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
    day = np.asarray(day, dtype=np.int64)
    offset = _lookup(zone_index, _clamped(day, second), zones, wall=True)
    return day * SECONDS_PER_DAY + second - offset


def utc_offsets(zone_index: np.ndarray, utc_seconds: np.ndarray, zones: list[str]) -> np.ndarray:
    """UTC offsets in seconds (int64) of UTC instants (seconds since the epoch) in their
    zones; ``zone_index`` indexes ``zones``. Zone work once per zone (:func:`offset_table`)."""
    if len(utc_seconds) == 0:
        return np.zeros(0, dtype=np.int64)
    day, second = np.divmod(np.asarray(utc_seconds, dtype=np.int64), SECONDS_PER_DAY)
    return _lookup(zone_index, _clamped(day, second), zones, wall=False)


def _clamped(day: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Seconds since the epoch with the day held inside ``datetime``'s range (as
    :func:`wall_offset` and :func:`utc_offset` do)."""
    return np.clip(day, _FIRST_DAY, _LAST_DAY) * SECONDS_PER_DAY + second


# Keys of the joined tables: zone * _KEY_SPAN + (seconds - _KEY_BASE); every clamped second
# lies strictly inside (_KEY_BASE, _KEY_BASE + _KEY_SPAN).
_KEY_BASE = (_FIRST_DAY - 2) * SECONDS_PER_DAY
_KEY_SPAN = (_LAST_DAY - _FIRST_DAY + 5) * SECONDS_PER_DAY
_SECONDS_PER_YEAR = 31_556_952  # mean Gregorian year


def _year(seconds: int) -> int:
    return 1970 + seconds // _SECONDS_PER_YEAR


def _lookup(zone_index: np.ndarray, seconds: np.ndarray, zones: list[str], *, wall: bool):
    """The offset in effect at each second (UTC seconds, or wall seconds read with
    ``fold=0`` when ``wall``) in its zone: one ``searchsorted`` over every zone's table."""
    zone_index = np.asarray(zone_index, dtype=np.int64)
    years = (_year(int(seconds.min())) - 1, _year(int(seconds.max())) + 1)
    used = np.unique(zone_index)
    keys, offsets = [], []
    for zone in used:  # once per zone
        table = offset_table(zones[int(zone)], *years)
        at = table.wall if wall else table.utc
        keys.append(int(zone) * _KEY_SPAN + np.clip(at - _KEY_BASE, 0, _KEY_SPAN - 1))
        offsets.append(table.offset)
    joined = np.concatenate(keys)
    found = np.searchsorted(joined, zone_index * _KEY_SPAN + (seconds - _KEY_BASE), side="right")
    return np.concatenate(offsets)[found - 1]


class OffsetTable:
    """A zone's offsets over some years: ``offset[0]`` before ``utc[1]``, ``offset[i]``
    from transition ``i`` on (``utc[0]``/``wall[0]`` are the table's start, far in the past).
    ``utc``: transition instants, UTC seconds; ``wall``: the wall second from which a wall
    time read with ``fold=0`` takes the new offset (sorted, like ``utc``). int64 arrays."""

    def __init__(self, utc: np.ndarray, wall: np.ndarray, offset: np.ndarray):
        self.utc = utc.astype(np.int64)
        self.wall = np.maximum.accumulate(wall.astype(np.int64))
        self.offset = offset.astype(np.int64)


@lru_cache(maxsize=4096)
def offset_table(zone: str, first_year: int, last_year: int) -> OffsetTable:
    """The offsets of ``zone`` exactly as ``zoneinfo`` gives them, for every instant of the
    years ``first_year`` .. ``last_year`` (and earlier ones: the file's own list is whole).

    The zone file's transitions as ``zoneinfo`` holds them, then the transitions of its POSIX
    rule (the file's footer, which ``zoneinfo`` uses after the list) for the years up to
    ``last_year`` + 1.
    """
    listed_utc, listed_wall, listed_after, before, rule = _listed(zone)
    utc, wall, after = [listed_utc], [listed_wall], [listed_after]
    if isinstance(rule, _reference._TZStr):
        last = int(listed_utc[-1]) if len(listed_utc) else None
        since = (first_year if last is None else max(first_year, _year(last))) - 1
        instant, old, new = _rule_transitions(rule, since, max(last_year, since) + 1)
        later = instant > last if last is not None else np.ones(len(instant), dtype=bool)
        # (the file's list holds the changes of its last year up to its last one)
        if before is None:
            before = int(old[0]) if len(old) else _seconds(rule.std.utcoff)
        utc.append(instant[later])
        wall.append((instant + np.maximum(old, new))[later])
        after.append(new[later])
    origin = np.array([_KEY_BASE - SECONDS_PER_DAY], dtype=np.int64)
    return OffsetTable(
        np.concatenate([origin, *utc]),
        np.concatenate([origin, *wall]),
        np.concatenate([[before or 0], *after]),
    )


@cache
def _listed(zone: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None, object]:
    """The zone file's transitions as ``zoneinfo`` holds them: UTC instants, ``fold=0``
    wall thresholds, offsets after, the offset before the first (None when the file lists
    none and a rule governs every date), and the rule (or fixed offset) after the list."""
    info = _reference_zone(zone)
    rule = info._tz_after
    utc = np.array(info._trans_utc, dtype=np.int64)
    wall = np.array(info._trans_local[0], dtype=np.int64)
    after = np.array([_seconds(t.utcoff) for t in info._ttinfos], dtype=np.int64)
    if len(utc):
        before: int | None = _seconds(info._tti_before.utcoff)
    elif isinstance(rule, _reference._TZStr):
        before = None
    else:
        before = _seconds(rule.utcoff)
    return utc, wall, after, before, rule


_CYCLE_YEARS = 400  # the Gregorian calendar repeats every 400 years,
_CYCLE_SECONDS = 146_097 * SECONDS_PER_DAY  # and so does every POSIX rule


def _rule_transitions(
    rule, first_year: int, last_year: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTC instant, offset before, offset after) of a POSIX TZ rule's changes in the years
    ``first_year`` .. ``last_year`` (within 1 .. 9999), sorted by instant.

    ``rule.transitions(year)`` gives the wall second (since the epoch) of the start of
    daylight time in standard time, and of its end in daylight time (POSIX). At most one
    400-year cycle is computed; later cycles are the same instants shifted."""
    std, dst = _seconds(rule.std.utcoff), _seconds(rule.dst.utcoff)
    first_year, last_year = max(first_year, 1), min(last_year, 9999)
    years = range(first_year, min(last_year, first_year + _CYCLE_YEARS - 1) + 1)
    found = []
    for year in years:
        start, end = rule.transitions(year)
        found.append((start - std, std, dst))
        found.append((end - dst, dst, std))
    cycle = np.array(found, dtype=np.int64).reshape(-1, 3)
    cycles = -(-(last_year - first_year + 1) // _CYCLE_YEARS)
    table = np.tile(cycle, (cycles, 1))
    table[:, 0] += np.repeat(np.arange(cycles) * _CYCLE_SECONDS, len(cycle))
    table = table[np.argsort(table[:, 0], kind="stable")]
    return table[:, 0], table[:, 1], table[:, 2]


@cache
def _reference_zone(name: str):
    return _reference.ZoneInfo.no_cache(name)
