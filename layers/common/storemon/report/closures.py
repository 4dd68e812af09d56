"""Closures (SPEC §9) as each reported store's closed time in UTC.

A closure row names a store (or ``*``: every store) and a local ``[start, end)``; in a store's
zone its wall times become instants as §3 reads wall times (``fold=0``: a wall time in a
spring-forward gap takes the offset from before the gap, an ambiguous one its first
occurrence; a row whose end becomes an instant at or before its start closes nothing). The
zone work is :func:`storemon.clock.tz.wall_to_utc`'s: once per zone, one ``searchsorted``
for all rows.

- :func:`closure_rows`: every (reported store, row) pair near the report's time span, as
  UTC ticks (unmerged: what the page lists, with the row's reason);
- :class:`ClosedSpans` (:func:`closed_spans`): each store's closed time, merged, with the
  closed time before each span, answering "is it closed at t" and "how much closed time
  before t" for many (store, instant) pairs at once;
- :func:`subtract_closed`: business intervals minus closed time (what
  :class:`~storemon.report.business_hours.StoreCalendar` holds for a store with hours);
- :func:`closures_frame`: the listing (:data:`CLOSURE_COLUMNS`) of a result.

A ``*`` row applies to every reported store, so it is held once per store: rows near the
report's span only, and at most :data:`MAX_STORE_CLOSURES` (store, row) pairs, else the
report fails naming the closures file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.clock import tz
from storemon.clock.iso import local_texts, utc_texts
from storemon.clock.ticks import TICKS_PER_SECOND, US_PER_DAY, ticks_to_us
from storemon.errors import InputError
from storemon.inputs.closures import EVERY_STORE, Closures
from storemon.report.per_group import (
    GroupSortKeys,
    exclusive_group_cumsum,
    merge_intervals,
    searchsorted_right,
)

MAX_STORE_CLOSURES = 5_000_000
# a wall time is within this many days of the same digits read as UTC, in any zone
MARGIN_DAYS = 2
CLOSURE_COLUMNS = ["store_id", "start_utc", "end_utc", "start_local", "end_local", "reason"]


@dataclass(frozen=True)
class ClosureRows:
    """Closure rows applied to reported stores, one entry per (store, row), unmerged:
    ``rank`` (int64), ``start_tick`` < ``end_tick`` (int64 UTC ticks) and ``row`` (int64:
    the row's index in the :class:`~storemon.inputs.closures.Closures` table)."""

    rank: np.ndarray
    start_tick: np.ndarray
    end_tick: np.ndarray
    row: np.ndarray


def closure_rows(
    closures: Closures,
    store_index: pd.Index,
    zone_of_rank: np.ndarray,
    zone_names: list[str],
    *,
    within_us: tuple[int, int],
) -> ClosureRows:
    """The rows of the stores ``store_index`` (rank -> id) and the ``*`` rows, each in its
    store's zone, kept when their local dates come within :data:`MARGIN_DAYS` of the UTC
    span ``within_us`` (the others cannot touch it)."""
    n_stores = len(store_index)
    low_day = within_us[0] // US_PER_DAY - MARGIN_DAYS
    high_day = within_us[1] // US_PER_DAY + MARGIN_DAYS
    near = (closures.end_day >= low_day) & (closures.start_day <= high_day)
    every = closures.store_id == EVERY_STORE
    own_rank = store_index.get_indexer(closures.store_id) if len(closures) else np.zeros(0)
    own = near & ~every & (own_rank >= 0)
    star = np.flatnonzero(near & every)
    pairs = int(own.sum()) + len(star) * n_stores
    if pairs > MAX_STORE_CLOSURES:
        raise InputError(
            closures.stats.name,
            f"{len(star):,} '*' rows near the report's period apply to each of "
            f"{n_stores:,} stores: {pairs:,} store closures, over the limit of "
            f"{MAX_STORE_CLOSURES:,}",
        )
    row = np.concatenate([np.flatnonzero(own), np.repeat(star, n_stores)]).astype(np.int64)
    rank = np.concatenate([own_rank[own], np.tile(np.arange(n_stores), len(star))])
    rank = rank.astype(np.int64)
    zone = zone_of_rank[rank]
    start = tz.wall_to_utc(zone, closures.start_day[row], closures.start_s[row], zone_names)
    end = tz.wall_to_utc(zone, closures.end_day[row], closures.end_s[row], zone_names)
    kept = end > start  # (a row inside one spring-forward gap can end before it starts)
    return ClosureRows(
        rank=rank[kept],
        start_tick=start[kept] * TICKS_PER_SECOND,
        end_tick=end[kept] * TICKS_PER_SECOND,
        row=row[kept],
    )


@dataclass(frozen=True)
class ClosedSpans:
    """Each store's closed time: merged ``[start_tick, end_tick)`` spans sorted by (rank,
    start), disjoint and not touching, then a sentinel of rank ``n_stores`` (an empty span)
    so the arrays are never empty; ``closed_before`` (int64 ticks): the store's closed time
    in its earlier spans."""

    n_stores: int
    rank: np.ndarray
    start_tick: np.ndarray
    end_tick: np.ndarray
    closed_before: np.ndarray

    def locate(self, rank: np.ndarray, tick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (rank, tick): the store's last span starting at or before ``tick`` (0
        when there is none) and whether there is one."""
        keys = GroupSortKeys(self.n_stores + 1, [self.start_tick, tick])
        at = searchsorted_right(keys(self.rank, self.start_tick), keys(rank, tick)) - 1
        safe = np.maximum(at, 0)
        return safe, (at >= 0) & (self.rank[safe] == rank)

    def is_closed(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        safe, matched = self.locate(rank, tick)
        return matched & (tick < self.end_tick[safe])

    def closed_time(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        """The store's closed time before ``tick`` (int64 ticks, since an origin of its own:
        only differences of two values of one store mean something)."""
        safe, matched = self.locate(rank, tick)
        length = self.end_tick[safe] - self.start_tick[safe]
        within = np.clip(tick - self.start_tick[safe], 0, length)
        return np.where(matched, self.closed_before[safe] + within, 0)


def closed_spans(rows: ClosureRows, n_stores: int) -> ClosedSpans:
    """The rows merged per store (see :class:`ClosedSpans`)."""
    rank, start, end = merge_intervals(rows.rank, rows.start_tick, rows.end_tick, n_stores)
    sentinel = int(end.max()) if len(end) else 0
    return ClosedSpans(
        n_stores=n_stores,
        rank=np.append(rank, n_stores),
        start_tick=np.append(start, sentinel),
        end_tick=np.append(end, sentinel),
        closed_before=np.append(exclusive_group_cumsum(end - start, rank), 0),
    )


def subtract_closed(
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray], closed: ClosedSpans
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged intervals (rank, open, close), sorted by (rank, open), minus the closed spans:
    the same form. One sort of every boundary; a running count of open and of closed
    intervals says which stretches between boundaries are kept."""
    rank, opens, closes = intervals
    real = closed.rank < closed.n_stores
    if not real.any() or not len(rank):
        return intervals
    c_rank, c_start, c_end = closed.rank[real], closed.start_tick[real], closed.end_tick[real]
    at_rank = np.concatenate([rank, rank, c_rank, c_rank])
    at_tick = np.concatenate([opens, closes, c_start, c_end])
    ones, zeros = np.ones(len(rank), np.int64), np.zeros(len(c_rank), np.int64)
    open_step = np.concatenate([ones, -ones, zeros, zeros])
    closed_step = np.concatenate([0 * ones, 0 * ones, zeros + 1, zeros - 1])
    keys = GroupSortKeys(closed.n_stores, [at_tick])
    order = np.argsort(keys(at_rank, at_tick), kind="stable")
    at_rank, at_tick = at_rank[order], at_tick[order]
    is_open = np.cumsum(open_step[order]) > 0  # each store's steps add up to zero
    not_closed = np.cumsum(closed_step[order]) == 0
    # the stretch from each boundary to the next one of the same store, state after it
    kept = (at_rank[:-1] == at_rank[1:]) & (at_tick[1:] > at_tick[:-1])
    kept &= is_open[:-1] & not_closed[:-1]
    return merge_intervals(
        at_rank[:-1][kept], at_tick[:-1][kept], at_tick[1:][kept], closed.n_stores
    )


