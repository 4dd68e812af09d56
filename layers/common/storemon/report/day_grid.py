"""Day by day (SPEC §8): each store's local dates over a range and the running totals at
their boundaries, computed per zone, then spread to the stores.

Every store of a zone has the same local dates and the same boundaries (the range's start,
then each local midnight inside the range, then the range's end): a :class:`DayGrid` holds
them once per distinct zone (the zone table) and says where each store's copy sits in the
flat per-store arrays (``store_first``: a store with ``k`` dates has ``k + 1`` boundaries).

Reading a running total (``B(t)``, the uptime, the closed time) at every store's boundaries
needs, for each boundary, the store's last interval (or event) starting at or before it: a
``searchsorted`` of the boundaries' (rank, tick) keys among the items' keys
(:meth:`DayGrid.last_at_or_before`), both sorted.

A month of every store is about 450,000 boundaries: :func:`daily_totals` works through the
stores in parts of about :data:`PART_BOUNDARIES` boundaries, so that its temporaries stay
small and are reused (memory a process touches for the first time is what costs most here,
see docs/performance.md) and a part's arrays stay in the CPU's caches (the searches among
them are cheap). Each part is vectorised; the loop is over a handful of parts, not over
stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from storemon.clock import tz
from storemon.clock.ticks import TICKS_PER_SECOND
from storemon.report.business_hours import StoreCalendar
from storemon.report.timeline import PeriodEvents

if TYPE_CHECKING:
    from storemon.report.day_midnights import MidnightLookup

SECONDS_PER_DAY = 86_400
PART_BOUNDARIES = 32_768


@dataclass(frozen=True)
class DayGrid:
    """The local dates of the stores ``first .. first + n_stores - 1`` over ``[from_tick,
    to_tick)``.

    Zone table (one entry per boundary of each distinct zone in use, zone by zone, in time
    order, starting at ``zone_first``): ``zone_tick`` (the boundary) and ``zone_day`` (the
    local date it starts, as days since 1970-01-01; -1 for the range's end). Per store,
    from rank ``first`` on: ``zone_at`` (position of its zone), ``store_first`` (where its
    boundaries start in the flat per-store arrays; one more entry, the total).
    ``zone_key``: the zone table's sort keys (zone position, tick), as :meth:`place` keys
    an item."""

    from_tick: int
    to_tick: int
    zone_tick: np.ndarray
    zone_day: np.ndarray
    zone_first: np.ndarray
    zone_at: np.ndarray
    store_first: np.ndarray
    zone_key: np.ndarray
    first: int = 0

    @classmethod
    def of(cls, calendar: StoreCalendar, from_tick: int, to_tick: int) -> DayGrid:
        """Every (store, local date) whose midnight-to-midnight overlaps ``[from, to)``. The
        work is per distinct zone (its dates and their midnights, wall 00:00 read as §3
        reads wall times), then each store takes its zone's lists."""
        used, zone_at = np.unique(calendar.zone_of_rank, return_inverse=True)
        zone_at = zone_at.reshape(calendar.n_stores).astype(np.int64)
        day_zone, day, start = _zone_days(used, calendar.zone_names, from_tick, to_tick)
        days_per_zone = np.bincount(day_zone, minlength=len(used))
        after_last = np.cumsum(days_per_zone)  # a zone's boundaries: its days' starts, then to
        zone_tick = np.insert(start, after_last, to_tick)
        store_first = np.zeros(calendar.n_stores + 1, dtype=np.int64)
        np.cumsum(days_per_zone[zone_at] + 1, out=store_first[1:])
        entry_zone = np.repeat(np.arange(len(used), dtype=np.int64), days_per_zone + 1)
        key_span = to_tick - from_tick + 3
        return cls(
            from_tick=from_tick,
            to_tick=to_tick,
            zone_tick=zone_tick,
            zone_day=np.insert(day, after_last, -1),
            zone_first=after_last - days_per_zone + np.arange(len(used)),
            zone_at=zone_at,
            store_first=store_first,
            zone_key=entry_zone * key_span + (zone_tick - (from_tick - 1)),
        )

    @property
    def n_stores(self) -> int:
        return len(self.zone_at)

    @property
    def n_boundaries(self) -> int:
        return int(self.store_first[-1] - self.store_first[0])

    @property
    def n_days(self) -> int:
        """The (store, local date) rows: a store's boundaries but its last."""
        return self.n_boundaries - self.n_stores

    def date_range(self) -> tuple[int, int]:
        """The first and last local date of any store (days since 1970-01-01; 0, -1 when
        there is none)."""
        days = self.zone_day[self.zone_day >= 0]
        return (int(days.min()), int(days.max())) if len(days) else (0, -1)

    @property
    def key_span(self) -> int:
        return self.to_tick - self.from_tick + 3

    def parts(self, size: int) -> Iterator[DayGrid]:
        """The grid in parts of consecutive stores with about ``size`` boundaries each."""
        cuts = np.unique(np.searchsorted(self.store_first, np.arange(0, self.n_boundaries, size)))
        cuts = cuts[cuts < self.n_stores].tolist()
        for first, stop in zip(cuts, [*cuts[1:], self.n_stores][: len(cuts)], strict=True):
            yield DayGrid(
                from_tick=self.from_tick,
                to_tick=self.to_tick,
                zone_tick=self.zone_tick,
                zone_day=self.zone_day,
                zone_first=self.zone_first,
                zone_at=self.zone_at[first:stop],
                store_first=self.store_first[first : stop + 1] - self.store_first[first],
                zone_key=self.zone_key,
                first=self.first + first,
            )

    def boundaries(self) -> tuple[np.ndarray, np.ndarray]:
        """Every flat boundary's store (rank within the grid, from 0) and its entry in the
        zone table."""
        per_store = np.diff(self.store_first)
        rank = np.repeat(np.arange(self.n_stores, dtype=np.int64), per_store)
        shift = self.zone_first[self.zone_at] - self.store_first[:-1]
        zone_entry = np.arange(self.n_boundaries, dtype=np.int64)
        zone_entry += np.repeat(shift, per_store)
        return rank, zone_entry

    def key(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        """Sort keys of (rank within the grid, tick): ticks held into ``[from - 1, to + 1]``
        (they compare the same with every boundary). A part holds at most
        ``PART_BOUNDARIES`` stores, so rank × a range's ticks fits in 63 bits."""
        keys = np.clip(tick, self.from_tick - 1, self.to_tick + 1)
        keys -= self.from_tick - 1
        keys += rank * self.key_span
        return keys

    def last_at_or_before(
        self, rank: np.ndarray, tick: np.ndarray, boundary_key: np.ndarray
    ) -> np.ndarray:
        """For items of the grid's stores (``rank`` within the grid), sorted by (rank,
        tick): at each flat boundary (``boundary_key``: :meth:`key` of each), the index of
        the last item of the boundary's store with ``tick`` at or before it, or of an
        earlier store's item (or -1) when the store has none:
        ``searchsorted(item_key, boundary_key, side="right") - 1``, made cheaper as both
        are sorted: few items (a part's events) are placed among the boundaries and counted;
        as many items as boundaries (intervals) are merged with them (a stable sort of two
        sorted runs, items first: an item counts for a boundary at the same key)."""
        item_key = self.key(rank, tick)
        n_items, n_boundaries = len(item_key), len(boundary_key)
        if 4 * n_items <= n_boundaries:
            placed = np.searchsorted(boundary_key, item_key, side="left")
            last = np.bincount(placed, minlength=n_boundaries + 1)[:n_boundaries]
            np.cumsum(last, out=last)
        else:
            order = np.argsort(np.concatenate([item_key, boundary_key]), kind="stable")
            last = np.flatnonzero(order >= n_items)
            last -= np.arange(n_boundaries)
        last -= 1
        return last

    def last_placed(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        """What :meth:`last_at_or_before` answers for few items (a part's events), found
        from the zone table instead of the boundaries' keys: an item's place among the flat
        boundaries is its store's first boundary plus the number of its zone's boundaries
        before its tick (one search among the zone table's keys), then counted."""
        zone = np.take(self.zone_at, rank)
        query = np.clip(tick, self.from_tick - 1, self.to_tick + 1)
        query -= self.from_tick - 1
        query += zone * self.key_span
        placed = np.searchsorted(self.zone_key, query, side="left")
        placed -= np.take(self.zone_first, zone)
        placed += np.take(self.store_first, rank)
        last = np.bincount(placed, minlength=self.n_boundaries + 1)[: self.n_boundaries]
        np.cumsum(last, out=last)
        last -= 1
        return last


def _zone_days(
    used: np.ndarray, zone_names: list[str], from_tick: int, to_tick: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per zone (position in ``used``, indexes into ``zone_names``), the local dates whose
    midnight-to-midnight overlaps ``[from, to)``, in order: (zone position, date as days
    since 1970-01-01, where the part of the range it covers starts, in ticks)."""
    edges_s = np.tile([from_tick // TICKS_PER_SECOND, to_tick // TICKS_PER_SECOND], len(used))
    local_s = edges_s + tz.utc_offsets(np.repeat(used, 2), edges_s, zone_names)
    first, last = (local_s // SECONDS_PER_DAY).reshape(len(used), 2).T
    count = (last + 1) - (first - 1) + 2  # days first-1 .. last+1, and the day after
    zone_pos = np.repeat(np.arange(len(used)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    day = first[zone_pos] - 1 + offset
    midnight = tz.wall_to_utc(used[zone_pos], day, np.zeros(len(day), np.int64), zone_names)
    midnight = midnight * TICKS_PER_SECOND
    start = np.maximum(midnight[:-1], from_tick)
    end = np.minimum(midnight[1:], to_tick)
    kept = (zone_pos[1:] == zone_pos[:-1]) & (start < end)
    return zone_pos[:-1][kept], day[:-1][kept], start[kept]


Spans = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Boundaries = tuple[np.ndarray, np.ndarray, np.ndarray]  # rank (within a grid), tick, key


def _of_part(grid: DayGrid, rank: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The entries of the grid's stores of arrays sorted by rank: (rank within the grid,
    then each column's slice)."""
    lo, hi = np.searchsorted(rank, [grid.first, grid.first + grid.n_stores])
    return (rank[lo:hi] - grid.first, *(column[lo:hi] for column in columns))


def cumulative_at(grid: DayGrid, spans: Spans, boundary: Boundaries) -> np.ndarray:
    """A running total of disjoint spans at every flat boundary of ``grid``: ``spans`` =
    (rank, start, end, total in the store's earlier spans), sorted by (rank, start);
    ``boundary`` = (rank within the grid, tick, key). 0 before a store's first span (each
    store's total has an origin of its own)."""
    rank, start, end, before = _of_part(grid, *spans)
    b_rank, b_tick, b_key = boundary
    if len(rank) == 0:
        return np.zeros(len(b_rank), dtype=np.int64)
    at = grid.last_at_or_before(rank, start, b_key)
    none_before = at < 0
    np.maximum(at, 0, out=at)
    length = np.take(end, at)
    opened = np.take(start, at)
    length -= opened
    np.subtract(b_tick, opened, out=opened)
    np.clip(opened, 0, length, out=opened)  # the part of the last span before the boundary
    np.take(before, at, out=length)
    opened += length
    np.take(rank, at, out=length)
    none_before |= length != b_rank
    opened[none_before] = 0
    return opened


@dataclass(frozen=True)
class DailyPart:
    """The (store, local date) rows ``rows`` of the day-by-day report (sorted by (rank,
    date)): ``rank``, ``day`` (days since 1970-01-01), ``business`` and ``uptime`` (int64
    ticks)."""

    rows: slice
    rank: np.ndarray
    day: np.ndarray
    business: np.ndarray
    uptime: np.ndarray


def daily_totals(
    events: PeriodEvents,
    calendar: StoreCalendar,
    grid: DayGrid,
    midnights: MidnightLookup | None = None,
) -> Iterator[DailyPart]:
    """Business time and uptime of every (store, local date) of ``grid``, part by part:
    ``B`` and the uptime at the boundaries (the store's last event at or before each holds
    its status until it; ``events`` has a mark at ``from`` for every store), differenced.
    A store's dates are its boundaries but the last."""
    c = calendar
    intervals = (c.open_rank, c.open_tick, c.close_tick, c.business_before)
    evented = (events.rank, events.tick, events.business, events.active_after)
    for part in grid.parts(PART_BOUNDARIES):
        if midnights is not None and c.closed is None:
            business = midnights.at(grid, part)  # B as the calendar reads it, every store's
        else:
            boundary = boundary_keys(part)
            if midnights is None:
                business = cumulative_at(part, intervals, boundary)
            else:
                business = midnights.at(grid, part)
            _business_at(c, part, business, boundary)
        uptime = _uptime_at(part, evented, events.uptime_before, business)
        # day i of the part's rows is boundary i + rank (one boundary more per store before)
        days = np.diff(part.store_first) - 1
        rank = np.repeat(np.arange(part.n_stores), days)
        start = np.arange(len(rank), dtype=np.int64)
        entry = np.repeat(part.zone_first[part.zone_at] - part.store_first[:-1], days)
        entry += start
        start += rank
        entry += rank  # boundary start's entry in the zone table
        first_row = int(grid.store_first[part.first - grid.first]) - (part.first - grid.first)
        rank += part.first
        yield DailyPart(
            rows=slice(first_row, first_row + len(start)),
            rank=rank,
            day=np.take(part.zone_day, entry),
            business=_step(business, start),
            uptime=_step(uptime, start),
        )


def _step(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """``values[start + 1] - values[start]`` (``values`` is overwritten)."""
    values[:-1] = values[1:] - values[:-1]
    return np.take(values, start)


def boundary_keys(grid: DayGrid) -> Boundaries:
    """Every flat boundary of ``grid``: (rank within the grid, tick, key)."""
    b_rank, zone_entry = grid.boundaries()
    b_tick = grid.zone_tick[zone_entry]
    b_key = b_rank * grid.key_span  # (a boundary's tick is inside the range: not held)
    b_key += b_tick - (grid.from_tick - 1)
    return b_rank, b_tick, b_key


def _business_at(
    calendar: StoreCalendar, grid: DayGrid, business: np.ndarray, boundary: Boundaries
) -> np.ndarray:
    """``B(t)`` at every flat boundary, as :meth:`StoreCalendar.business_time` reads it, from
    ``business``: ``B`` from the calendar's intervals alone (overwritten)."""
    b_rank, b_tick, _ = boundary
    always = b_tick
    if calendar.closed is not None:
        closed = calendar.closed
        spans = (closed.rank, closed.start_tick, closed.end_tick, closed.closed_before)
        always = b_tick - cumulative_at(grid, spans, boundary)
    has_hours = calendar.has_hours[grid.first : grid.first + grid.n_stores]
    np.copyto(business, always, where=~has_hours[b_rank])
    return business


def _uptime_at(
    grid: DayGrid,
    evented: Spans,
    uptime_before: np.ndarray,
    business: np.ndarray,
) -> np.ndarray:
    """The uptime before every flat boundary (``business``: ``B`` at each): the store's
    last event at or before it holds its status until it."""
    rank, tick, event_business, active_after, before = _of_part(grid, *evented, uptime_before)
    last = grid.last_placed(rank, tick)
    # uptime before the last event, plus B(t) - B(event) if active: per event (a few) the
    # part that does not depend on t, so each boundary costs two reads and two operations
    base = before - np.where(active_after, event_business, 0)
    active = np.take(active_after, last)
    uptime = np.multiply(business, active)
    uptime += np.take(base, last)
    return uptime
