"""Each reported store's zone and business hours as merged UTC intervals (SPEC §2, §3).

:func:`store_calendar` builds a :class:`StoreCalendar`: the zone of every store (defaults
counted), and the union of its openings as UTC tick intervals, only for the (store, local
date) pairs of the report period (the week window and the days around it). A poll before
that period (polls can span centuries) is classified on its own (:meth:`StoreCalendar.is_open`:
the store's openings of the local dates around the poll's date, as the calendar would hold
them), so the calendar's size follows the report week, not the data's span. Zone offsets
come from :mod:`storemon.clock.tz`'s per-zone transition tables.

The calendar then answers, for many (store, instant) pairs at once with ``searchsorted``:
is the store open (:meth:`StoreCalendar.is_open`) and how much business time has it had
before that instant (:meth:`StoreCalendar.business_time`, the cumulative function ``B(t)``;
business time between two instants is a difference of two ``B`` values).

Stores are identified by their *rank*: position in the report's store order (store_id as a
string). Instants are int64 ticks (:mod:`storemon.clock.ticks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from storemon.clock import tz
from storemon.clock.ticks import TICKS_PER_SECOND, TICKS_PER_US, US_PER_DAY
from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Zones
from storemon.report.closures import (
    ClosedSpans,
    ClosureRows,
    closed_spans,
    closure_rows,
    subtract_closed,
)
from storemon.report.last_made import LastMade, identical
from storemon.report.per_group import (
    GroupSortKeys,
    exclusive_group_cumsum,
    group_starts,
    merge_intervals,
    ragged_take,
    searchsorted_right,
)

SECONDS_PER_DAY = 86_400
# instants classified by is_open_each at a time: its arrays (about 4 openings per instant)
# stay near 100 MB however many polls lie before the report period
EACH_CHUNK = 250_000


@dataclass(frozen=True)
class StoreCalendar:
    """Zones and business intervals of the reported stores.

    Per-store arrays have one entry per rank (``n_stores`` entries):

    ``has_hours`` (bool): the store has a valid hours row (otherwise it is open 24/7);
    ``days_with_hours`` (int64): distinct weekdays with a row; ``zone_of_rank`` (int64):
    index into ``zone_names`` (the distinct zones in use, sorted); ``zone_source`` (object):
    ``"file"``, ``"missing"`` or ``"invalid"``.

    Interval arrays (int64), sorted by (``open_rank``, ``open_tick``): each store's merged
    business intervals ``[open_tick, close_tick)``, disjoint and not touching, only for the
    stores with hours. The last entry is a sentinel of rank ``n_stores`` (an empty interval)
    so the arrays are never empty. ``business_before`` is the store's business time in its
    earlier intervals.

    ``rows`` (the stores' hours rows) and ``exact_from_tick``: the intervals cover every
    instant from ``exact_from_tick`` on; :meth:`is_open` classifies earlier instants from
    ``rows`` (None: the intervals cover every instant asked about).

    With closures (SPEC §9; None without a closures file): ``closed``, each store's closed
    time, and ``closure_rows``, the rows behind it (for the listing). The intervals of a
    store with hours are then its business hours minus its closed time; a store open 24/7
    is open whenever it is not closed.

    ``hours_made``: what it was made of from hours and zones alone (one object for the same
    stores, tables and dates: kept per process); None when not made by :func:`store_calendar`.
    """

    n_stores: int
    has_hours: np.ndarray
    days_with_hours: np.ndarray
    zone_names: list[str]
    zone_of_rank: np.ndarray
    zone_source: np.ndarray
    open_rank: np.ndarray
    open_tick: np.ndarray
    close_tick: np.ndarray
    business_before: np.ndarray
    rows: HoursRows | None = None
    exact_from_tick: int | None = None
    closed: ClosedSpans | None = None
    closure_rows: ClosureRows | None = None
    hours_made: object | None = None

    @classmethod
    def from_intervals(
        cls,
        hours: tuple[np.ndarray, np.ndarray],
        zones: tuple[list[str], np.ndarray, np.ndarray],
        intervals: tuple[np.ndarray, np.ndarray, np.ndarray],
        *,
        rows: HoursRows | None = None,
        exact_from_tick: int | None = None,
        closed: ClosedSpans | None = None,
        closure_rows: ClosureRows | None = None,
        hours_made: object | None = None,
    ) -> StoreCalendar:
        """The calendar of merged intervals (rank, open, close, with the sentinel:
        :func:`with_sentinel`; without closed time when ``closed``), ``hours`` =
        :func:`hours_per_store` and ``zones`` = :func:`store_zones` of the stores."""
        has_hours, days_with_hours = hours
        zone_names, zone_of_rank, zone_source = zones
        open_rank, open_tick, close_tick = intervals
        return cls(
            n_stores=len(has_hours),
            has_hours=has_hours,
            days_with_hours=days_with_hours,
            zone_names=zone_names,
            zone_of_rank=zone_of_rank,
            zone_source=zone_source,
            open_rank=open_rank,
            open_tick=open_tick,
            close_tick=close_tick,
            business_before=exclusive_group_cumsum(close_tick - open_tick, open_rank),
            rows=rows,
            exact_from_tick=exact_from_tick,
            closed=closed,
            closure_rows=closure_rows,
            hours_made=hours_made,
        )

    @cached_property
    def _open_keys(self) -> tuple[int, int, int, np.ndarray] | None:
        """``(low, high, span, keys)``: sort keys of the openings, ``rank * span + (open -
        low)``, made once per calendar; a tick is keyed clamped into ``[low, high]`` (below
        every opening, at or above every opening: the same answer). None when the keys would
        not fit in 63 bits (then :meth:`locate` keys the openings with the ticks each call)."""
        low = int(self.open_tick.min()) - 1
        high = int(self.open_tick.max())
        span = high - low + 1
        if (self.n_stores + 1) * span >= 2**62:
            return None
        return low, high, span, self.open_rank.astype(np.int64) * span + (self.open_tick - low)

    def locate(self, rank: np.ndarray, tick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (rank, tick): the index of the store's last interval opening at or before
        ``tick`` (0 when there is none) and whether there is one (bool)."""
        cached = self._open_keys
        if cached is None:
            keys = GroupSortKeys(self.n_stores + 1, [self.open_tick, tick])
            at = searchsorted_right(keys(self.open_rank, self.open_tick), keys(rank, tick)) - 1
        else:
            low, high, span, open_keys = cached
            query = rank.astype(np.int64) * span + (np.clip(tick, low, high) - low)
            at = searchsorted_right(open_keys, query) - 1
        safe = np.maximum(at, 0)
        return safe, (at >= 0) & (self.open_rank[safe] == rank)

    def is_open(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        """Whether each store is in business hours at ``tick`` (always, for 24/7 stores),
        and not closed (SPEC §9)."""
        inside = self._in_hours(rank, tick)
        if self.closed is not None:
            inside &= ~self.closed.is_closed(rank, tick)
        return inside

    def _in_hours(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        if self.rows is None or self.exact_from_tick is None:
            return self._is_open_listed(rank, tick)
        early = tick < self.exact_from_tick
        if not early.any():
            return self._is_open_listed(rank, tick)
        inside = np.empty(len(rank), dtype=bool)
        inside[~early] = self._is_open_listed(rank[~early], tick[~early])
        early_at = np.flatnonzero(early)
        zones = (self.zone_of_rank, self.zone_names)
        for chunk in range(0, len(early_at), EACH_CHUNK):  # bounded memory, see is_open_each
            at = early_at[chunk : chunk + EACH_CHUNK]
            inside[at] = is_open_each(self.rows, self.has_hours, zones, rank[at], tick[at])
        return inside

    def _is_open_listed(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        safe, matched = self.locate(rank, tick)
        return (matched & (tick < self.close_tick[safe])) | ~self.has_hours[rank]

    def business_time(self, rank: np.ndarray, tick: np.ndarray) -> np.ndarray:
        """``B(t)`` in ticks (int64): the store's business time before ``tick`` since an
        origin of its own; ``B(t) = t`` for a store open 24/7 (minus its closed time before
        ``t``). Only differences of two values of one store mean something."""
        safe, matched = self.locate(rank, tick)
        length = self.close_tick[safe] - self.open_tick[safe]
        within = np.clip(tick - self.open_tick[safe], 0, length)
        business = np.where(matched, self.business_before[safe] + within, 0)
        always = tick if self.closed is None else tick - self.closed.closed_time(rank, tick)
        return np.where(self.has_hours[rank], business, always)


@dataclass(frozen=True)
class HoursRows:
    """The hours rows of reported stores: rank, weekday (0 = Monday), start and end in
    seconds after local midnight (end may be 86,400); int64, in file order."""

    rank: np.ndarray
    weekday: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray


def store_calendar(
    store_id: np.ndarray,
    hours: Hours,
    zones: Zones,
    *,
    period_start_us: int,
    now_us: int,
    closures: Closures | None = None,
    closures_from_us: int | None = None,
) -> StoreCalendar:
    """The calendar of the stores ``store_id`` (rank -> id): intervals covering every instant
    of the UTC dates of ``[period_start_us, now_us]``; earlier instants are classified from
    the hours rows (:meth:`StoreCalendar.is_open`). ``closures``: the closure rows near
    ``[closures_from_us, now_us]`` (default ``period_start_us``; the earliest poll that
    will be classified) are applied."""
    n_stores = len(store_id)
    store_index = pd.Index(store_id)
    days = (period_start_us // US_PER_DAY, now_us // US_PER_DAY)
    made_of = (store_id, hours, zones, days)
    made = _LAST_HOURS.get(made_of) or _LAST_HOURS.keep(
        made_of, _hours_calendar(store_index, hours, zones, period_start_us, now_us)
    )
    rows, (has_hours, days_with_hours), (zone_names, zone_of_rank, zone_source), intervals = made
    listed, closed = None, None
    if closures is not None:
        from_us = period_start_us if closures_from_us is None else closures_from_us
        listed = closure_rows(
            closures, store_index, zone_of_rank, zone_names, within_us=(from_us, now_us)
        )
        closed = closed_spans(listed, n_stores)
        intervals = subtract_closed(intervals, closed)
    return StoreCalendar.from_intervals(
        (has_hours, days_with_hours),
        (zone_names, zone_of_rank, zone_source),
        with_sentinel(intervals, n_stores, now_us * TICKS_PER_US),
        rows=rows,
        # the openings of dates d - 2 .. d + 1 cover UTC date d (see _dates_that_matter)
        exact_from_tick=(period_start_us // US_PER_DAY) * US_PER_DAY * TICKS_PER_US,
        closed=closed,
        closure_rows=listed,
        hours_made=made,
    )


def _hours_calendar(
    store_index: pd.Index, hours: Hours, zones: Zones, period_start_us: int, now_us: int
) -> tuple:
    """What :func:`store_calendar` makes of hours and zones alone: the stores' rows, their
    hours and zones, the merged openings of the dates around ``[period_start_us, now_us]``."""
    n_stores = len(store_index)
    rows = store_hours(hours, store_index)
    has_hours, days_with_hours = hours_per_store(rows, n_stores)
    zone_names, zone_of_rank, zone_source = store_zones(zones, store_index, n_stores)
    opens = business_intervals(
        rows,
        has_hours=has_hours,
        zone_of_rank=zone_of_rank,
        zone_names=zone_names,
        poll_rank=np.zeros(0, dtype=np.int64),
        poll_us=np.zeros(0, dtype=np.int64),
        first_us=period_start_us,
        now_us=now_us,
    )
    intervals = merge_intervals(*opens, n_stores)
    zones_made = (zone_names, zone_of_rank, zone_source)
    return rows, (has_hours, days_with_hours), zones_made, intervals


def _same_hours_calendar(made_of: tuple, asked: tuple) -> bool:
    """Equal store ids, the same hours and zones tables (``is``: parsed tables never
    change) and the same dates (:func:`_hours_calendar`)."""
    ids, asked_ids = made_of[0], asked[0]
    same_ids = len(ids) == len(asked_ids) and bool(np.array_equal(ids, asked_ids))
    return same_ids and identical(made_of[1:3], asked[1:3]) and made_of[3] == asked[3]


# the last ones (a report's, its page's): a history's next batch asks for the same ones
_LAST_HOURS: LastMade[tuple, tuple] = LastMade(_same_hours_calendar, size=4)


def is_open_each(
    rows: HoursRows,
    has_hours: np.ndarray,
    zones: tuple[np.ndarray, list[str]],
    rank: np.ndarray,
    tick: np.ndarray,
) -> np.ndarray:
    """Whether each store ``rank`` is in business hours at ``tick``, without a calendar:
    per distinct (store, UTC date ``d``) of the instants, the store's openings that start
    on the local dates ``d - 2 .. d + 1`` (those cover date ``d``, see
    :func:`_dates_that_matter`); each instant is checked against its pair's openings.
    Vectorised; time and memory follow the number of instants and of such pairs."""
    inside = ~has_hours[rank]
    asked = np.flatnonzero(has_hours[rank])
    if not len(asked):
        return inside
    at = tick[asked]
    day = np.floor_divide(at, US_PER_DAY * TICKS_PER_US)
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    pairs, pair_of = np.unique(rank[asked] * span + (day - first_day), return_inverse=True)
    pair_of = pair_of.reshape(len(asked))
    candidate = np.repeat(np.arange(len(pairs)), 4)
    date = ((pairs % span + first_day)[:, None] + np.arange(-2, 2)[None, :]).ravel()
    owner, _, opens, closes = _openings_of_pairs(rows, pairs[candidate] // span, date, *zones)
    owner = candidate[owner]  # openings are in pair order (see _openings_of_pairs)
    counts = np.bincount(owner, minlength=len(pairs))
    first = np.cumsum(counts) - counts
    poll, opening = ragged_take(first[pair_of], counts[pair_of])
    hit = (opens[opening] <= at[poll]) & (at[poll] < closes[opening])
    inside[asked[poll[hit]]] = True
    return inside


def with_sentinel(
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray], n_stores: int, tick: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged intervals (rank, open, close) with :class:`StoreCalendar`'s sentinel at the end:
    an empty interval at ``tick`` of a store that does not exist (rank ``n_stores``), which
    keeps the arrays non-empty."""
    rank, opens, closes = intervals
    return np.append(rank, n_stores), np.append(opens, tick), np.append(closes, tick)


def hours_per_store(rows: HoursRows, n_stores: int) -> tuple[np.ndarray, np.ndarray]:
    """Per store: whether it has a valid hours row (bool; otherwise it is open 24/7) and on
    how many distinct weekdays (int64)."""
    has_hours = np.bincount(rows.rank, minlength=n_stores) > 0
    distinct_days = np.unique(rows.rank * 7 + rows.weekday) // 7
    return has_hours, np.bincount(distinct_days, minlength=n_stores)


def store_hours(hours: Hours, store_index: pd.Index) -> HoursRows:
    """The hours rows of the stores in ``store_index`` (rows of other stores dropped)."""
    rank = store_index.get_indexer(hours.store_id)
    in_report = rank >= 0
    return HoursRows(
        rank=rank[in_report].astype(np.int64),
        weekday=hours.weekday[in_report],
        start_s=hours.start_s[in_report],
        end_s=hours.end_s[in_report],
    )


def store_zones(
    zones: Zones, store_index: pd.Index, n_stores: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each store's zone (SPEC §2: the last row wins; missing or invalid -> America/Chicago).

    Parameters
    ----------
    zones : Zones
        Parsed timezones file (``store_id`` unique: the last row per store already won).
    store_index : pandas.Index
        The reported store ids in rank order.
    n_stores : int
        ``len(store_index)``.

    Returns
    -------
    zone_names : list of str
        The distinct zone names in use, sorted.
    zone_of_rank : int64 ndarray, one per rank
        Index into ``zone_names``.
    source : object ndarray, one per rank
        ``"file"`` (valid zone row), ``"missing"`` (no row) or ``"invalid"`` (not an IANA
        name); the last two use ``tz.DEFAULT_ZONE``.
    """
    zone_rank = store_index.get_indexer(zones.store_id)
    matched = zone_rank >= 0
    names = np.full(n_stores, tz.DEFAULT_ZONE, dtype=object)
    source = np.full(n_stores, "missing", dtype=object)
    given = zones.zone[matched]
    distinct, which = np.unique(given.astype(str), return_inverse=True)
    valid = np.array([tz.is_valid_zone(z) for z in distinct], dtype=bool)[which]
    valid = valid.reshape(len(given))
    names[zone_rank[matched][valid]] = given[valid]
    source[zone_rank[matched]] = np.where(valid, "file", "invalid")
    zone_names, zone_of_rank = np.unique(names.astype(str), return_inverse=True)
    return list(zone_names), zone_of_rank.astype(np.int64).reshape(n_stores), source


def business_intervals(
    rows: HoursRows,
    *,
    has_hours: np.ndarray,
    zone_of_rank: np.ndarray,
    zone_names: list[str],
    poll_rank: np.ndarray,
    poll_us: np.ndarray,
    first_us: int,
    now_us: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTC intervals of every opening that can matter, for the stores with hours.

    Parameters
    ----------
    rows : HoursRows
        The stores' hours rows (any order).
    has_hours : bool ndarray, one per rank
    zone_of_rank : int64 ndarray, one per rank
        Index into ``zone_names``.
    zone_names : list of str
        Valid IANA zone names.
    poll_rank, poll_us : int64 ndarray
        The stores' polls (rank, µs since the epoch), sorted by (rank, time).
    first_us, now_us : int
        The report period, µs since the epoch; openings are made for every date around it.

    Returns
    -------
    rank, open_tick, close_tick : int64 ndarray
        One opening per (store, local date, row) with ``close_tick > open_tick`` (a span
        that a spring-forward gap swallows is dropped), in no particular order, possibly
        overlapping (see :func:`merge_intervals`).
    """
    date_rank, date = _dates_that_matter(has_hours, poll_rank, poll_us, first_us, now_us)
    _, rank, opens, closes = _openings_of_pairs(rows, date_rank, date, zone_of_rank, zone_names)
    return rank, opens, closes


def _dates_that_matter(
    has_hours: np.ndarray, poll_rank: np.ndarray, poll_us: np.ndarray, first_us: int, now_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rank, local date as days since 1970-01-01) pairs, unique, sorted, of stores with hours.

    An opening that starts on local date D covers instants whose local date is D or D + 1,
    and a local date is within a day of the UTC date, so the openings starting on UTC dates
    d - 2 .. d + 1 cover every instant of UTC date d: those of each poll's date, and of
    every date of the report period.
    """
    with_hours = has_hours[poll_rank]
    poll_days = np.floor_divide(poll_us[with_hours], US_PER_DAY)
    first_window_day = first_us // US_PER_DAY - 2
    last_window_day = now_us // US_PER_DAY + 1
    low = min(int(poll_days.min()) if len(poll_days) else first_window_day, first_window_day) - 2
    high = max(int(poll_days.max()) if len(poll_days) else last_window_day, last_window_day) + 2
    span = high - low + 1

    pair = poll_rank[with_hours] * span + (poll_days - low)  # sorted: polls are
    pair = pair[group_starts(pair)]  # in (store, time) order
    pair = np.unique((pair[:, None] + np.arange(-2, 2)[None, :]).ravel())
    stores_with_hours = np.flatnonzero(has_hours)
    window_days = np.arange(first_window_day, last_window_day + 1) - low
    window_pair = (stores_with_hours[:, None] * span + window_days[None, :]).ravel()
    pair = np.union1d(pair, window_pair)
    return pair // span, pair % span + low


def _openings_of_pairs(
    rows: HoursRows,
    date_rank: np.ndarray,
    date: np.ndarray,
    zone_of_rank: np.ndarray,
    zone_names: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join each (store, local date) with the store's rows for that weekday; the openings
    as (pair, rank, open_tick, close_tick), ``pair`` indexing the (store, date) pairs,
    non-empty ones only (SPEC §3 for end <= start and end of day)."""
    row_key = rows.rank * 7 + rows.weekday
    row_order = np.argsort(row_key, kind="stable")
    row_key = row_key[row_order]
    wanted = date_rank * 7 + (date + 3) % 7  # 1970-01-01 was a Thursday
    lo = np.searchsorted(row_key, wanted, side="left")
    hi = np.searchsorted(row_key, wanted, side="right")
    owner, index = ragged_take(lo, hi - lo)
    row = row_order[index]
    rank, open_day = date_rank[owner], date[owner]
    start, end = rows.start_s[row], rows.end_s[row]
    close_day = open_day + (end <= start)
    close_day = close_day + (end == SECONDS_PER_DAY)
    close_sec = np.where(end == SECONDS_PER_DAY, 0, end)

    zone = zone_of_rank[rank]
    instants = (
        tz.wall_to_utc(
            np.concatenate([zone, zone]),
            np.concatenate([open_day, close_day]),
            np.concatenate([start, close_sec]),
            zone_names,
        )
        * TICKS_PER_SECOND
    )
    opens, closes = instants[: len(rank)], instants[len(rank) :]
    positive = closes > opens  # a span that a spring-forward gap swallows is empty
    return owner[positive], rank[positive], opens[positive], closes[positive]