def closures_frame(
    rows: ClosureRows,
    closures: Closures,
    store_id: np.ndarray,
    zones: tuple[np.ndarray, list[str]],
    span_ticks: tuple[int, int],
) -> pd.DataFrame:
    """The closures of the reported stores that overlap ``span_ticks`` (the report's span),
    one row per (store, closure row), ordered by store then start: :data:`CLOSURE_COLUMNS`,
    times as the incidents write them (UTC, and local with the offset), the row's reason."""
    overlaps = (rows.end_tick > span_ticks[0]) & (rows.start_tick < span_ticks[1])
    order = np.lexsort((rows.row, rows.end_tick, rows.start_tick, rows.rank))
    order = order[overlaps[order]]
    rank, row = rows.rank[order], rows.row[order]
    start_us, end_us = ticks_to_us(rows.start_tick[order]), ticks_to_us(rows.end_tick[order])
    zone_of_rank, zone_names = zones
    return pd.DataFrame(
        {
            "store_id": np.asarray(store_id, dtype=object)[rank],
            "start_utc": utc_texts(start_us),
            "end_utc": utc_texts(end_us),
            "start_local": local_texts(start_us, zone_of_rank[rank], zone_names),
            "end_local": local_texts(end_us, zone_of_rank[rank], zone_names),
            "reason": np.asarray(closures.reason, dtype=object)[row],
        },
        columns=CLOSURE_COLUMNS,
    )
