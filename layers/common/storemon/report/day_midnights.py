"""``B(t)`` at every store's local midnights, made once per loaded snapshot (SPEC §8, day by
day; docs/performance.md).

A day-by-day report reads the calendar's running business time ``B`` at each store's
boundaries: the range's start, each local midnight inside it, the range's end. The
midnights are the same for every request of a loaded snapshot (its calendar does not
change): :class:`MidnightBusiness` reads ``B`` from the calendar's intervals at every
boundary of a grid over its last month once (at its second day-by-day report; see
:func:`storemon.snapshot.answer._midnight_business`), and a request whose range lies
inside it takes each midnight's value from that table (one read per boundary instead of a
merge and the formula). The range's own start and end are the request's own (its events'
marks hold ``B`` there). The closed time of stores without hours (§9) is not in the table
(``B(t) = t`` for them there): with closures,
:func:`storemon.report.day_grid.daily_totals` applies it as without the table.

Bounded: one int64 per (store, local date) of those 31-33 days (3.9 MB for 14,092 stores);
kept in the snapshot's memo, so it goes with the loaded snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storemon.report import day_grid
from storemon.report.business_hours import StoreCalendar
from storemon.report.day_grid import DayGrid


@dataclass(frozen=True)
class MidnightBusiness:
    """``business``: the calendar's ``B`` without closed time (from its intervals; ``t``
    for a store without hours) at every flat boundary of ``grid``; ``open_tick``: the
    calendar's openings (which calendar it is)."""

    grid: DayGrid
    business: np.ndarray
    open_tick: np.ndarray

    @classmethod
    def of(cls, calendar: StoreCalendar, from_tick: int, to_tick: int) -> MidnightBusiness:
        grid = DayGrid.of(calendar, from_tick, to_tick)
        c = calendar
        intervals = (c.open_rank, c.open_tick, c.close_tick, c.business_before)
        business = np.empty(grid.n_boundaries, dtype=np.int64)
        for part in grid.parts(day_grid.PART_BOUNDARIES):
            first = int(grid.store_first[part.first])
            b_rank, b_tick, b_key = day_grid.boundary_keys(part)
            values = day_grid.cumulative_at(part, intervals, (b_rank, b_tick, b_key))
            without_hours = ~calendar.has_hours[part.first : part.first + part.n_stores]
            np.copyto(values, b_tick, where=without_hours[b_rank])  # B(t) = t
            business[first : first + part.n_boundaries] = values
        return cls(grid=grid, business=business, open_tick=calendar.open_tick)

    def lookup(
        self, calendar: StoreCalendar, grid: DayGrid, ends: tuple[np.ndarray, np.ndarray]
    ) -> MidnightLookup | None:
        """How ``grid`` (a request's, of this calendar) reads the table, ``ends``: ``B`` at
        the range's start and end per store (as the calendar reads it for a store with
        hours); None when its range is not inside the table's or its midnights are not the
        table's."""
        table = self.grid
        if (
            calendar.open_tick is not self.open_tick
            or grid.from_tick < table.from_tick
            or grid.to_tick > table.to_tick
            or grid.n_stores != table.n_stores
        ):
            return None
        zone_offset = self._zone_offsets(grid)
        if zone_offset is None:
            return None
        # a store's boundary j (j >= 1: its j-th midnight) is the table's entry shift + j
        shift = table.store_first[:-1] + zone_offset[grid.zone_at] - 1
        return MidnightLookup(table=self.business, shift=shift, start=ends[0], end=ends[1])

    def _zone_offsets(self, grid: DayGrid) -> np.ndarray | None:
        """Per zone: where the request's first midnight sits in the table's zone list
        (its position from the zone's first entry); None if one is not there."""
        table = self.grid
        if len(grid.zone_first) != len(table.zone_first):
            return None
        n_zones = len(table.zone_first)
        zone_end = np.append(table.zone_first[1:], len(table.zone_tick))
        table_zone = np.repeat(np.arange(n_zones, dtype=np.int64), zone_end - table.zone_first)
        span = table.to_tick - table.from_tick + 1
        table_key = table_zone * span + (table.zone_tick - table.from_tick)
        request_end = np.append(grid.zone_first[1:], len(grid.zone_tick))
        has_midnight = request_end - grid.zone_first >= 3  # two dates and the end at least
        midnight = grid.zone_tick[np.minimum(grid.zone_first + 1, len(grid.zone_tick) - 1)]
        query = np.arange(n_zones, dtype=np.int64) * span + (midnight - table.from_tick)
        at = np.minimum(np.searchsorted(table_key, query), len(table_key) - 1)
        found = (table_key[at] == query) & (table.zone_tick[at] == midnight)
        if not found[has_midnight].all():
            return None
        return np.where(has_midnight, at - table.zone_first, 0)


@dataclass(frozen=True)
class MidnightLookup:
    """A request's reading of the table: per store (rank), ``shift`` (its boundary ``j``'s
    midnight is ``table[shift + j]``), ``B`` at the range's ``start`` and ``end``."""

    table: np.ndarray
    shift: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def at(self, grid: DayGrid, part: DayGrid) -> np.ndarray:
        """``B`` from the intervals at every flat boundary of ``part`` (a part of ``grid``)."""
        stores = slice(part.first - grid.first, part.first - grid.first + part.n_stores)
        first = part.store_first[:-1]
        index = np.arange(part.n_boundaries, dtype=np.int64)
        index += np.repeat(self.shift[stores] - first, np.diff(part.store_first))
        business = np.take(self.table, index, mode="clip")
        business[first] = self.start[stores]
        business[part.store_first[1:] - 1] = self.end[stores]
        return business
